"""Demo data drawn from the places and industries of the trade (DOMAIN.md)."""
import math
import random
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from crm.choices import SQM_PER_MU
from crm.extensions import db
from crm.inputs.company import name_key
from crm.inputs.deal import DealInput
from crm.inputs.phone import Mobile
from crm.intake import capture, match, sites
from crm.intake.inquiry import ContactInput, Inquiry, NeedInput, Source
from crm.intake.reference import new_reference
from crm.leads import stages
from crm.models import Company, Contact, Lead, LostReason, Team, User
from crm.models.types import utcnow
from crm.parks import seed_defaults as seed_parks
from crm.routing import engine

DEMO_PASSWORD = "demo1234"
DEMO_USERS = [
    ("admin@example.com", "系统管理员", "admin"),
    ("manager@example.com", "王经理", "manager"),
    ("agent1@example.com", "李招商", "agent"),
    ("agent2@example.com", "张顾问", "agent"),
    ("agent3@example.com", "陈专员", "agent"),
]
COMPANIES = ["苏州精工机械有限公司", "湖州新能源汽车零部件有限公司", "嘉兴稀土永磁材料有限公司",
             "合肥芯片封测科技有限公司", "杭州智能物流装备有限公司", "上海生物医药研发有限公司",
             "长兴电池材料科技有限公司", "芜湖机器人系统有限公司", "义乌化妆品制造有限公司",
             "常州3C结构件有限公司", "宣城节能环保设备有限公司", "宜兴信创电子有限公司"]
NAMES = ["刘先生", "周女士", "吴总", "郑经理", "孙先生", "钱女士", "赵总", "冯经理", "何先生"]
USAGES = {"nev": "动力电池PACK组装", "equipment": "数控机床装配", "materials": "钕铁硼磁材加工",
          "biomedicine": "医疗器械生产", "electronics_3c": "手机中框CNC加工", "ic": "芯片封装测试",
          "ai": "服务器组装与研发", "green": "环保设备制造", "cosmetics": "化妆品灌装",
          "logistics_equipment": "智能仓储设备组装", "xinchuang": "信创整机生产"}
PAGES = ["https://zj.example-changfang.cn/news/huzhou-changxing-factory",
         "https://sh.example-changfang.cn/news/songjiang-g60-park",
         "https://js.example-changfang.cn/listing/suzhou-sip-1000sqm",
         "https://ah.example-changfang.cn/news/xuancheng-land-transfer"]


def ensure_demo_users() -> Team:
    team = db.session.scalars(select(Team).where(Team.name == "长三角招商一组")).first()
    if team is None:
        team = Team(name="长三角招商一组", is_default=True)
        db.session.add(team)
    for email, name, role in DEMO_USERS:
        if db.session.scalars(select(User).where(User.email == email)).first() is None:
            user = User(email=email, name=name, role=role, team=None if role == "admin" else team)
            # What prospects see on the pages of listings sent to them (demo numbers).
            user.contact_phone = f"0572-60{len(email):02d}{len(name):04d}"
            user.contact_wechat = email.split("@")[0] + "_changfang"
            user.set_password(DEMO_PASSWORD)
            db.session.add(user)
    db.session.commit()
    return team


DEMO_SITE = ("浙江厂房网", ["https://zj.example-changfang.cn"])


def ensure_demo_site() -> str:
    """The source site the demo pages embed the form from (an admin sees its snippet)."""
    name, origins = DEMO_SITE
    if sites.name_taken(name):
        return name
    sites.create_site(name, origins)
    return name


def _random_inquiry(rng: random.Random) -> Inquiry:
    industry = rng.choice(list(USAGES))
    property_type = rng.choice(["factory", "factory", "warehouse", "land", "office"])
    unit = "mu" if property_type == "land" else "sqm"
    low = Decimal(rng.choice([20, 30, 50, 80]) if unit == "mu" else rng.choice([800, 1000, 2000, 5000]))
    mobile = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
    return Inquiry(
        contact=ContactInput(name=rng.choice(NAMES), company=rng.choice(COMPANIES),
                             mobile=Mobile("+86" + mobile, f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}")),
        need=NeedInput(
            deal_type="buy" if property_type == "land" else rng.choice(["rent", "rent", "buy"]),
            property_type=property_type, region_code=rng.choice(DEMO_REGIONS),
            area_min=low, area_max=low * 2, area_unit=unit, industry=industry,
            usage=USAGES[industry], needs_eia=rng.choice([True, False, None]),
            annual_tax_wan=Decimal(rng.choice([50, 100, 300, 800, 2000])),
            investment_wan=Decimal(rng.choice([500, 2000, 8000, 30000, 120000]))),
        source=Source(channel=rng.choice(["web", "web", "web", "api", "phone", "wechat"]),
                      page_url=rng.choice(PAGES), utm_source=rng.choice(["baidu", "wechat", "", "toutiao"])),
        consent=True)


def _new_need(inquiry: Inquiry, created: datetime) -> Lead:
    """Save a need as capture does (its lead, its contact and company by crm.intake.match,
    its first stage row), but at a time in the past, and always as a new need: the demo
    says itself which inquiries are new needs of a known contact."""
    lead = capture.lead_from(inquiry)
    lead.created_at = lead.consent_at = created
    found = match.link(inquiry, match.match_inquiry(inquiry, created), created, True,
                       lead.consent_version)
    lead.contact_id, lead.company_id, lead.contact_seq = (
        found.contact_id, found.company_id, found.contact_seq)
    lead.reference = new_reference(created)
    db.session.add(lead)
    db.session.flush()
    stages.record_created(lead)
    return lead


def _work_some_leads(rng: random.Random, ids: list[int]) -> None:
    """Agents call, qualify, visit, win and lose some leads through the real services,
    so the reports of a fresh demo have a funnel to show."""
    from crm.leads import deals, followup

    reasons = list(db.session.scalars(select(LostReason.id).where(LostReason.active.is_(True))))
    signed = 0
    for lead_id in ids:
        lead = db.session.get_one(Lead, lead_id)
        if lead.assigned_to is None or rng.random() < .3:
            continue
        agent = lead.assigned_to
        followup.log_follow_up(lead, agent, "call", "电话沟通需求,客户关注税收政策")
        for stage in ("qualified", "site_visit", "negotiating", "won"):
            if rng.random() < .4:
                if rng.random() < .5 and reasons:
                    followup.change_status(lead, agent, "lost", rng.choice(LOST_REASONS),
                                           lost_reason_id=rng.choice(reasons))
                break
            if stage == "won":  # a need is won by its deal (crm.leads.deals)
                deals.sign(lead, _demo_terms(rng, lead, signed), agent)
                signed += 1
            else:
                followup.change_status(lead, agent, stage)


def _demo_terms(rng: random.Random, lead: Lead, turn: int = 0) -> DealInput:
    """A signed deal for a demo need, in each of the trade's price units in turn: land by
    the 亩 with the park's milestones due, a sale's total, a lease by the day, the month or
    the year; a commission on most, each of its kinds in turn."""
    signed_on = utcnow().date()
    area = lead.area_min_sqm or Decimal(2000)
    kind, rate = [("amount", Decimal(rng.choice([5, 12, 30]))),
                  ("pct_first_year", Decimal(rng.choice([8, 10]))),
                  ("months_rent", Decimal(1)), ("", None)][turn % 4]
    if lead.deal_type == "buy" and kind:
        # A sale's commission is a percent of the price (months of rent apply to a lease only).
        kind, rate = "pct_first_year", Decimal(rng.choice([1, 2]))
    base = DealInput(signed_on=signed_on, price=Decimal(0), price_unit="", area=area,
                     property_text="园区厂房", commission_kind=kind, commission_rate=rate,
                     commission_due_on=signed_on + timedelta(days=30) if kind else None)
    if lead.deal_type == "buy" and lead.property_type == "land":
        return replace(base, price=Decimal(rng.choice([45, 60, 80])), price_unit="wan_mu",
                       area=(area / Decimal(str(SQM_PER_MU))).quantize(Decimal("0.1")),
                       area_unit="mu", property_text="工业用地",
                       investment_wan=lead.investment_wan, annual_tax_wan=lead.annual_tax_wan,
                       jobs=rng.choice([80, 150, 300]),
                       milestones_due={"land_or_move_in": signed_on + timedelta(days=90),
                                       "construction": signed_on + timedelta(days=180),
                                       "production": signed_on + timedelta(days=540)})
    if lead.deal_type == "buy":
        return replace(base, price=Decimal(rng.choice([800, 1500, 3800])), price_unit="wan_total",
                       investment_wan=lead.investment_wan, annual_tax_wan=lead.annual_tax_wan)
    unit = ["yuan_sqm_day", "yuan_sqm_month", "wan_year"][turn % 3]
    price = {"yuan_sqm_day": Decimal(rng.choice(["0.6", "0.8", "1.0"])),
             "yuan_sqm_month": Decimal(rng.choice([18, 24, 30])),
             "wan_year": Decimal(rng.choice([40, 85, 160]))}[unit]
    return replace(base, price=price, price_unit=unit, term_months=rng.choice([24, 36, 60]),
                   rent_free_months=Decimal(rng.choice([0, 1, 2])),
                   deposit_wan=Decimal(rng.choice([5, 10, 20])),
                   start_on=signed_on + timedelta(days=15))


LOST_REASONS = ["选择了其他园区", "租金/价格超预算", "税收达不到园区要求", "面积不匹配"]


def _spread_in_time(rng: random.Random, ids: list[int], now) -> None:
    """The services above stamp everything "now"; a history happens over days. Each lead's
    assignment follows its arrival by seconds, the first call by minutes to hours, and each
    later step by days, never past now; stage rows and deadlines follow their activities,
    so the ranking and the funnel by month show what a real month would."""
    from crm.leads.followup import CONTACT_KINDS
    from crm.models import Activity, LeadStage
    for lead in db.session.scalars(select(Lead).where(Lead.id.in_(ids))):
        room = (now - lead.created_at).total_seconds()
        cursor = lead.created_at + timedelta(seconds=min(rng.uniform(1, 20), room / 100))
        if lead.routed_at is not None:
            lead.routed_at = lead.assigned_at = cursor
            minutes = engine.lead_sla_minutes(lead)
            for name, value in engine.sla_deadlines(cursor, minutes, lead.team).items():
                setattr(lead, name, value)
        reached: dict[str, datetime] = {}
        steps = list(db.session.scalars(select(Activity).where(Activity.lead_id == lead.id)
                                        .order_by(Activity.id)))
        contacted = False
        for step in steps:
            if step.kind == "assignment":
                step.created_at = lead.assigned_at or cursor
                continue
            gap = (rng.lognormvariate(math.log(25), 1) * 60 if not contacted
                   else rng.lognormvariate(math.log(3), .6) * 86400)
            left = (now - cursor).total_seconds()
            cursor += timedelta(seconds=min(gap, left * rng.uniform(.2, .6)))
            step.created_at = cursor
            if step.kind in CONTACT_KINDS and not contacted:
                contacted = True
                lead.first_contact_at = cursor
            if step.to_status:
                reached.setdefault(step.to_status, cursor)
        for row in db.session.scalars(select(LeadStage).where(LeadStage.lead_id == lead.id)):
            row.reached_at = lead.created_at if row.stage == "new" else reached.get(
                row.stage, row.reached_at)
    db.session.commit()


def seed(n_leads: int, seed_value: int = 7) -> str:
    rng = random.Random(seed_value)
    ensure_demo_users()
    site_name = ensure_demo_site()
    now = utcnow()
    seed_parks()
    # The people (a 同行, a company's two people, a returning prospect) are among
    # the leads asked for, when there is room for them.
    stories = _seed_stories(now) if n_leads >= STORY_LEADS else {}
    ids = []
    for i in range(n_leads - len(stories)):
        created = now - timedelta(minutes=rng.randrange(0, 60 * 24 * 30))
        inquiry = _random_inquiry(rng)
        if i < len(BEYOND_THE_OLD_TREE):   # places the hand-written tree had no room for
            inquiry = replace(inquiry, need=replace(inquiry.need, region_code=BEYOND_THE_OLD_TREE[i]))
        ids.append(_new_need(inquiry, created).id)
    db.session.commit()
    for lead_id in [*stories, *ids]:
        engine.route_lead(lead_id)
    _work_some_leads(rng, ids)
    _work_stories(stories)
    _spread_in_time(rng, [*stories, *ids], utcnow())
    _seed_listings()
    _seed_money(rng, ids)
    _seed_agents_own_clients()
    from crm.leads import scoring
    for lead in db.session.scalars(select(Lead).where(Lead.id.in_([*stories, *ids]))):
        scoring.refresh(lead)
    db.session.commit()
    logins = ", ".join(email for email, _, _ in DEMO_USERS)
    return (f"seeded {n_leads} leads and the source site {site_name}; "
            f"demo logins: {logins} (password {DEMO_PASSWORD})")


def _story(name: str, mobile: str, company: str, need: NeedInput, channel: str,
           message: str) -> Inquiry:
    digits = mobile.replace(" ", "")
    return Inquiry(contact=ContactInput(name=name, mobile=Mobile("+86" + digits, mobile),
                                        company=company),
                   need=need, source=Source(channel=channel), message=message, consent=True)


PEER_MOBILE, PEER_FIRM = "138 6170 2231", "苏州某某产业地产经纪有限公司"
# (days ago, inquiry, what happens to it): one of each of the cases.
STORIES = [
    # A 同行 (peer broker) brings three clients' needs in one week, each for another company.
    (6, _story("钱经理", PEER_MOBILE, "昆山某某精密模具有限公司", NeedInput(
        deal_type="rent", property_type="factory", region_code="320583", area_min=Decimal(2000),
        area_max=Decimal(3000), industry="equipment", usage="精密模具加工"),
        "wechat", "同行，帮客户找昆山的厂房，单层优先"), "open"),
    (4, _story("钱经理", PEER_MOBILE, "无锡某某光伏材料有限公司", NeedInput(
        deal_type="buy", property_type="land", region_code="320282", area_min=Decimal(30),
        area_max=Decimal(50), area_unit="mu", industry="materials", usage="光伏背板材料生产",
        annual_tax_wan=Decimal(800)), "phone", "还是我，另一个客户想在宜兴拿地"), "open"),
    (1, _story("钱经理", PEER_MOBILE, "上海某某医疗器械有限公司", NeedInput(
        deal_type="rent", property_type="factory", region_code="310117", area_min=Decimal(1000),
        area_max=Decimal(1500), industry="biomedicine", usage="医疗器械生产", needs_eia=True),
        "wechat", "第三个客户，松江医疗器械，要能办环评"), "open"),
    # One company, two people: the general manager wants land, purchasing a warehouse.
    (9, _story("陈总", "139 5741 8802", "宁波某某智能装备有限公司", NeedInput(
        deal_type="buy", property_type="land", region_code="330206", area_min=Decimal(40),
        area_max=Decimal(60), area_unit="mu", industry="logistics_equipment",
        usage="智能仓储设备组装", investment_wan=Decimal(30000)), "web", ""), "open"),
    (3, _story("林经理", "135 8670 3316", "宁波某某智能装备有限公司", NeedInput(
        deal_type="rent", property_type="warehouse", region_code="330206",
        area_min=Decimal(3000), area_max=Decimal(5000), industry="logistics_equipment",
        usage="成品仓储"), "phone", "我们公司陈总也在找地，我这边先租个仓库过渡"), "open"),
    # A returning prospect: a warehouse rented through us last year, now land to build on.
    (300, _story("黄总", "139 0519 6628", "常州某某新能源科技有限公司", NeedInput(
        deal_type="rent", property_type="warehouse", region_code="3204", area_min=Decimal(2000),
        area_max=Decimal(3000), industry="nev", usage="电池包仓储"), "web", ""), "won"),
    (2, _story("黄总", "139 0519 6628", "常州某某新能源科技有限公司", NeedInput(
        deal_type="buy", property_type="land", region_code="330522", area_min=Decimal(50),
        area_max=Decimal(80), area_unit="mu", industry="nev", usage="动力电池PACK组装",
        annual_tax_wan=Decimal(2000)), "phone", "去年在常州租的仓库满了，想在长兴买地自建"),
     "open"),
]
STORY_LEADS = len(STORIES)


def _seed_stories(now: datetime) -> dict[int, str]:
    """The issue's cases, oldest first so each contact's needs are numbered as they came:
    lead id → what happens to it."""
    out = {}
    for days, inquiry, fate in sorted(STORIES, key=lambda s: -s[0]):
        out[_new_need(inquiry, now - timedelta(days=days, hours=3)).id] = fate
    # Nothing in intake tells a 同行 from a prospect: an agent marks them (the demo does it
    # here) and files them under their own firm rather than their first client's.
    peer = db.session.scalars(select(Contact).where(
        Contact.mobile_e164 == "+86" + PEER_MOBILE.replace(" ", ""))).one()
    firm = db.session.scalars(select(Company).where(Company.name_key == name_key(PEER_FIRM))).first()
    if firm is None:
        firm = Company(created_at=peer.created_at, name=PEER_FIRM, name_key=name_key(PEER_FIRM))
        db.session.add(firm)
        db.session.flush()
    peer.is_peer, peer.company_id = True, firm.id
    return out


def _work_stories(stories: dict[int, str]) -> None:
    """The returning prospect's first need went all the way to a signed lease."""
    from crm.leads import deals, followup
    for lead_id, fate in stories.items():
        lead = db.session.get_one(Lead, lead_id)
        if fate != "won" or lead.assigned_to is None:
            continue
        followup.log_follow_up(lead, lead.assigned_to, "call", "电话沟通需求，客户看过常州两处仓库")
        for stage in ("qualified", "site_visit", "negotiating"):
            followup.change_status(lead, lead.assigned_to, stage)
        # A need is won by its deal (crm.leads.deals): a three-year warehouse lease.
        deals.sign(lead, _demo_terms(random.Random(lead_id), lead), lead.assigned_to)


def _sign_each_unit(rng: random.Random, ids: list[int]) -> None:
    """The price units the random wins missed: an open need walked to 洽谈 and signed in
    it, so the deal pages show land by the 亩 and rents by the month and the year."""
    from crm.choices import OPEN_STATUSES
    from crm.leads import deals, followup
    from crm.models import Deal
    have = set(db.session.scalars(select(Deal.price_unit).distinct()))
    for turn, unit in ((0, "wan_mu"), (1, "yuan_sqm_month"), (2, "wan_year")):
        if unit in have:
            continue
        kind = ((Lead.deal_type == "buy") & (Lead.property_type == "land") if unit == "wan_mu"
                else (Lead.deal_type == "rent"))
        lead = db.session.scalars(select(Lead).where(
            Lead.id.in_(ids), kind, Lead.assigned_to_id.is_not(None),
            Lead.status.in_(("new", "contacted", "qualified"))).order_by(Lead.id)).first()
        if lead is None or lead.assigned_to is None:
            continue
        agent = lead.assigned_to
        for stage in OPEN_STATUSES[OPEN_STATUSES.index(lead.status) + 1:]:
            followup.change_status(lead, agent, stage)
        deals.sign(lead, _demo_terms(rng, lead, turn), agent)


def _seed_money(rng: random.Random, ids: list[int]) -> None:
    """What the deal reports, the forecast and Source ROI read: a lease signed on part of a
    divisible listing (which shows it part-let), a contract that fell through and re-opened
    its need, expected values on open needs, and two months of spend per source."""
    from crm.inputs.pipeline import Expectation
    from crm.inputs.spend import SpendInput
    from crm.intake import spend
    from crm.leads import deals, followup, pipeline
    from crm.models import Deal, Listing, SourceSite

    today = utcnow().date()
    negotiating = [(lead, lead.assigned_to) for lead in db.session.scalars(
        select(Lead).where(Lead.id.in_(ids), Lead.status.in_(("site_visit", "negotiating")))
        .order_by(Lead.id)) if lead.assigned_to is not None]
    listing = db.session.scalars(select(Listing).where(
        Listing.divisible.is_(True), Listing.deal_type == "rent").order_by(Listing.id)).first()
    rents = [pair for pair in negotiating if pair[0].deal_type == "rent"]
    if listing is not None and listing.price is not None and rents:
        lead, agent = rents[0]
        if lead.status != "negotiating":
            followup.change_status(lead, agent, "negotiating")
        deals.sign(lead, DealInput(
            signed_on=today, price=listing.price, price_unit="yuan_sqm_day",
            listing_id=listing.id, area=(listing.area_sqm / 2).quantize(Decimal(1)),
            term_months=36, rent_free_months=Decimal(2), start_on=today + timedelta(days=15),
            commission_kind="months_rent", commission_rate=Decimal(1),
            commission_due_on=today + timedelta(days=30)), agent)
        negotiating.remove(rents[0])
    _sign_each_unit(rng, ids)
    signed = db.session.scalars(select(Deal).where(
        Deal.status == "signed", Deal.listing_id.is_(None), Deal.lead_id.in_(ids))
        .order_by(Deal.id)).first()
    actor = (signed.lead.assigned_to or signed.agent) if signed is not None else None
    if signed is not None and actor is not None:
        deals.fall_through(signed, actor, "客户总部未批准，合同未履行")
    for lead, agent in negotiating:
        value = pipeline.suggested_value(lead) or Decimal(rng.choice([60, 180, 450, 1200]))
        pipeline.set_expectation(lead, Expectation(
            value, today + timedelta(days=rng.choice([20, 45, 75, 120]))), agent)
    admin = db.session.scalars(select(User).where(User.email == DEMO_USERS[0][0])).one()
    month = today.replace(day=1)
    last = (month - timedelta(days=1)).replace(day=1)
    site_ids = list(db.session.scalars(select(SourceSite.id).order_by(SourceSite.id)))
    for when in (last, month):
        rows = [SpendInput(when, None, "api", None, Decimal(rng.choice([3000, 5000]))),
                SpendInput(when, None, "wechat", None, Decimal(rng.choice([1500, 2500])))]
        rows += [SpendInput(when, site_id, None, None, Decimal(rng.choice([8000, 12000])))
                 for site_id in site_ids]
        for data in rows:
            if not spend.taken(data):
                spend.save(admin, data)


# Prospects an agent brought in themselves (客户保护期), one known only by WeChat.
OWN_CLIENTS = [
    {"contact_name": "周总", "wechat_id": "zhou_nev2026", "company": "宁波某某汽配有限公司",
     "message": "朋友介绍，只加了微信", "channel": "wechat", "property_type": "factory",
     "deal_type": "rent", "area_min": "3000", "area_max": "5000"},
    {"contact_name": "吴经理", "mobile": "139 1234 5678", "wechat_id": "同手机号",
     "company": "合肥某某新材料有限公司", "channel": "phone", "property_type": "land",
     "deal_type": "buy", "area_min": "30", "area_unit": "mu"},
]


def _seed_agents_own_clients() -> None:
    """Through agent entry, as 李招商 typing in two of their own contacts."""
    from werkzeug.datastructures import MultiDict

    from crm.intake.capture import capture_by_agent
    from crm.web.agent.forms import AgentInquiryForm
    agent = db.session.scalars(select(User).where(User.email == "agent1@example.com")).one()
    for client in OWN_CLIENTS:
        form = AgentInquiryForm(formdata=MultiDict({**client, "consent": "y"}),
                                meta={"csrf": False})
        if form.validate():
            capture_by_agent(form.to_inquiry(channel=form.channel.data), agent)


DEMO_LISTINGS = [
    # (title, type, deal, region, park, ㎡, price, eia, divisible)
    ("长兴经济开发区独栋厂房", "factory", "rent", "330522", "长兴经济开发区", 3000, "0.85", True, True),
    ("松江G60标准厂房", "factory", "rent", "310117P01", "G60科创走廊", 1000, "1.6", False, True),
    ("嘉兴高标仓库", "warehouse", "rent", "3304", "", 8000, "1.1", False, True),
    ("南太湖新区工业用地", "land", "buy", "330502P01", "南太湖新区", 11875.3, "1104", True, False),
    ("苏州工业园区研发办公", "office", "rent", "320576", "苏州工业园区", 600, "3.2", False, False),
    ("宣城广德厂房出售", "factory", "buy", "341882", "广德经开区", 5000, "2600", True, False),
    ("昆山高新区标准厂房", "factory", "rent", "320583", "昆山高新区", 2400, "1.2", True, True),
    ("宁波北仑保税区仓库", "warehouse", "rent", "330206", "宁波保税区", 6000, "0.95", False, True),
    ("合肥经开区工业用地", "land", "buy", "340177", "合肥经开区", 20000, "1800", True, False),
]


# What the buildings have (层高, 行车, 配电, 承重, 独门独院), so a need's requirements match.
DEMO_BUILDINGS = {
    "长兴经济开发区独栋厂房": dict(floors=1, ceiling_height_m=Decimal("9"), crane_t=Decimal("10"),
                          power_kva=800, floor_load_t=Decimal("3"), standalone=True),
    "松江G60标准厂房": dict(floors=4, ceiling_height_m=Decimal("4.5"), crane_t=Decimal("0"),
                      power_kva=400, floor_load_t=Decimal("0.8"), standalone=False),
    "嘉兴高标仓库": dict(floors=1, ceiling_height_m=Decimal("10"), floor_load_t=Decimal("3"),
                    standalone=True),
    "宣城广德厂房出售": dict(floors=1, ceiling_height_m=Decimal("12"), crane_t=Decimal("20"),
                      power_kva=1250, floor_load_t=Decimal("5"), standalone=True),
    "昆山高新区标准厂房": dict(floors=3, ceiling_height_m=Decimal("6"), crane_t=Decimal("0"),
                       power_kva=500, floor_load_t=Decimal("1.5"), standalone=False),
}


# Where demo leads want to be: cities, counties and parks of the Yangtze River Delta
# (every place of the old hand-written tree, and 昆山, 宁波, 合肥经开区 beyond it).
DEMO_REGIONS = [
    "310117", "310117P01", "310117P02", "310117P03", "310117P04", "310117P05", "310117P06",
    "310115P01", "31P01", "3305", "330522", "330523", "330502", "330502P01", "3304", "3301",
    "3307", "330782", "3306", "3308", "3205", "320576", "320581", "3204", "320481", "3202",
    "320282", "3401", "3402", "3418", "341882", "341821", "320583", "3302", "330206", "340177",
]


# The first demo leads: 昆山市, 宁波 / 北仑区, 合肥经开区.
BEYOND_THE_OLD_TREE = ("320583", "330206", "340177")


def _seed_listings() -> None:
    from crm.models import Listing
    if db.session.scalars(select(Listing.id).limit(1)).first() is not None:
        return
    # Entered by an agent (who may edit them, with their photos) or the manager.
    owners = [db.session.scalars(select(User.id).where(User.email == email)).one()
              for email in ("agent1@example.com", "manager@example.com")]
    for n, (title, kind, deal, region, park, area, price, eia, divisible) in enumerate(
            DEMO_LISTINGS):
        db.session.add(Listing(title=title, property_type=kind, deal_type=deal, region_code=region,
                               park=park, area_sqm=Decimal(str(area)), price=Decimal(price),
                               eia_possible=eia, divisible=divisible,
                               created_by_id=owners[n % 2], **DEMO_BUILDINGS.get(title, {})))
    db.session.commit()
    from crm.demo.photos import seed_photos
    admin = db.session.scalars(select(User).where(User.email == DEMO_USERS[0][0])).one()
    seed_photos(admin)

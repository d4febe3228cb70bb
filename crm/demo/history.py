"""Demo data at scale: 18 months of leads with their whole history, bulk-loaded.

Teams by source region and by industry track (DOMAIN.md), agents of varying speed and
skill, leads with plausible sources, places, sizes, tax and investment, each carried
through the stage machine with timestamps, lost reasons and follow-ups. Rows go in with
COPY on PostgreSQL (a million leads in minutes) and executemany on SQLite.

Meant for an empty or demo database: lead ids are taken from max(id) + 1, so do not run
it while real inquiries are being captured.
"""
import math
import random
import time as clock
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, insert, select, text
from werkzeug.security import generate_password_hash

from crm.demo.seed import (
    COMPANIES,
    DEMO_PASSWORD,
    DEMO_REGIONS,
    NAMES,
    USAGES,
    ensure_demo_users,
    seed_parks,
)
from crm.extensions import db
from crm.inputs.text import search_key
from crm.intake.reference import ALPHABET
from crm.leads.stages import PIPELINE
from crm.models import Activity, Lead, LeadStage, Role, Team, User
from crm.models.types import utcnow
from crm.routing.engine import sla_deadlines

UTC = UTC
DAYS = 548  # 18 months
CHUNK = 20_000

# (slug, team name, province it serves or None, industry tracks it owns)
TEAMS = [
    ("sh", "上海招商组", "31", ()),
    ("sn", "苏南招商组", "32", ()),
    ("zj", "浙江招商组", "33", ()),
    ("ah", "安徽招商组", "34", ()),
    ("nev", "新能源汽车赛道组", None, ("nev",)),
    ("ic", "集成电路与信创赛道组", None, ("ic", "ai", "xinchuang")),
    ("bio", "生物医药赛道组", None, ("biomedicine", "cosmetics")),
]
AGENTS_PER_TEAM = 6
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "涛", "明", "超", "霞", "平", "刚",
         "婷", "宇", "浩", "晨", "佳怡", "子涵", "欣然", "俊杰", "思远", "雨桐", "志强", "海燕"]

SITES = {"31": "sh", "32": "js", "33": "zj", "34": "ah"}   # province code → site host
ARTICLES = ["factory-for-rent", "warehouse-lease", "land-transfer", "park-policy", "g60-corridor",
            "standard-factory", "single-building", "eia-approved-plant", "logistics-park",
            "new-energy-base", "ic-industrial-park", "biomedicine-park", "tax-incentives",
            "investment-fair", "office-in-park", "cold-chain-warehouse"]
UTM = [("baidu", "cpc", 30), ("", "", 25), ("wechat", "social", 14), ("toutiao", "cpc", 9),
       ("baidu", "organic", 8), ("360", "cpc", 4), ("sogou", "organic", 3), ("zhihu", "referral", 3),
       ("douyin", "social", 4)]
CAMPAIGNS = ["", "", "yrd-factory-2025", "g60-investment", "spring-land", "autumn-warehouse"]
CHANNELS = [("web", 62), ("api", 10), ("phone", 14), ("wechat", 12), ("import", 2)]
INDUSTRY_WEIGHTS = [("nev", 16), ("equipment", 15), ("materials", 10), ("biomedicine", 8),
                    ("electronics_3c", 10), ("ic", 7), ("ai", 5), ("green", 7), ("cosmetics", 5),
                    ("logistics_equipment", 8), ("xinchuang", 4), ("other", 5)]
PROPERTY_WEIGHTS = [("factory", 55), ("warehouse", 20), ("land", 15), ("office", 10)]
HOUR_WEIGHTS = [1, .5, .3, .2, .2, .4, 1, 2, 4, 8, 9, 8, 5, 6, 8, 8, 7, 6, 4, 3, 3, 2, 1.5, 1]
LOST_REASONS = {
    "new": ["联系不上/空号", "联系不上/空号", "需求为住宅或商铺,非产业项目", "同行咨询"],
    "contacted": ["面积不匹配", "预算不足", "暂无实际需求", "联系不上/空号"],
    "qualified": ["税收达不到园区要求", "环评无法通过", "面积不匹配", "区位/交通不合适"],
    "site_visit": ["选择了其他园区", "区位/交通不合适", "厂房层高/承重不符合", "租金/价格超预算"],
    "negotiating": ["租金/价格超预算", "选择了其他园区", "项目取消或延期", "政策条件谈不拢"],
}
# Median days from the previous stage, and the chance to move on from each stage.
STAGE_GAP_DAYS = {"qualified": 2, "site_visit": 6, "negotiating": 9, "won": 18}
ADVANCE = {"contacted": .52, "qualified": .55, "site_visit": .5, "negotiating": .5}
NOTES = {"call": ["电话沟通需求,客户关注税收政策", "已电话联系,约下周看厂", "客户要求发送厂房资料"],
         "wechat": ["已加微信,发送园区介绍与厂房图片", "微信沟通用途与环评要求"],
         "site_visit": ["陪同客户实地看厂", "客户带技术团队复看厂房"],
         "note": ["等待客户内部决策", "已提交项目评审材料"]}

LEAD_COLUMNS = ["id", "reference", "created_at", "channel", "deal_type", "property_type",
                "region_code", "region_text", "area_min_sqm", "area_max_sqm", "area_unit",
                "industry", "usage", "needs_eia", "annual_tax_wan", "investment_wan", "company",
                "contact_name", "mobile_e164", "mobile_display", "mobile_note",
                "contact_preference", "wechat_id", "email", "message", "consent", "consent_at",
                "consent_version", "status", "lost_reason", "stage_rank", "team_id",
                "assigned_to_id", "assigned_at", "routed_at", "sla_started_at", "sla_half_at", "sla_due_at",
                "first_contact_at", "page_url",
                "referrer", "utm_source", "utm_medium", "utm_campaign", "search_text"]
STAGE_COLUMNS = ["lead_id", "stage", "reached_at"]
ACTIVITY_COLUMNS = ["lead_id", "kind", "author_id", "body", "from_status", "to_status",
                    "next_follow_up", "created_at"]


def _weighted(pairs):
    values = [v for v, _ in pairs]
    cum, total = [], 0
    for _, w in pairs:
        total += w
        cum.append(total)
    return values, cum


class _Agent:
    __slots__ = ("id", "name", "team_id", "speed", "skill")

    def __init__(self, user: User, rng: random.Random):
        self.id, self.name, self.team_id = user.id, user.name, user.team_id
        self.speed = rng.uniform(.5, 2.2)   # multiplies first-contact delay
        self.skill = rng.uniform(.75, 1.25)  # multiplies the chance to move on


def ensure_teams(rng: random.Random) -> tuple[dict[str, int], dict[str, list[_Agent]]]:
    """The demo users plus regional and track teams, each with a manager; and an admin."""
    default_team = ensure_demo_users()
    password_hash = generate_password_hash(DEMO_PASSWORD)  # hashed once: scrypt is slow
    teams = {"default": default_team}
    for slug, name, _province, _tracks in TEAMS:
        team = db.session.scalars(select(Team).where(Team.name == name)).first()
        if team is None:
            team = Team(name=name, is_default=False)
            db.session.add(team)
        teams[slug] = team
        wanted = [(f"{slug}.manager@example.com", "manager")] + [
            (f"{slug}.agent{i}@example.com", "agent") for i in range(1, AGENTS_PER_TEAM + 1)]
        for email, role in wanted:
            if db.session.scalars(select(User.id).where(User.email == email)).first() is None:
                person = rng.choice(SURNAMES) + rng.choice(GIVEN)
                db.session.add(User(email=email, role=role, team=team, password_hash=password_hash,
                                    name=person + ("经理" if role == "manager" else "")))
    if db.session.scalars(select(User.id).where(User.email == "admin@example.com")).first() is None:
        db.session.add(User(email="admin@example.com", name="管理员", role="admin",
                            password_hash=password_hash))
    db.session.commit()
    agents = {}
    for slug, team in teams.items():
        members = db.session.scalars(select(User).where(
            User.team_id == team.id, User.role == Role.AGENT, User.active.is_(True)).order_by(User.id))
        agents[slug] = [_Agent(u, rng) for u in members]
    return {slug: team.id for slug, team in teams.items()}, agents


def _day_counts(n: int, days: list[date], rng: random.Random) -> list[int]:
    """Leads per day: growing over the 18 months, fewer at weekends, a little noise."""
    weights = []
    for i, day in enumerate(days):
        w = (1 + .8 * i / len(days)) * (.4 if day.weekday() >= 5 else 1) * rng.uniform(.8, 1.2)
        weights.append(w)
    total = sum(weights)
    counts = [int(n * w / total) for w in weights]
    for i in rng.sample(range(len(days)), n - sum(counts)) if n > sum(counts) else []:
        counts[i] += 1
    return counts


def _reference(day: date, counter: int) -> str:
    # A bijection of the day's counter onto five letters: unique within a day, looks random.
    value = (counter * 7_919_423 + 1_234_567) % 31 ** 5
    chars = []
    for _ in range(5):
        value, digit = divmod(value, 31)
        chars.append(ALPHABET[digit])
    return f"CF{day:%y%m%d}-" + "".join(chars)


class _Generator:
    def __init__(self, rng, team_ids, agents, now, tz):
        self.rng, self.team_ids, self.agents, self.now, self.tz = rng, team_ids, agents, now, tz
        self.sla_minutes = current_app.config["CRM_SLA_MINUTES"]
        self.channels = _weighted(CHANNELS)
        self.industries = _weighted(INDUSTRY_WEIGHTS)
        self.properties = _weighted(PROPERTY_WEIGHTS)
        self.utm = _weighted([((s, m), w) for s, m, w in UTM])
        self.hours = _weighted(list(enumerate(HOUR_WEIGHTS)))
        self.regions = DEMO_REGIONS
        self.track_team = {track: slug for slug, _n, _p, tracks in TEAMS for track in tracks}
        self.province_team = {p: slug for slug, _n, p, _t in TEAMS if p}
        self.pages = {site: [f"https://{site}.example-changfang.cn/news/{a}" for a in ARTICLES]
                      for site in SITES.values()}

    def pick(self, table):
        values, cum = table
        return values[_bisect(cum, self.rng.random() * cum[-1])]

    def lead(self, lead_id: int, reference: str, created: datetime):
        rng = self.rng
        channel = self.pick(self.channels)
        industry = self.pick(self.industries)
        property_type = self.pick(self.properties)
        region = rng.choice(self.regions) if rng.random() > .08 else None
        province = region[:2] if region else rng.choice(list(SITES))
        unit = "mu" if property_type == "land" else "sqm"
        if unit == "mu":
            low_sqm = int(rng.choice((10, 20, 30, 50, 80, 120)) * 666.67)
        else:
            low_sqm = rng.choice((300, 500, 800, 1000, 2000, 3000, 5000, 10000, 20000))
        big = rng.random()
        investment = (None if rng.random() < .3 else
                      int(rng.lognormvariate(math.log(3000), 1.3)) // 10 * 10 + 10)
        tax = (None if rng.random() < .4 else
               int(rng.lognormvariate(math.log(150), 1.1)) // 5 * 5 + 5)
        mobile = f"1{rng.choice('3456789')}{rng.randrange(10 ** 9):09d}"
        web = channel in ("web", "api")
        if web:
            page = rng.choice(self.pages[SITES[province]])
            utm_source, utm_medium = self.pick(self.utm)
            campaign = rng.choice(CAMPAIGNS) if utm_medium == "cpc" else ""
        else:
            page, utm_source, utm_medium, campaign = "", "", "", ""
        row = {
            "id": lead_id, "reference": reference, "created_at": created, "channel": channel,
            "deal_type": "buy" if unit == "mu" else ("rent" if rng.random() < .7 else "buy"),
            "property_type": property_type, "region_code": region, "region_text": "",
            "area_min_sqm": low_sqm, "area_max_sqm": low_sqm * 2, "area_unit": unit,
            "industry": industry, "usage": USAGES.get(industry, "综合制造"),
            "needs_eia": rng.choice((True, False, None)), "annual_tax_wan": tax,
            "investment_wan": investment, "company": rng.choice(COMPANIES),
            "contact_name": rng.choice(NAMES), "mobile_e164": "+86" + mobile,
            "mobile_display": f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}", "mobile_note": "",
            "contact_preference": "wechat" if channel == "wechat" else "phone", "wechat_id": "",
            "email": "", "message": "", "consent": True, "consent_at": created,
            "consent_version": "2026-11", "status": "new", "lost_reason": "", "stage_rank": 0,
            "team_id": None, "assigned_to_id": None, "assigned_at": None, "routed_at": None,
            "sla_half_at": None, "sla_due_at": None, "sla_started_at": None, "sla_provisional": False,
            "first_contact_at": None, "page_url": page, "referrer": "",
            "utm_source": utm_source, "utm_medium": utm_medium, "utm_campaign": campaign,
        }
        # What the ORM's hook would store (COPY bypasses it): the queue's search reads it.
        row["search_text"] = search_key(row["contact_name"], row["company"], row["usage"],
                                        row["region_text"], row["message"])
        stages: list[tuple] = []
        activities: list[tuple] = []
        if web and rng.random() < .04:  # caught by the spam filter: never a lead
            row["status"] = "spam"
            return row, stages, activities
        # Routing: the industry track first, then the province, else the default team.
        slug = self.track_team.get(industry) if rng.random() < .7 else None
        slug = slug or (self.province_team.get(region[:2]) if region else None) or "default"
        agent = rng.choice(self.agents[slug]) if self.agents[slug] else None
        row["team_id"] = self.team_ids[slug]
        row["routed_at"] = created + timedelta(seconds=rng.uniform(.3, 4))
        stages.append((lead_id, "new", created))
        if agent is None:
            return row, stages, activities
        assigned = row["routed_at"]
        row["assigned_to_id"], row["assigned_at"] = agent.id, assigned
        # The deadlines routing would set: working minutes, as the SLA sweeper counts them.
        row.update(sla_deadlines(assigned, self.sla_minutes))
        activities.append((lead_id, "assignment", None, f"已分配给{agent.name}", None, None, None,
                           assigned))
        quality = 1.15 if (investment or 0) >= 30000 or (tax or 0) >= 1000 else 1.0
        self._progress(row, stages, activities, agent, quality, created, big)
        return row, stages, activities

    def _progress(self, row, stages, activities, agent, quality, created, big):
        rng, now, lead_id = self.rng, self.now, row["id"]

        def move(stage, when, body=""):
            activities.append((lead_id, "status_change", agent.id, body, row["status"], stage,
                               None, when))
            row["status"] = stage
            if stage in RANK and RANK[stage] > row["stage_rank"]:
                row["stage_rank"] = RANK[stage]
            if not any(s == stage for _, s, _ in stages):
                stages.append((lead_id, stage, when))

        def lose(stage, when):
            if when < now:
                reason = rng.choice(LOST_REASONS[stage])
                row["lost_reason"] = reason
                move("lost", when, reason)
                return True
            return False

        # First contact: minutes in office hours, often the next morning at night.
        if rng.random() > .88:
            lose("new", created + timedelta(days=rng.uniform(2, 10)))
            return
        delay = rng.lognormvariate(math.log(12 * agent.speed), 1.1) * 60
        local = created.astimezone(self.tz)
        if not 8 <= local.hour < 20 and rng.random() < .75:
            morning = datetime.combine(local.date() + timedelta(days=local.hour >= 20), time(9),
                                       self.tz)
            delay = max(delay, (morning - created).total_seconds() + rng.uniform(0, 5400))
        contacted = created + timedelta(seconds=delay)
        if contacted >= now:
            return
        row["first_contact_at"] = contacted
        kind = "wechat" if row["contact_preference"] == "wechat" else "call"
        activities.append((lead_id, kind, agent.id, rng.choice(NOTES[kind]), None, None, None,
                           contacted))
        when, stage = contacted, "contacted"
        if rng.random() < .03:
            move("qualified", contacted)  # qualified on the first call: contacted is implied
            stage = "qualified"
        else:
            move("contacted", contacted)
        path = ["contacted", "qualified", "site_visit", "negotiating", "won"]
        while stage != "won":
            if rng.random() > ADVANCE[stage] * agent.skill * quality:
                # Stuck here: most are closed as lost later, some just stay open.
                if rng.random() < .85:
                    lose(stage, when + timedelta(days=rng.lognormvariate(math.log(10), .8)))
                break
            nxt = path[path.index(stage) + 1]
            skip = {"contacted": .1, "qualified": .1, "site_visit": .08}.get(stage, 0)
            if rng.random() < skip and nxt != "won":
                nxt = path[path.index(nxt) + 1]
            when = when + timedelta(days=rng.lognormvariate(math.log(STAGE_GAP_DAYS[nxt]), .7))
            if when >= now:
                break
            if nxt == "site_visit":
                activities.append((lead_id, "site_visit", agent.id, rng.choice(NOTES["site_visit"]),
                                   None, None, None, when))
            elif rng.random() < .3:
                activities.append((lead_id, "note", agent.id, rng.choice(NOTES["note"]), None, None,
                                   (when + timedelta(days=7)).date(), when))
            move(nxt, when)
            stage = nxt
        self._reopen(row, activities, move, big)

    def _reopen(self, row, activities, move, big):
        # A few deals come back: a lost prospect calls again, a signed contract falls through.
        rng, now = self.rng, self.now
        back = activities[-1][7] + timedelta(days=rng.uniform(20, 60))
        if back >= now:
            return
        if row["status"] == "lost" and big < .05:
            row["lost_reason"] = ""
            move("contacted", back)
            if big < .015 and back + timedelta(days=30) < now:
                move("won", back + timedelta(days=30))  # won counts once: the row exists or not
        elif row["status"] == "won" and big > .97:
            move("negotiating", back)
            if big > .985 and back + timedelta(days=20) < now:
                move("won", back + timedelta(days=20))


RANK = {stage: i for i, stage in enumerate(PIPELINE)}


def _bisect(cum, x):
    lo, hi = 0, len(cum) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def seed_history(n_leads: int, seed_value: int = 7,
                 progress: Callable[[str], None] = lambda _msg: None) -> str:
    """Insert n_leads over the last 18 months, with stage history and follow-ups."""
    started = clock.monotonic()
    rng = random.Random(seed_value)
    tz = ZoneInfo("Asia/Shanghai")
    team_ids, agents = ensure_teams(rng)
    seed_parks()   # the demo leads name parks too
    now = utcnow()
    today = now.astimezone(tz).date()
    days = [today - timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    counts = _day_counts(n_leads, days, rng)
    next_id = (db.session.scalar(select(func.max(Lead.id))) or 0) + 1
    taken = set()
    if next_id > 1:
        lo = datetime.combine(days[0], time.min, tz)
        taken = set(db.session.scalars(select(Lead.reference).where(Lead.created_at >= lo)))
    gen = _Generator(rng, team_ids, agents, now, tz)
    writer = _PostgresWriter() if db.engine.dialect.name == "postgresql" else _SqliteWriter()
    hours = gen.hours
    leads, stages, activities = [], [], []
    done = n_stages = n_activities = 0
    for day, count in zip(days, counts, strict=True):
        start = datetime.combine(day, time.min, tz)
        offsets = sorted(gen.pick(hours) * 3600 + rng.random() * 3600 for _ in range(count))
        for counter, offset in enumerate(offsets):
            created = (start + timedelta(seconds=offset)).astimezone(UTC)
            if created >= now:
                # Earlier today, never yesterday: the reference carries today's date
                # (the queue finds a reference's start by the days of created_at).
                back = timedelta(seconds=rng.uniform(60, 3600 * 6))
                created = now - min(back, (now - start) / 2)
            reference = _reference(day, counter)
            if reference in taken:
                reference = _reference(day, counter + 31 ** 4)
            row, lead_stages, lead_activities = gen.lead(next_id, reference, created)
            next_id += 1
            leads.append(row)
            stages += lead_stages
            activities += lead_activities
            if len(leads) >= CHUNK:
                writer.write(leads, stages, activities)
                done += len(leads)
                n_stages += len(stages)
                n_activities += len(activities)
                leads, stages, activities = [], [], []
                progress(f"  {done:>9,} / {n_leads:,} leads ({100 * done // n_leads}%) "
                         f"in {clock.monotonic() - started:.1f} s")
    if leads:
        writer.write(leads, stages, activities)
        done += len(leads)
        n_stages += len(stages)
        n_activities += len(activities)
    writer.finish()
    seconds = clock.monotonic() - started
    progress(f"  {done:,} leads, {n_stages:,} stage rows, {n_activities:,} activities "
             f"in {seconds:.1f} s")
    return (f"seeded {done:,} leads over {DAYS} days in {seconds:.1f} s; logins: "
            f"admin@example.com (everything), manager@example.com and <team>.manager@example.com "
            f"(their team), <team>.agent1@example.com … (password {DEMO_PASSWORD})")


class _SqliteWriter:
    def write(self, leads, stages, activities):
        db.session.execute(insert(Lead.__table__), leads)
        if stages:
            db.session.execute(insert(LeadStage.__table__),
                               [dict(zip(STAGE_COLUMNS, s, strict=True)) for s in stages])
        if activities:
            db.session.execute(insert(Activity.__table__),
                               [dict(zip(ACTIVITY_COLUMNS, a, strict=True)) for a in activities])
        db.session.commit()

    def finish(self):
        db.session.commit()


class _PostgresWriter:
    """COPY through psycopg 3's cursor.copy, one transaction per chunk."""

    def __init__(self):
        db.session.commit()
        self.raw = db.engine.raw_connection()
        conn = self.raw.driver_connection
        assert conn is not None  # a pooled connection, checked out and live
        self.conn = conn
        # Only the columns the database has: the migration bench seeds at an earlier revision.
        present = {row[0] for row in self.conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'lead'"
            " AND table_schema = current_schema()")}
        self.extra = [(c, d) for c, d in _other_columns(Lead.__table__, LEAD_COLUMNS)
                      if c in present]

    def _copy(self, table, columns, rows):
        quoted = ", ".join(f'"{c}"' for c in columns)
        with self.conn.cursor() as cur, cur.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)

    def write(self, leads, stages, activities):
        # A seed can be replayed, so its commits need not wait for the disk. LOCAL: for this
        # transaction only. A session-wide SET would stay on the pooled connection (or, behind
        # PgBouncer, on a server connection other clients get next) for every later commit.
        self.conn.execute("SET LOCAL synchronous_commit TO off")
        names = LEAD_COLUMNS + [c for c, _ in self.extra]
        defaults = tuple(d for _, d in self.extra)
        self._copy("lead", names, (tuple(r[c] for c in LEAD_COLUMNS) + defaults for r in leads))
        self._copy("lead_stage", STAGE_COLUMNS, stages)
        self._copy("activity", ACTIVITY_COLUMNS, activities)
        self.conn.commit()

    def finish(self):
        # Ids were given explicitly: move the sequence past them.
        self.conn.execute("SELECT setval(pg_get_serial_sequence('lead', 'id'), "
                          "(SELECT COALESCE(MAX(id), 1) FROM lead))")
        self.conn.commit()
        self.conn.execute("ANALYZE lead")
        self.conn.execute("ANALYZE lead_stage")
        self.conn.execute("ANALYZE activity")
        self.conn.commit()
        self.raw.close()
        db.session.execute(text("SELECT 1"))  # the session sees the new rows from here on


def _other_columns(table, known):
    """Columns other branches may add to lead: filled with their scalar default, if any."""
    out = []
    for column in table.columns:
        if column.name in known:
            continue
        default = column.default.arg if column.default is not None and column.default.is_scalar \
            else None
        if default is not None or column.nullable:
            out.append((column.name, default))
    return out

"""An agent on a phone: log in, open a new lead, log a call, move it to site visit,
recommend a listing. Screenshots go to docs/screenshots/."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import Activity, Lead, LeadListing, Listing, Team, User
from crm.models.types import utcnow
from tests.browser.conftest import shoot, shoot_path

pytestmark = pytest.mark.browser


@pytest.fixture
def agent_day(live_app):
    with live_app.app_context():
        team = Team(name="长三角招商一组", is_default=True)
        agent = User(email="li@example.com", name="李招商", role="agent", team=team)
        agent.set_password("secret-pass")
        now = utcnow()
        lead = Lead(reference="CF261123-A001", created_at=now - timedelta(minutes=20),
                    contact_name="刘先生", mobile_e164="+8613391219793", mobile_display="133 9121 9793",
                    company="湖州新能源汽车零部件有限公司", deal_type="rent", property_type="factory",
                    region_code="330522", area_min_sqm=Decimal("2000"),
                    area_max_sqm=Decimal("4000"), industry="nev", usage="动力电池PACK组装",
                    needs_eia=True, annual_tax_wan=Decimal("300"), investment_wan=Decimal("8000"),
                    message="希望月底前看厂，要能做环评", page_url="https://zj.example-changfang.cn/news/changxing",
                    utm_source="baidu", utm_medium="cpc", consent=True, consent_version="2026-11",
                    team=team, assigned_to=agent, assigned_at=now - timedelta(minutes=19),
                    routed_at=now - timedelta(minutes=19), sla_half_at=now - timedelta(minutes=4),
                    sla_due_at=now + timedelta(minutes=11), score=72)
        older = Lead(reference="CF261122-A002", created_at=now - timedelta(days=1), contact_name="周女士",
                     mobile_e164="+8613800001111", mobile_display="138 0000 1111", company="嘉兴仓储物流",
                     property_type="warehouse", deal_type="rent", status="contacted", team=team,
                     assigned_to=agent, consent=True, score=40)
        listing = Listing(title="长兴经济开发区独栋厂房 3000㎡", property_type="factory", deal_type="rent",
                          region_code="330522", park="长兴经济开发区", area_sqm=Decimal("3000"),
                          ceiling_height_m=Decimal("9"), floor_load_t=Decimal("3"), power_kva=800,
                          eia_possible=True, divisible=True, price=Decimal("0.85"))
        db.session.add_all([team, agent, lead, older, listing])
        db.session.commit()
        return {"lead_id": lead.id, "listing_id": listing.id}


def _log_in(page, live_server):
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", "li@example.com")
    page.fill("input[name=password]", "secret-pass")
    page.click("button[type=submit]")
    page.wait_for_url("**/agent/leads")


def test_agent_works_a_new_lead_on_a_phone(live_server, live_app, phone, agent_day):
    page = phone
    _log_in(page, live_server)
    assert page.locator("#queue .lead-item").count() == 2
    # The lead about to breach its first-contact time comes first.
    assert "CF261123-A001" in page.locator("#queue .lead-item").first.inner_text()
    shoot(page, "01-queue-phone")

    page.locator("#queue .lead-item a", has_text="CF261123-A001").click()
    page.wait_for_url(f"**/agent/leads/{agent_day['lead_id']}")
    assert page.locator("#mobile").inner_text().strip() == "133 9121 9793"  # the owner sees it
    shoot(page, "02-lead-phone")
    shoot(page, "02a-lead-first-screen-phone", full_page=False)
    page.locator("#details").screenshot(path=str(shoot_path("02b-lead-details-phone")))

    # Log a call in two taps: the outcome chip, then save ("call" is preselected).
    page.locator("#outcome label.chip", has=page.locator("input[value=reached]")).click()
    page.fill("#body", "客户确认要3000平，下周二看厂")
    page.locator("#follow-up button[type=submit]").click()
    page.wait_for_url(f"**/agent/leads/{agent_day['lead_id']}")
    assert "客户确认要3000平" in page.locator("#timeline").inner_text()
    page.locator("#follow-up").screenshot(path=str(shoot_path("03-follow-up-form-phone")))

    page.select_option("#stage select[name=status]", "site_visit")
    page.locator("#stage button[type=submit]").click()
    page.wait_for_url(f"**/agent/leads/{agent_day['lead_id']}")

    match = page.locator("#listings .match").first
    assert "长兴经济开发区独栋厂房" in match.inner_text()
    match.locator("form[action$='/recommended'] button").click()
    page.wait_for_url(f"**/agent/leads/{agent_day['lead_id']}*")
    assert "长兴经济开发区独栋厂房" in page.locator("#listing-links").inner_text()
    assert page.locator("#listings .match").first.locator(
        "form[action$='/recommended'] button").is_disabled()  # recorded: shown as done
    page.locator("#listings").screenshot(path=str(shoot_path("04-listings-phone")))
    page.locator("#timeline").screenshot(path=str(shoot_path("04b-timeline-phone")))

    # Nothing on the page is wider than the phone.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page is {width}px wide on a 375px screen"

    with live_app.app_context():
        lead = db.session.get(Lead, agent_day["lead_id"])
        assert lead.status == "site_visit" and lead.first_contact_at is not None
        kinds = db.session.scalars(select(Activity.kind).where(Activity.lead_id == lead.id)
                                   .order_by(Activity.id)).all()
        assert kinds == ["call", "status_change", "status_change", "listing"]
        link = db.session.scalars(select(LeadListing)).one()
        assert (link.listing_id, link.kind) == (agent_day["listing_id"], "recommended")


def test_listing_page_on_a_phone(live_server, phone, agent_day):
    phone.goto(f"{live_server}/listings/{agent_day['listing_id']}?utm_source=wechat")
    # The inquiry form is on the page, about this listing, with the link's source.
    assert phone.locator("#ask input[name=listing_id]").input_value() == str(agent_day["listing_id"])
    assert phone.locator("#ask input[name=utm_source]").input_value() == "wechat"
    assert phone.get_by_label("厂房", exact=True).is_checked()
    assert phone.locator("#map-link").get_attribute("href").startswith("https://uri.amap.com/")
    assert phone.locator("figure.qr img").evaluate("img => img.naturalWidth") > 0  # the QR drew
    shoot(phone, "05-public-listing-phone")


def test_manager_bulk_reassigns_on_a_phone(live_server, live_app, phone, agent_day):
    with live_app.app_context():
        team = db.session.scalars(select(Team)).one()
        boss = User(email="wang@example.com", name="王经理", role="manager", team=team)
        boss.set_password("secret-pass")
        other = User(email="zhang@example.com", name="张顾问", role="agent", team=team)
        other.set_password("secret-pass")
        db.session.add_all([boss, other])
        db.session.commit()
    page = phone
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", "wang@example.com")
    page.fill("input[name=password]", "secret-pass")
    page.click("button[type=submit]")
    page.goto(f"{live_server}/agent/leads?tab=all")
    page.check("input[data-select-all]")
    assert page.locator("input[name=lead_ids]:checked").count() == 2  # static JS, no inline script
    page.select_option("#bulk-reassign select[name=agent_id]", label="张顾问")
    page.fill("#bulk-reassign input[name=reason]", "李招商休假")
    shoot(page, "06-manager-bulk-reassign-phone", full_page=False)
    page.locator("#bulk-reassign button[type=submit]").click()
    page.wait_for_url("**/agent/leads?tab=all")
    assert page.locator("p.flash").count() == 1
    with live_app.app_context():
        owners = set(db.session.scalars(select(Lead.assigned_to_id)))
        assert owners == {db.session.scalars(select(User.id).where(User.email == "zhang@example.com")).one()}


PASTED = ("你好，我们是做新能源汽车零部件的，想在嘉兴或者湖州长兴租个单层厂房，3000-5000平，"
          "层高8米以上，需要环评，年税收大概300万，投资5000万左右。苏州某某精密机械有限公司 "
          "王经理 139 1234 5678 微信同号")


def test_agent_pastes_a_wechat_message_on_a_phone(live_server, live_app, phone, agent_day):
    """Issue 17: paste the message, see the fields filled and the words they came from,
    correct one, save, and find the lead in the agent's own queue."""
    page = phone
    _log_in(page, live_server)
    page.goto(f"{live_server}/agent/leads/new")
    page.fill("#pasted", PASTED)
    page.get_by_role("button", name="识别消息").click()
    page.wait_for_selector("#pasted-message mark")
    marks = page.locator("#pasted-message mark").all_inner_texts()
    assert "年税收大概300万" in marks and "139 1234 5678" in marks
    assert page.locator("#contact_name").input_value() == "王经理"
    assert page.locator("#mobile").input_value() == "13912345678"
    assert page.locator("#company").input_value() == "苏州某某精密机械有限公司"
    assert page.locator("#area_min").input_value() == "3000" and page.locator(
        "#area_max").input_value() == "5000"
    assert page.get_by_label("租赁", exact=True).is_checked()
    assert "来自：“3000-5000平”" in page.locator(".field", has=page.locator("#area_min")).inner_text()
    shoot(page, "20-paste-message-phone")
    # The region read is the common one (浙江); the agent knows it is 长兴 and corrects it.
    page.get_by_label("地区", exact=True).fill("浙江 / 湖州 / 长兴县")
    page.locator("#consent").check()   # the agent confirms the prospect agreed (never parsed)
    page.get_by_role("button", name="保存线索").click()
    page.wait_for_load_state()
    assert page.locator(".has-error").all_inner_texts() == []
    with live_app.app_context():
        lead = db.session.scalars(select(Lead).where(Lead.company == "苏州某某精密机械有限公司")).one()
        assert lead.region_code == "330522" and lead.annual_tax_wan == 300
        assert lead.assigned_to.email == "li@example.com"
    page.goto(f"{live_server}/agent/leads")
    assert page.locator("#queue .lead-item", has_text="苏州某某精密机械有限公司").count() == 1

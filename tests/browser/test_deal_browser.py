"""An agent on a phone (375×812) marks a need won with a day-rent deal on a listing: the
form computes the value first, the lead page shows the deal, the listing shows let, and the
team's manager sees the value on the dashboard. Screenshots go to docs/screenshots/."""
from datetime import timedelta
from decimal import Decimal

import pytest

from crm.extensions import db
from crm.models import Lead, LeadListing, Listing, Team, User
from crm.models.types import utcnow
from tests.browser.conftest import shoot
from tests.browser.test_agent_phone import _log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def negotiating(live_app):
    with live_app.app_context():
        team = Team(name="长三角招商一组", is_default=True)
        agent = User(email="li@example.com", name="李招商", role="agent", team=team)
        agent.set_password("secret-pass")
        manager = User(email="wang@example.com", name="王经理", role="manager", team=team)
        manager.set_password("secret-pass")
        now = utcnow()
        lead = Lead(reference="CF261118-D001", created_at=now - timedelta(days=20),
                    contact_name="刘先生", mobile_e164="+8613391219793",
                    mobile_display="133 9121 9793", company="湖州新能源汽车零部件有限公司",
                    deal_type="rent", property_type="factory", status="negotiating",
                    consent=True, team=team, assigned_to=agent)
        listing = Listing(title="长兴经济开发区独栋厂房", property_type="factory",
                          deal_type="rent", region_code="330522", area_sqm=Decimal("2000"),
                          price=Decimal("0.8"), status="available")
        db.session.add_all([team, agent, manager, lead, listing])
        db.session.flush()
        db.session.add(LeadListing(lead_id=lead.id, listing_id=listing.id, kind="site_visit",
                                   author_id=agent.id, created_at=now))
        db.session.commit()
        return {"lead_id": lead.id, "listing_id": listing.id}


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_an_agent_signs_a_day_rent_deal_on_a_phone(live_server, browser, phone, negotiating):
    page = phone
    _log_in(page, live_server)  # li@example.com, as in the agent's phone test
    page.goto(f"{live_server}/agent/leads/{negotiating['lead_id']}")
    page.click("#sign-deal")
    page.select_option("select[name=listing_id]", str(negotiating["listing_id"]))
    page.fill("input[name=area]", "2000")
    page.select_option("select[name=price_unit]", "yuan_sqm_day")
    page.fill("input[name=price]", "0.8")
    page.fill("input[name=term_months]", "36")
    page.click("button[name=preview]")
    assert "175.2" in page.locator("#deal-preview").inner_text()
    assert _fits(page)
    shoot(page, "deal-form-phone")
    page.click("button.primary[type=submit]")
    page.wait_for_url(f"**/agent/leads/{negotiating['lead_id']}*")
    assert "175.2" in page.locator("#deal").inner_text()
    assert page.locator("#lead-status").inner_text() == "已签约"
    assert _fits(page)
    shoot(page, "deal-lead-phone")
    page.goto(f"{live_server}/agent/listings/{negotiating['listing_id']}")
    assert "CF261118-D001" in page.locator("#listing-deals").inner_text()
    assert page.locator("h1 .badge").inner_text() == "已租/已售"
    assert _fits(page)

    # The team's manager, on their own phone: this month's signed value on the dashboard.
    context = browser.new_context(viewport={"width": 375, "height": 812}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, locale="zh-CN")
    manager = context.new_page()
    manager.set_default_timeout(15000)
    manager.goto(f"{live_server}/login")
    manager.fill("input[name=email]", "wang@example.com")
    manager.fill("input[name=password]", "secret-pass")
    manager.click("button[type=submit]")
    manager.wait_for_load_state()
    manager.goto(f"{live_server}/reports/")
    assert "175.2" in manager.locator("#signed-month-value").inner_text()
    assert manager.locator("#signed-month-deals").inner_text().strip().startswith("1")
    shoot(manager, "deal-dashboard-phone")
    context.close()

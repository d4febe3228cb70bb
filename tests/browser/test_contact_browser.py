"""An agent on a phone opens a contact with two needs, moves one to lost on its lead page,
and the other stays open. Screenshots of the contact and company pages, phone and desktop."""
from datetime import timedelta
from decimal import Decimal

import pytest

from crm.extensions import db
from crm.models import (
    Activity,
    Company,
    Contact,
    InquiryRepeat,
    Lead,
    LostReason,
    Team,
    User,
)
from crm.models.types import utcnow
from tests.browser.conftest import shoot, shoot_path
from tests.browser.test_agent_phone import _log_in  # the same agent, li@example.com

pytestmark = pytest.mark.browser


@pytest.fixture
def two_needs(live_app):
    with live_app.app_context():
        now = utcnow()
        team = Team(name="长三角招商一组", is_default=True)
        other_team = Team(name="安徽招商组")
        agent = User(email="li@example.com", name="李招商", role="agent", team=team)
        agent.set_password("secret-pass")
        company = Company(name="苏州恒信科技有限公司", name_key="苏州恒信科技",
                          credit_code="91320583MA1XXXXX0K", industry="机械")
        db.session.add_all([team, other_team, agent, company, LostReason(name="已在别处成交")])
        db.session.flush()
        person = Contact(name="王经理", name_key="王经理", mobile_e164="+8613912345678",
                         mobile_display="139 1234 5678", email="wang@example.cn",
                         wechat_id="wang_wx01", company_id=company.id, is_peer=True,
                         created_at=now - timedelta(days=20))
        colleague = Contact(name="陈总", name_key="陈总", mobile_e164="+8613700001111",
                            mobile_display="137 0000 1111", company_id=company.id)
        db.session.add_all([person, colleague])
        db.session.flush()
        common = {"contact_name": "王经理", "mobile_e164": "+8613912345678",
                  "mobile_display": "139 1234 5678", "company": company.name,
                  "company_id": company.id, "contact_id": person.id, "consent": True}
        factory = Lead(reference="CF260601-W0001", created_at=now - timedelta(days=20),
                       deal_type="rent", property_type="factory", region_code="320583",
                       area_min_sqm=Decimal("2000"), area_max_sqm=Decimal("3000"),
                       status="contacted", team=team, assigned_to=agent, contact_seq=1,
                       **common)
        land = Lead(reference="CF260612-W0002", created_at=now - timedelta(days=2),
                    deal_type="buy", property_type="land", region_code="330522",
                    status="new", team=team, assigned_to=agent, contact_seq=2, **common)
        elsewhere = Lead(reference="CF260613-W0003", created_at=now - timedelta(days=1),
                         deal_type="rent", property_type="warehouse", region_code="340100",
                         status="new", team=other_team, contact_seq=3, **common)
        chen = Lead(reference="CF260605-C0001", created_at=now - timedelta(days=9),
                    deal_type="rent", property_type="warehouse", region_code="320583",
                    status="qualified", team=team, assigned_to=agent, contact_id=colleague.id,
                    company_id=company.id, contact_name="陈总", company=company.name)
        db.session.add_all([factory, land, elsewhere, chen])
        db.session.flush()
        db.session.add_all([
            Activity(lead_id=factory.id, kind="call", author_id=agent.id, outcome="reached",
                     body="客户确认要2000平以上，下周看厂", created_at=now - timedelta(days=19)),
            Activity(lead_id=land.id, kind="note", author_id=agent.id,
                     body="合肥拿地，预算待确认", created_at=now - timedelta(days=1)),
            InquiryRepeat(original_lead_id=factory.id, matched_on="mobile",
                          reference="CF260608-R0001", channel="web", contact_id=person.id,
                          message="昆山那边还有3000平的吗？", created_at=now - timedelta(days=12))])
        db.session.commit()
        return {"contact_id": person.id, "company_id": company.id, "factory": factory.id,
                "land": land.id}


def test_agent_moves_one_of_two_needs_to_lost_and_keeps_the_other(live_server, live_app, phone,
                                                                  two_needs):
    page = phone
    _log_in(page, live_server)
    page.goto(f"{live_server}/contacts/{two_needs['contact_id']}")
    needs = page.locator("#need-list .lead-item")
    assert needs.count() == 2
    assert "另有 1 个需求由其他团队跟进" in page.locator("#contact-needs").inner_text()
    assert "CF260613-W0003" not in page.content()
    assert page.locator("#mobile").inner_text().strip() == "139 1234 5678"  # the owner
    shoot(page, "contact-page-phone")
    shoot(page, "contact-first-screen-phone", full_page=False)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"contact page is {width}px wide on a 375px screen"

    page.locator("#need-list a", has_text="CF260612-W0002").click()
    page.wait_for_url(f"**/agent/leads/{two_needs['land']}")
    assert "此联系人还有 2 个其他需求" in page.locator("#other-needs").inner_text()
    page.locator("#other-needs").screenshot(path=str(shoot_path("lead-other-needs-phone")))
    page.select_option("#stage select[name=status]", "lost")
    page.select_option("#stage select[name=lost_reason_id]", label="已在别处成交")
    page.locator("#stage button[type=submit]").click()
    page.wait_for_url(f"**/agent/leads/{two_needs['land']}")
    assert page.locator("#lead-status").inner_text().strip() == "已流失"

    page.locator("#contact-link").click()
    page.wait_for_url(f"**/contacts/{two_needs['contact_id']}")
    stages = {ref: page.locator(f"#need-list li[data-ref='{ref}'] .need-stage").inner_text()
              for ref in ("CF260612-W0002", "CF260601-W0001")}
    assert stages == {"CF260612-W0002": "已流失", "CF260601-W0001": "已联系"}
    with live_app.app_context():
        assert db.session.get(Lead, two_needs["land"]).status == "lost"
        assert db.session.get(Lead, two_needs["factory"]).status == "contacted"

    page.goto(f"{live_server}/companies/{two_needs['company_id']}")
    assert page.locator("#company-contacts li").count() == 2
    shoot(page, "company-page-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"company page is {width}px wide on a 375px screen"


def test_contact_and_company_pages_on_a_desktop(live_server, browser, two_needs):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    _log_in(page, live_server)
    page.goto(f"{live_server}/contacts/{two_needs['contact_id']}")
    assert page.locator("#need-list .lead-item").count() == 2
    shoot(page, "contact-page-desktop")
    page.goto(f"{live_server}/companies/{two_needs['company_id']}")
    shoot(page, "company-page-desktop")
    context.close()

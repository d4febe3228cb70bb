"""axe-core (vendored: tests/browser/vendor/axe.min.js, 4.14.1, MPL-2.0) on the pages
people use most: the public form and its embed on a phone, the queue and a lead on a
phone, the dashboard on a PC. No serious or critical WCAG 2.1 AA violation, every page
with one <h1>, no empty table header."""
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from crm.extensions import db
from crm.models import Lead, Team, User
from crm.models.types import utcnow
from tests.factories import make_site

pytestmark = pytest.mark.browser
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
ALWAYS = {"page-has-heading-one", "empty-table-header"}   # named by issue 15: never again
RUN = """async (tags) => (await axe.run(document, {runOnly: {type: "tag", values: tags}}))
  .violations.map(v => ({id: v.id, impact: v.impact,
                         nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}))"""


@pytest.fixture
def office(live_app):
    with live_app.app_context():
        team = Team(name="长三角招商一组", is_default=True)
        agent = User(email="li@example.com", name="李招商", role="agent", team=team)
        boss = User(email="boss@example.com", name="王经理", role="manager", team=team)
        for user in (agent, boss):
            user.set_password("secret-pass")
        now = utcnow()
        lead = Lead(reference="CF261123-A001", created_at=now - timedelta(minutes=20),
                    contact_name="刘先生", mobile_e164="+8613391219793",
                    mobile_display="133 9121 9793", company="湖州新能源汽车零部件有限公司",
                    deal_type="rent", property_type="factory", region_code="330522",
                    area_min_sqm=Decimal("2000"), area_max_sqm=Decimal("4000"), consent=True,
                    team=team, assigned_to=agent, assigned_at=now, routed_at=now,
                    sla_due_at=now + timedelta(minutes=10), first_contact_at=None, score=70)
        db.session.add_all([team, agent, boss, lead])
        db.session.commit()
        site, _key = make_site(origins=("http://localhost",))
        return {"lead_id": lead.id, "site": site.public_key}


def _violations(page) -> list[dict]:
    found = page.evaluate(RUN, TAGS)
    return [v for v in found if v["impact"] in ("serious", "critical") or v["id"] in ALWAYS]


def _context(browser, phone: bool):
    context = browser.new_context(
        viewport={"width": 375, "height": 812} if phone else {"width": 1366, "height": 768},
        locale="zh-CN", is_mobile=phone, has_touch=phone)
    context.add_init_script(path=str(AXE))  # injected by the browser: the CSP does not apply
    return context


def _login(page, base, email):
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", "secret-pass")
    page.click("button[type=submit]")


def test_the_busiest_pages_pass_axe(live_server, browser, office):
    phone = _context(browser, phone=True).new_page()
    report = {}
    for name, path in (("form", "/inquiry"),
                       ("embed", f"/embed/inquiry?site={office['site']}")):
        phone.goto(live_server + path)
        report[name] = _violations(phone)
    phone.locator("button[type=submit]").click()          # the form with its errors shown
    report["embed with errors"] = _violations(phone)
    _login(phone, live_server, "li@example.com")
    for name, path in (("queue", "/agent/leads"),
                       ("lead", f"/agent/leads/{office['lead_id']}")):
        phone.goto(live_server + path)
        report[name] = _violations(phone)
    pc = _context(browser, phone=False).new_page()
    _login(pc, live_server, "boss@example.com")
    pc.goto(live_server + "/reports/")
    pc.wait_for_selector(".chart canvas")
    report["dashboard"] = _violations(pc)
    failing = {name: found for name, found in report.items() if found}
    assert not failing, json.dumps(failing, ensure_ascii=False, indent=1)

"""Issue 28 walkthrough: at 375 px the header broke 我的账户 over two lines. Each header link
must stay on one line (the links wrap as whole words); screenshots of the header and of the
thank-you page go to docs/screenshots/."""
import pytest

from crm.extensions import db
from crm.models import Team, User
from tests.browser.conftest import shoot, shoot_path

pytestmark = pytest.mark.browser

ONE_LINE = """() => [...document.querySelectorAll('.topbar a, .topbar button')]
  .filter((e) => e.getClientRects().length !== 1
                 || e.getBoundingClientRect().height > 1.8 * parseFloat(getComputedStyle(e).fontSize))
  .map((e) => e.textContent.trim())"""


def test_the_header_keeps_each_link_on_one_line_on_a_phone(live_server, live_app, phone):
    with live_app.app_context():
        team = Team(name="招商一组", is_default=True)
        boss = User(email="boss@example.com", name="王经理", role="admin", team=team)
        boss.set_password("secret-pass")
        db.session.add_all([team, boss])
        db.session.commit()
    page = phone
    page.goto(f"{live_server}/inquiry")
    page.fill("#contact_name", "陈女士")
    page.fill("#mobile", "13391219793 仅微信")
    page.check("#consent")
    page.click("button[type=submit]")
    page.wait_for_url("**/inquiry/thanks")
    assert "添加您的微信" in page.locator("#next-step").inner_text()
    shoot(page, "thanks-phone-375")

    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", "boss@example.com")
    page.fill("input[name=password]", "secret-pass")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "/login" not in page.url
    page.locator(".topbar").screenshot(path=str(shoot_path("header-phone-375")))
    assert page.evaluate(ONE_LINE) == []

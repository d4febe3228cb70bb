"""Issue 28: the inquiry form's "more requirements" on a phone: folded (details/summary, no
script needed), opened with a tap, typed with units, stored in the listing units; open on a
wide screen."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import Lead
from tests.browser.conftest import shoot, watch_console

pytestmark = pytest.mark.browser


def test_requirements_fold_on_a_phone_and_are_stored(live_app, live_server, phone, browser):
    page = phone
    problems = watch_console(page)
    page.goto(f"{live_server}/inquiry")
    group = page.locator("details#requirements")
    height = page.get_by_label("层高不低于（米）")
    assert group.get_attribute("open") is None and not height.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_role("textbox", name="联系人", exact=True).fill("刘先生")
    page.get_by_role("textbox", name="手机号码", exact=True).fill("13912345678")
    group.locator("summary").tap()
    assert height.is_visible()
    height.fill("8米以上")
    page.get_by_label("配电不低于（kVA）").fill("2MVA")
    page.get_by_label("只要单层").check()
    standalone = page.get_by_label("独门独院", exact=True)
    standalone.check()
    # A whole row to tap, not the 13 px box.
    assert page.locator(".field.check label", has=standalone).bounding_box()["height"] >= 44
    shoot(page, "28-inquiry-requirements-phone")
    page.locator("#consent").check()
    page.get_by_role("button", name="提交咨询").tap()
    page.wait_for_url("**/inquiry/thanks")
    with live_app.app_context():
        lead = db.session.scalars(select(Lead)).one()
        assert (lead.ceiling_height_m, lead.power_kva, lead.single_storey, lead.standalone) == (
            Decimal("8"), 2000, True, True)
        assert lead.crane_t is None and lead.divisible is None
    assert problems == []

    wide = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    wide.goto(f"{live_server}/inquiry")
    wide.wait_for_function("document.querySelector('details#requirements').open")
    assert wide.get_by_label("层高不低于（米）").is_visible()
    wide.context.close()

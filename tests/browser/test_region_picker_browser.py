"""The region picker on a phone (375x812): a prospect types pinyin initials into the public
form's region box, picks from the list by keyboard and by touch, and the lead stores the
picked place's code."""
import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import Lead
from tests.browser.conftest import shoot, watch_console

pytestmark = pytest.mark.browser


def test_typing_ks_finds_kunshan_and_the_lead_stores_its_code(live_app, live_server, phone):
    page = phone
    problems = watch_console(page)
    page.goto(f"{live_server}/inquiry")
    page.get_by_role("textbox", name="联系人", exact=True).fill("胡先生")
    page.get_by_role("textbox", name="手机号码", exact=True).fill("18912561234")
    page.get_by_label("租赁", exact=True).check()
    page.get_by_label("厂房", exact=True).check()

    box = page.get_by_role("combobox", name="地区", exact=True)
    listbox = page.get_by_role("listbox")
    assert box.get_attribute("aria-expanded") == "false"
    # Keyboard: "jx", ↓, Enter picks the first suggestion (嘉兴 is among the first).
    box.tap()
    box.press_sequentially("jx", delay=60)
    listbox.get_by_role("option").first.wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    assert box.get_attribute("aria-controls") == listbox.get_attribute("id")
    box.press("ArrowDown")
    active = box.get_attribute("aria-activedescendant")
    assert page.locator(f"#{active}").get_attribute("aria-selected") == "true"
    picked = page.locator(f"#{active} .region-path").inner_text()
    box.press("Enter")
    assert box.input_value() == picked and box.get_attribute("aria-expanded") == "false"
    # Escape closes the list and keeps what was typed.
    box.fill("")
    box.press_sequentially("nb", delay=60)
    listbox.get_by_role("option").first.wait_for()
    box.press("Escape")
    assert box.get_attribute("aria-expanded") == "false" and box.input_value() == "nb"

    # Touch: "ks" shows 昆山市 with its path; one tap picks it.
    box.fill("")
    box.press_sequentially("ks", delay=60)
    kunshan = listbox.get_by_role("option").filter(has_text="江苏 / 苏州 / 昆山市")
    kunshan.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    option_box = kunshan.bounding_box()
    assert option_box["height"] >= 44 and option_box["x"] + option_box["width"] <= 375
    shoot(page, "30-region-picker-phone", full_page=False)
    kunshan.tap()
    assert box.input_value() == "江苏 / 苏州 / 昆山市"
    page.locator("#consent").check()
    page.get_by_role("button", name="提交咨询").tap()
    page.wait_for_url("**/inquiry/thanks")

    with live_app.app_context():
        lead = db.session.scalars(select(Lead)).one()
        assert lead.region_code == "320583" and lead.contact_name == "胡先生"
    assert problems == []

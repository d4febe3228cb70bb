"""Issue 28 on a phone (375x812): a prospect types the official full name of a county into
the public form's region box, never touches the suggestion list, submits, and gets a
reference number; the lead holds the county."""
import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import Lead
from tests.browser.conftest import shoot, watch_console

pytestmark = pytest.mark.browser


def test_a_full_place_name_typed_without_the_suggestions_is_saved(live_app, live_server, phone):
    page = phone
    problems = watch_console(page)
    page.goto(f"{live_server}/inquiry")
    page.get_by_role("textbox", name="联系人", exact=True).fill("胡先生")
    page.get_by_role("textbox", name="手机号码", exact=True).fill("18912561234")
    box = page.get_by_role("combobox", name="地区", exact=True)
    box.tap()
    box.press_sequentially("浙江省湖州市长兴县", delay=40)
    assert box.input_value() == "浙江省湖州市长兴县"
    page.locator("#consent").check()
    page.get_by_role("button", name="提交咨询").tap()
    page.wait_for_url("**/inquiry/thanks")
    reference = page.locator("#reference").inner_text().strip()
    assert reference.startswith("CF")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shoot(page, "31-full-place-name-thanks-phone", full_page=False)

    with live_app.app_context():
        lead = db.session.scalars(select(Lead)).one()
        assert (lead.reference, lead.region_code, lead.region_text) == (reference, "330522", "")
    assert problems == []

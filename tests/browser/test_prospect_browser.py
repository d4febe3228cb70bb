"""A prospect's path in a real browser: the public inquiry form on a phone (a wrong
number refused next to the field, then a messy valid one accepted), and the embedded
form inside a partner's page on another origin (framing allowed only to that site).

The minimum fill time stays at production's value (TestConfig switches it off): a real
browser carries the signed `started` token through a refused submission and back, and
the lead must not be judged spam ("too_fast" or "no_fill_token") when it finally goes
in. The test waits like a person would rather than lowering the guard to 0, so a broken
token would show up here as a spam lead.
"""
import re
import threading
import time
from decimal import Decimal
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.intake.reference import ALPHABET, new_reference
from crm.models import Lead
from crm.models.types import utcnow
from tests.browser.conftest import shoot, watch_console
from tests.factories import make_site

pytestmark = pytest.mark.browser

MIN_FILL_SECONDS = 3  # Config's default for CRM_SPAM_MIN_FILL_SECONDS
REFERENCE = re.compile(rf"CF\d{{6}}-[{ALPHABET}]{{5}}")
HOTLINE_ERROR = "400/800 号码是企业热线，不是手机号码。请输入手机号码。"
VALID_MOBILE = "+86 １３９-１２３４-５６７８ 仅微信"  # full-width digits from a Chinese IME
# A refused form comes back as 422 on purpose; Chromium logs that status for the document.
REFUSED_FORM = "Failed to load resource: the server responded with a status of 422 (UNPROCESSABLE ENTITY)"


@pytest.fixture
def prospect_app(live_app):
    live_app.config["CRM_SPAM_MIN_FILL_SECONDS"] = MIN_FILL_SECONDS
    return live_app


@pytest.fixture
def partner_pages(tmp_path):
    """A partner's web server: another origin (localhost, another port), so the embed is
    cross-site as on a real partner page (no session cookie inside the iframe)."""
    root = tmp_path / "partner"
    root.mkdir()

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://localhost:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


def _partner_page(root, name: str, crm_base: str, public_key: str) -> None:
    (root / name).write_text(f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><title>长兴经济开发区厂房出租 - 浙江厂房网</title></head>
<body style="margin:0;font-family:sans-serif">
<header style="background:#7a1f1f;color:#fff;padding:12px 16px">浙江厂房网</header>
<p style="padding:0 16px">长兴经济开发区标准厂房，层高 9 米，可环评。留下需求，招商顾问 30 分钟内联系您。</p>
<script src="{crm_base}/static/js/embed.js" data-site="{public_key}" async></script>
<footer style="min-height:1500px;padding:16px;background:#eee">更多长兴厂房 · 湖州仓库 · 联系我们</footer>
</body></html>""", encoding="utf-8")


def _fill_inquiry(scope, mobile: str) -> None:
    """What a prospect from a new-energy supplier types, tapping through the form."""
    scope.get_by_role("textbox", name="联系人", exact=True).fill("刘先生")
    scope.get_by_role("textbox", name="手机号码", exact=True).fill(mobile)
    scope.get_by_label("微信号", exact=True).fill("liu_pack2026")
    scope.get_by_label("租赁", exact=True).check()
    scope.get_by_label("厂房", exact=True).check()
    scope.get_by_label("地区", exact=True).fill("浙江 / 湖州 / 长兴县")   # as the picker puts it
    scope.get_by_label("具体地点或园区（自由填写）").fill("长兴经济开发区")
    scope.get_by_label("最小面积", exact=True).fill("2000")
    scope.get_by_label("最大面积", exact=True).fill("4,000平")
    scope.get_by_label("行业", exact=True).select_option("nev")
    scope.get_by_label("生产或存储的产品").fill("动力电池PACK组装")
    scope.get_by_label("是", exact=True).check()
    scope.get_by_label("预计年纳税额（万元）").fill("300")
    scope.get_by_label("企业", exact=True).fill("湖州新能源汽车零部件有限公司")
    scope.get_by_label("其他补充说明").fill("希望月底前看厂，要能做环评")
    scope.locator("#consent").check()


# Every control a thumb must hit, as drawn: at least 44 px each way (radio options are
# whole labels, not the 19 px circle). Text links inside sentences are exempt.
_SMALL_TAP_TARGETS = """() => [...document.querySelectorAll(
    "form label.radio, form .consent label, form input:not([type=hidden]):not([type=radio])"
    + ":not([type=checkbox]), form select, form textarea, form button")]
  .filter((e) => e.offsetParent !== null && !e.closest(".hp"))
  .map((e) => [e.id || e.textContent.trim(), e.getBoundingClientRect()])
  .filter(([, box]) => box.width < 44 || box.height < 44)
  .map(([name, box]) => name + " " + Math.round(box.width) + "x" + Math.round(box.height))"""


def _assert_fits_a_phone(document) -> None:
    """A page or a frame: nothing wider than the screen, no control too small to tap."""
    assert document.evaluate("document.documentElement.scrollWidth") <= 375
    assert document.evaluate(_SMALL_TAP_TARGETS) == []


def _wait_like_a_person(shown_at: float) -> None:
    remaining = MIN_FILL_SECONDS + 0.5 - (time.monotonic() - shown_at)
    if remaining > 0:
        time.sleep(remaining)


def _assert_reference(text: str, before: str) -> str:
    reference = text.strip()
    assert REFERENCE.fullmatch(reference), reference
    # The date part is today's in Shanghai, as the generator writes it.
    assert reference[:9] in {before[:9], new_reference(utcnow())[:9]}, reference
    return reference


def _stored_lead(app, reference: str) -> Lead:
    with app.app_context():
        lead = db.session.scalars(select(Lead).where(Lead.reference == reference)).one()
        db.session.expunge(lead)
        return lead


def _assert_typed_lead(lead: Lead) -> None:
    assert (lead.mobile_e164, lead.mobile_display) == ("+8613912345678", "139 1234 5678")
    assert (lead.mobile_note, lead.contact_preference) == ("仅微信", "wechat")
    assert (lead.contact_name, lead.company) == ("刘先生", "湖州新能源汽车零部件有限公司")
    assert (lead.deal_type, lead.property_type, lead.region_code, lead.industry) == (
        "rent", "factory", "330522", "nev")
    assert (lead.area_min_sqm, lead.area_max_sqm) == (Decimal("2000"), Decimal("4000"))
    assert lead.needs_eia is True and lead.consent is True
    assert lead.channel == "web"
    # A person's pace and an empty honeypot: a real lead, not spam.
    assert (lead.status, lead.spam_reasons) == ("new", "")


def test_prospect_corrects_a_hotline_number_and_gets_a_reference(prospect_app, live_server, phone):
    page = phone
    problems = watch_console(page)
    before = new_reference(utcnow())
    page.goto(f"{live_server}/inquiry?utm_source=baidu&utm_medium=cpc")
    shown_at = time.monotonic()
    _fill_inquiry(page, "400 0123 021")
    page.get_by_role("button", name="提交咨询").tap()

    mobile = page.get_by_role("textbox", name="手机号码", exact=True)
    error = page.locator("#mobile-error")
    assert error.inner_text().strip() == HOTLINE_ERROR
    # Tied to the field for screen readers, inside the field's own block, right below it.
    assert mobile.get_attribute("aria-invalid") == "true"
    assert error.get_attribute("id") in mobile.get_attribute("aria-describedby").split()
    assert page.locator(".field.has-error", has=page.locator("#mobile")).locator(
        "#mobile-error").count() == 1
    # Seen where the prospect looks: right under the box, which turns red, on the first screen.
    field_box, error_box = mobile.bounding_box(), error.bounding_box()
    assert 0 <= error_box["y"] - (field_box["y"] + field_box["height"]) < 12, (field_box, error_box)
    assert error_box["y"] + error_box["height"] <= 812
    assert mobile.evaluate("e => getComputedStyle(e).borderTopColor") == "rgb(192, 57, 43)"
    assert page.get_by_label("企业", exact=True).evaluate(
        "e => getComputedStyle(e).borderTopColor") != "rgb(192, 57, 43)"
    assert page.locator("p.error.summary").is_visible()
    # The only refusal is the number: nothing else the prospect typed is lost.
    assert page.locator(".has-error").count() == 1
    assert page.evaluate("document.activeElement.id") == "mobile"   # the cursor is in the field
    assert mobile.input_value() == "400 0123 021"
    assert page.get_by_role("textbox", name="联系人", exact=True).input_value() == "刘先生"
    assert page.get_by_label("企业", exact=True).input_value() == "湖州新能源汽车零部件有限公司"
    assert page.get_by_label("地区", exact=True).input_value() == "浙江 / 湖州 / 长兴县"
    assert page.get_by_label("行业", exact=True).input_value() == "nev"
    assert page.get_by_label("最大面积", exact=True).input_value() == "4,000平"
    assert page.get_by_label("其他补充说明").input_value() == "希望月底前看厂，要能做环评"
    assert page.get_by_label("租赁", exact=True).is_checked()
    assert page.get_by_label("厂房", exact=True).is_checked()
    assert page.get_by_label("是", exact=True).is_checked()
    assert page.locator("#consent").is_checked()
    _assert_fits_a_phone(page)
    shoot(page, "10-inquiry-error-phone")
    shoot(page, "10a-inquiry-error-first-screen-phone", full_page=False)

    mobile.fill(VALID_MOBILE)
    _wait_like_a_person(shown_at)
    page.get_by_role("button", name="提交咨询").tap()
    page.wait_for_url("**/inquiry/thanks")
    reference = _assert_reference(page.locator("#reference").inner_text(), before)
    shoot(page, "11-inquiry-thanks-phone")

    lead = _stored_lead(prospect_app, reference)
    _assert_typed_lead(lead)
    assert lead.source_site_id is None
    assert (lead.utm_source, lead.utm_medium) == ("baidu", "cpc")
    assert problems == [REFUSED_FORM]  # the one refusal; no script error, no CSP violation


def test_prospect_sends_the_form_embedded_in_a_partner_page(prospect_app, live_server, phone,
                                                         partner_pages):
    from playwright.sync_api import expect  # after the browser fixture checked Playwright is there
    root, partner = partner_pages
    with prospect_app.app_context():
        site, _key = make_site("浙江厂房网", origins=(partner,))
        site_id, public_key = site.id, site.public_key
    _partner_page(root, "changxing.html", live_server, public_key)
    page = phone
    problems = watch_console(page)
    before = new_reference(utcnow())
    host_url = f"{partner}/changxing.html?utm_source=zjcf"
    with page.expect_response(lambda r: "/embed/inquiry" in r.url) as response:
        page.goto(host_url)
    assert response.value.status == 200
    assert f"frame-ancestors {partner}" in response.value.headers["content-security-policy"]
    shown_at = time.monotonic()
    iframe = page.locator("iframe.changfang-inquiry")
    frame = iframe.content_frame
    _fill_inquiry(frame, VALID_MOBILE)
    # The frame took the form's height: the partner's page scrolls, not a box inside it.
    page.wait_for_function("document.querySelector('iframe.changfang-inquiry').height > 1100")
    inner = iframe.element_handle().content_frame()
    assert inner.evaluate("document.documentElement.scrollHeight") <= iframe.bounding_box()["height"]
    _assert_fits_a_phone(inner)
    # The partner's first screen as the prospect found it (a full-page shot leaves a
    # cross-origin frame blank outside the viewport: Chromium only paints what is seen).
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "12-embed-in-partner-page-phone", full_page=False)
    _wait_like_a_person(shown_at)
    frame.get_by_role("button", name="提交咨询").tap()

    reference = _assert_reference(frame.locator("#reference").inner_text(), before)
    assert page.url == host_url  # the partner's page stays; only the frame moved on
    # The tap was at the bottom of a long form; the short thank-you is brought into view.
    page.wait_for_function("document.querySelector('iframe.changfang-inquiry').height < 1000")
    expect(frame.locator("#reference")).to_be_in_viewport()
    shoot(page, "13-embed-thanks-in-partner-page-phone", full_page=False)

    lead = _stored_lead(prospect_app, reference)
    _assert_typed_lead(lead)
    assert lead.source_site_id == site_id
    assert (lead.page_url, lead.utm_source) == (host_url, "zjcf")  # passed on by embed.js
    assert problems == []


def test_embed_refuses_to_be_framed_by_a_page_the_site_does_not_list(prospect_app, live_server,
                                                                     phone, partner_pages):
    root, partner = partner_pages
    with prospect_app.app_context():
        site, _key = make_site("江苏站", origins=("https://js.example.cn",))
        public_key = site.public_key
    _partner_page(root, "copycat.html", live_server, public_key)
    page = phone
    problems = watch_console(page)
    with page.expect_response(lambda r: "/embed/inquiry" in r.url) as response:
        page.goto(f"{partner}/copycat.html")
    # The server answered with the form; the browser refused to show it here.
    assert response.value.status == 200
    assert "frame-ancestors https://js.example.cn;" in (
        response.value.headers["content-security-policy"] + ";")
    page.wait_for_load_state("load")
    assert page.locator("iframe.changfang-inquiry").count() == 1
    # Chromium put its error page in the frame instead of the form, and said why.
    frame = page.locator("iframe.changfang-inquiry").content_frame
    assert frame.locator("form").count() == 0 and frame.locator("#mobile").count() == 0
    assert [f.url for f in page.frames[1:]] == ["chrome-error://chromewebdata/"]
    assert len(problems) == 1 and "frame-ancestors https://js.example.cn" in problems[0], problems
    shoot(page, "14-embed-refused-on-unlisted-page-phone", full_page=False)


def test_a_missing_consent_is_shown_and_focused_on_a_phone(prospect_app, live_server, phone):
    """The consent box sits at the bottom of a long form: a refusal that concerns only it
    must bring it into view, focus it, and tie the message to it for screen readers."""
    page = phone
    page.goto(f"{live_server}/inquiry")
    _fill_inquiry(page, "139 1234 5678")
    page.locator("#consent").uncheck()
    page.get_by_role("button", name="提交咨询").tap()
    page.wait_for_selector("#consent-error")
    consent = page.locator("#consent")
    assert consent.get_attribute("aria-invalid") == "true"
    assert consent.get_attribute("aria-describedby") == "consent-error"
    assert page.evaluate("document.activeElement.id") == "consent"
    box = page.locator("#consent-error").bounding_box()
    assert 0 <= box["y"] and box["y"] + box["height"] <= 812   # on screen, not below it
    assert page.get_by_role("textbox", name="联系人", exact=True).input_value() == "刘先生"

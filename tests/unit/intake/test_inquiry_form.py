"""The public form through the Flask test client: messages, kept input, what gets stored."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm.models import Activity, Lead
from tests.conftest import errors_in
from tests.factories import UserFactory

GOOD = {"contact_name": "刘先生", "mobile": "133 9121 9793", "consent": "y"}


def lead_count(db):
    return len(db.session.scalars(select(Lead)).all())


def test_form_page_is_chinese_by_default(client):
    html = client.get("/inquiry").get_data(as_text=True)
    assert "联系人" in html and "手机号" in html
    assert 'name="viewport"' in html


def test_english_on_request(client):
    html = client.get("/inquiry?lang=en").get_data(as_text=True)
    assert "Contact person" in html


def test_minimal_inquiry_is_saved_and_thanked_with_a_reference(client, db):
    response = client.post("/inquiry", data=GOOD)
    assert response.status_code == 302
    lead = db.session.scalars(select(Lead)).one()
    assert lead.mobile_e164 == "+8613391219793"
    assert lead.consent and lead.consent_version == "2026-11" and lead.consent_at
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert lead.reference in thanks
    assert lead.reference.startswith("CF")


def test_full_inquiry_is_structured(client, db):
    data = {**GOOD, "deal_type": "buy", "property_type": "land", "region_code": "330522",
            "region_text": "长兴经济开发区", "area_min": "３０", "area_max": "50亩", "area_unit": "mu",
            "industry": "nev", "usage": "动力电池PACK", "needs_eia": "yes",
            "annual_tax_wan": "1,200", "investment_wan": "30000万", "company": " 湖州某某科技有限公司 ",
            "credit_code": "91110000600037341L", "email": "liu@example.com",
            "mobile": "13391219793 仅微信", "page_url": "https://zj.example.cn/news/1",
            "utm_source": "baidu", "utm_medium": "cpc", "utm_campaign": "g60"}
    assert client.post("/inquiry", data=data).status_code == 302
    lead = db.session.scalars(select(Lead)).one()
    assert lead.area_min_sqm == Decimal("20000.10") and lead.area_max_sqm == Decimal("33333.50")
    assert lead.area_unit == "mu"
    assert lead.needs_eia is True
    assert lead.annual_tax_wan == Decimal("1200") and lead.investment_wan == Decimal("30000")
    assert lead.company == "湖州某某科技有限公司"
    assert lead.credit_code_valid is True
    assert lead.mobile_note == "仅微信" and lead.contact_preference == "wechat"
    assert (lead.utm_source, lead.utm_medium, lead.utm_campaign) == ("baidu", "cpc", "g60")
    assert lead.page_url == "https://zj.example.cn/news/1"


def test_wrong_credit_code_check_character_is_kept_as_a_warning(client, db):
    assert client.post("/inquiry", data={**GOOD, "credit_code": "91110000600037341M"}).status_code == 302
    assert db.session.scalars(select(Lead)).one().credit_code_valid is False


@pytest.mark.parametrize("field,value,message", [
    ("mobile", "400 0123 021", "400/800 号码是企业热线，不是手机号码。请输入手机号码。"),
    ("mobile", "021-57881234", "这似乎是固定电话号码，请输入手机号码。"),
    ("mobile", "133912197931339121979413391219795", "请只填写一个手机号码。"),
    ("contact_name", "", "请填写联系人姓名。"),
    ("email", "not-an-email", "请输入有效的邮箱地址。"),
    ("credit_code", "ABC", "统一社会信用代码由 18 位字母和数字组成（不含 I、O、S、V、Z）。"),
])
def test_bad_input_gets_a_chinese_message_next_to_the_field_and_keeps_input(
        client, db, field, value, message):
    data = {**GOOD, "company": "留下的公司名", field: value}
    response = client.post("/inquiry", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in errors_in(html)
    assert "留下的公司名" in html  # what was typed is kept
    assert lead_count(db) == 0


def test_messages_in_english_for_english_users(client):
    html = client.post("/inquiry?lang=en", data={**GOOD, "mobile": "400 0123 021"}).get_data(as_text=True)
    assert any("hotline" in e for e in errors_in(html))


def test_consent_is_required(client, db):
    response = client.post("/inquiry", data={"contact_name": "刘先生", "mobile": "13391219793"})
    assert response.status_code == 422
    assert "请同意隐私声明，以便我们与您联系。" in errors_in(response.get_data(as_text=True))
    assert lead_count(db) == 0


def test_an_unordered_area_range_is_kept_as_typed_not_refused(client, db):
    # Which bound is wrong is not ours to guess: both kept as typed for the agent.
    response = client.post("/inquiry", data={**GOOD, "area_min": "5000", "area_max": "1000"})
    assert response.status_code == 302
    lead = db.session.scalars(select(Lead)).one()
    assert lead.area_min_sqm is None and lead.area_max_sqm is None
    assert "最小面积: 5000; 最大面积: 1000" in lead.message


def test_markup_is_escaped_when_shown_back(client):
    html = client.post("/inquiry", data={**GOOD, "contact_name": "<script>alert(1)</script>",
                                         "mobile": "bad"}).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_control_and_zero_width_characters_are_stripped(client, db):
    client.post("/inquiry", data={**GOOD, "contact_name": "\u200b刘\x00先生\u202e "})
    assert db.session.scalars(select(Lead)).one().contact_name == "刘先生"


def test_lengths_are_capped(client, db):
    html = client.post("/inquiry", data={**GOOD, "company": "厂" * 500}).get_data(as_text=True)
    assert "请控制在 120 个字符以内。" in errors_in(html)
    assert lead_count(db) == 0


def test_submission_is_routed_in_process_without_redis(client, db):
    agent = UserFactory()
    client.post("/inquiry", data=GOOD)
    lead = db.session.scalars(select(Lead)).one()
    assert lead.assigned_to_id == agent.id
    kinds = [a.kind for a in db.session.scalars(select(Activity).where(Activity.lead_id == lead.id))]
    assert kinds == ["assignment"]


def test_csrf_is_enforced_when_enabled(app, client, db):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/inquiry", data=GOOD)
    assert response.status_code in (400, 422)
    assert lead_count(db) == 0


def test_a_region_code_not_in_the_list_is_kept_as_typed_for_the_agent(client, db):
    # Issue 28: a place no reader finds never refuses the inquiry.
    response = client.post("/inquiry", data={**GOOD, "region_code": "zj.atlantis"})
    assert response.status_code == 302
    lead = db.session.scalars(select(Lead)).one()
    assert (lead.region_code, lead.region_text, lead.place_to_confirm) == (None, "zj.atlantis", True)


@pytest.mark.parametrize("typed, code", [
    ("浙江 / 湖州 / 长兴县", "330522"),   # the path the picker puts in the box
    ("昆山", "320583"), ("崑山市", "320583"),  # a name, simplified or traditional
    ("zj.huzhou.changxing", "330522"),     # an old code
    ("3101", "31"),                        # 上海's 市辖区 is 上海
])
def test_the_region_box_takes_a_path_a_name_or_a_code(client, db, typed, code):
    assert client.post("/inquiry", data={**GOOD, "region_code": typed}).status_code == 302
    assert db.session.scalars(select(Lead)).one().region_code == code


def test_a_name_several_places_share_is_kept_for_the_agent_to_pick(client, db):
    assert client.post("/inquiry", data={**GOOD, "region_code": "朝阳区"}).status_code == 302
    lead = db.session.scalars(select(Lead)).one()
    assert (lead.region_code, lead.region_text, lead.place_to_confirm) == (None, "朝阳区", True)
    # With its city, the same words are one place.
    assert client.post("/inquiry", data={**GOOD, "mobile": "13912345679",
                                         "region_code": "北京朝阳区"}).status_code == 302
    assert db.session.scalars(select(Lead.region_code).order_by(Lead.id.desc())).first() == "110105"


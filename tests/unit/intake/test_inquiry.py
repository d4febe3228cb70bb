"""The typed Inquiry: made by each channel's constructor, captured without a form or a request."""
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from crm.inputs.phone import parse_mobile
from crm.intake import capture, importer
from crm.intake.forms import InquiryForm
from crm.intake.inquiry import ContactInput, Inquiry, NeedInput, Source
from crm.intake.message import inquiry_from_message
from crm.models import Activity, Lead
from crm.web.api.fields import inquiry_from_json
from tests.factories import UserFactory


def _inquiry(**contact) -> Inquiry:
    return Inquiry(
        contact=ContactInput(**{"name": "王经理", "mobile": parse_mobile("13912345678"),
                                "company": "湖州精工机械有限公司", **contact}),
        need=NeedInput(deal_type="rent", property_type="factory", region_code="330522",
                       area_min=Decimal("30"), area_unit="mu", power_kva=630,
                       needs_crane=True, crane_t=Decimal("10"), annual_tax_wan=Decimal("200")),
        source=Source(channel="api", utm_source="x" * 300),
        message="尽快", consent=True, unread={"investment_wan": "好几千万"})


def test_the_public_form_makes_an_inquiry(app):
    form = InquiryForm(formdata=MultiDict({
        "contact_name": "王经理", "mobile": "139 1234 5678", "wechat_id": "", "company": "精工",
        "deal_type": "buy", "property_type": "land", "area_min": "30亩", "needs_eia": "yes",
        "single_storey": "single", "standalone": "y", "power_kva": "2MVA", "usage": "机加工",
        "message": "尽快", "consent": "y", "website": "bot", "page_url": "https://a.cn/x",
        "utm_campaign": "春季"}), meta={"csrf": False}, mobile_required=False)
    assert form.validate(), form.errors
    inquiry = form.to_inquiry(channel="web", source_site_id=3)
    assert inquiry.contact == ContactInput(name="王经理", mobile=parse_mobile("13912345678"),
                                           company="精工")
    need = inquiry.need
    assert (need.deal_type, need.property_type, need.area_min, need.area_unit) == (
        "buy", "land", Decimal("30"), "mu")
    assert need.area_min_sqm == Decimal("20000.10")
    assert (need.needs_eia, need.single_storey, need.standalone, need.divisible) == (
        True, True, True, None)
    assert need.power_kva == 2000 and need.usage == "机加工"
    assert inquiry.source == Source(channel="web", source_site_id=3, page_url="https://a.cn/x",
                                    utm_campaign="春季")
    assert inquiry.consent is True and inquiry.honeypot == "bot" and inquiry.message == "尽快"


def test_the_api_json_makes_an_inquiry_or_says_why_not(app):
    inquiry, errors = inquiry_from_json({
        "contact_name": "李女士", "wechat": "li_factory88", "region": "湖州长兴",
        "area_min": "3000-5000平", "investment_wan": 5000, "consent": True}, source_site_id=7)
    assert errors == {}
    assert inquiry.source.channel == "api" and inquiry.source.source_site_id == 7
    assert inquiry.contact.mobile is None and inquiry.contact.wechat_id == "li_factory88"
    assert inquiry.need.region_code == "330522"
    assert (inquiry.need.area_min, inquiry.need.area_max) == (Decimal("3000"), Decimal("5000"))
    assert inquiry.need.investment_wan == Decimal("5000")

    refused, errors = inquiry_from_json({"contact_name": ["x"], "consent": True}, 7)
    assert refused is None and errors["contact_name"]
    refused, errors = inquiry_from_json({"contact_name": "李女士", "consent": False}, 7)
    assert refused is None and set(errors) >= {"consent", "mobile"}


def test_an_import_row_makes_an_inquiry_or_says_why_not(app):
    mapping = importer.guess_mapping(["联系人", "手机", "面积", "层高"])
    inquiry, errors = importer.inquiry_from_row(["王经理", "13912345678", "30亩", "8米"], mapping)
    assert errors == {}
    assert inquiry.source.channel == "import"
    assert inquiry.contact.mobile.e164 == "+8613912345678"
    assert (inquiry.need.area_min, inquiry.need.area_unit) == (Decimal("30"), "mu")
    assert inquiry.need.ceiling_height_m == Decimal("8")

    refused, errors = importer.inquiry_from_row(["", "12", "", ""], mapping)
    assert refused is None and set(errors) >= {"contact_name", "mobile"}


def test_a_pasted_wechat_message_makes_an_inquiry(app):
    text = "你好，我们是湖州精工机械有限公司，想在长兴租3000平厂房，层高8米。联系人王经理 13912345678"
    inquiry, errors = inquiry_from_message(text, consent=True)
    assert errors == {}
    assert inquiry.source.channel == "wechat" and inquiry.consent is True
    assert inquiry.contact.name == "王经理" and inquiry.contact.mobile.e164 == "+8613912345678"
    assert inquiry.contact.company == "湖州精工机械有限公司"
    assert (inquiry.need.deal_type, inquiry.need.property_type) == ("rent", "factory")
    assert inquiry.need.area_min == Decimal("3000") and inquiry.need.ceiling_height_m == 8
    assert inquiry.message == text

    refused, errors = inquiry_from_message("你好，想租个厂房", consent=True)
    assert refused is None and "contact_name" in errors


def test_capture_takes_an_inquiry_without_a_form_or_a_request(app, db, sent):
    outcome = capture.capture_inquiry(_inquiry())
    assert outcome.status == "new" and sent == [outcome.lead_id]
    lead = db.session.get(Lead, outcome.lead_id)
    assert (lead.channel, lead.contact_name, lead.mobile_e164, lead.company) == (
        "api", "王经理", "+8613912345678", "湖州精工机械有限公司")
    assert (lead.area_min_sqm, lead.area_unit, lead.power_kva, lead.crane_t) == (
        Decimal("20000.10"), "mu", 630, Decimal("10"))
    assert lead.utm_source == "x" * 100  # cut to the column
    assert lead.consent is True and lead.consent_version
    assert lead.message.startswith("尽快\n") and "好几千万" in lead.message

    again = capture.capture_inquiry(replace(_inquiry(), message="再问一次"))
    assert again.status == "duplicate" and again.lead_id == lead.id


def test_capture_refuses_an_inquiry_without_consent(app, db, sent):
    with pytest.raises(ValueError):
        capture.capture_inquiry(replace(_inquiry(), consent=False))
    assert db.session.scalars(select(Lead)).all() == [] and sent == []


def test_spam_is_judged_on_the_inquiry(app, db, sent):
    outcome = capture.capture_inquiry(replace(_inquiry(), message="百家乐 www.bet.top"))
    assert outcome.status == "spam" and sent == []
    assert "link" in db.session.get(Lead, outcome.lead_id).spam_reasons


def test_an_agent_keeps_a_lead_captured_from_an_inquiry(app, db, sent):
    agent = UserFactory()
    inquiry = replace(_inquiry(wechat_id="wang_jg01"), source=Source(channel="wechat"))
    outcome = capture.capture_by_agent(inquiry, agent)
    lead = db.session.get(Lead, outcome.lead_id)
    assert (lead.channel, lead.assigned_to_id, lead.sourced_by_id) == ("wechat", agent.id, agent.id)
    assert sent == []  # kept by the agent, not routed
    kinds = db.session.scalars(select(Activity.kind).where(Activity.lead_id == lead.id)).all()
    assert sorted(kinds) == ["assignment", "note"]

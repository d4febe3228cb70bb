"""Consent is one rule on every channel (issue 27): only an explicit yes stores a lead.

The public form took consent=false (and "0", "off": a BooleanField reads any non-empty
value but "false" as yes) and stored and routed the lead without consent. Each channel
refuses a missing or non-yes consent with the message next to the box, and nothing is
stored or routed.
"""
import json

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from crm.intake import capture
from crm.models import Activity, InquiryRepeat, Lead
from tests.factories import UserFactory, make_site

PERSON = {"contact_name": "刘先生", "mobile": "133 9121 9793"}
NOT_YES = [None, "", "false", "False", "0", "off", "no", "n", "nope", " "]
MESSAGE = "请同意隐私声明，以便我们与您联系。"


def _nothing_kept(db, sent):
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 0
    assert db.session.scalar(select(func.count()).select_from(InquiryRepeat)) == 0
    assert sent == []


def _with(consent, **extra) -> dict:
    return {**PERSON, **extra, **({} if consent is None else {"consent": consent})}


def _refused_next_to_the_box(response):
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'<p class="error" id="consent-error">{MESSAGE}</p>' in html
    assert "133 9121 9793" in html  # what was typed is kept


@pytest.mark.parametrize("consent", NOT_YES)
def test_the_public_form_refuses_anything_but_yes(client, db, sent, consent):
    _refused_next_to_the_box(client.post("/inquiry", data=_with(consent)))
    _nothing_kept(db, sent)


@pytest.mark.parametrize("consent", NOT_YES)
def test_the_embed_refuses_anything_but_yes(client, db, sent, consent):
    site, _key = make_site()
    db.session.commit()
    _refused_next_to_the_box(client.post(f"/embed/inquiry?site={site.public_key}",
                                         data=_with(consent)))
    _nothing_kept(db, sent)


@pytest.mark.parametrize("consent", NOT_YES)
def test_agent_entry_refuses_unless_the_agent_confirms_the_prospect_agreed(
        client, auth, db, sent, consent):
    UserFactory(email="me@example.com")
    db.session.commit()
    auth.login("me@example.com")
    for routed in ({}, {"to_routing": "y"}):
        _refused_next_to_the_box(client.post("/agent/leads/new",
                                             data=_with(consent, channel="phone", **routed)))
    _nothing_kept(db, sent)


@pytest.mark.parametrize("consent", [False, None, "false", "true", "0", "off", 0, 1, [], {}])
def test_the_api_refuses_anything_but_true(client, db, sent, consent):
    _site, key = make_site()
    db.session.commit()
    for body in (_with(None), {**PERSON, "consent": consent}):
        response = client.post("/api/v1/inquiries", data=json.dumps(body),
                               headers={"X-Api-Key": key}, content_type="application/json")
        assert response.status_code == 422
        assert list(response.get_json()["errors"]) == ["consent"]
    _nothing_kept(db, sent)


@pytest.mark.parametrize("consent", ["y", "yes", "on", "true", "1", "Y"])
def test_a_ticked_box_is_recorded_with_the_notice_version(client, db, sent, consent):
    assert client.post("/inquiry", data=_with(consent)).status_code == 302
    lead = db.session.scalars(select(Lead)).one()
    assert lead.consent is True and lead.consent_at and lead.consent_version == "2026-11"


@pytest.mark.parametrize("routed", [{}, {"to_routing": "y"}])
def test_the_agent_s_confirmation_is_recorded_with_who_vouched(client, auth, db, sent, routed):
    me = UserFactory(email="me@example.com", name="李招商")
    db.session.commit()
    auth.login("me@example.com")
    assert 'name="consent"' in client.get("/agent/leads/new").get_data(as_text=True)
    response = client.post("/agent/leads/new", data=_with("y", channel="wechat", **routed))
    assert response.status_code == 302
    lead = db.session.scalars(select(Lead)).one()
    assert lead.consent is True and lead.consent_version == "2026-11" and lead.channel == "wechat"
    notes = db.session.scalars(select(Activity).where(Activity.lead_id == lead.id,
                                                      Activity.kind == "note")).all()
    assert [(n.author_id, n.body) for n in notes] == [
        (me.id, "李招商 确认客户已同意隐私声明（版本 2026-11）。")]


def test_the_capture_service_itself_refuses_a_form_without_consent(app, db, sent):
    """The last guard: a caller that skipped validation still cannot store or route."""
    from crm.intake.forms import InquiryForm
    with app.test_request_context():
        form = InquiryForm(formdata=MultiDict({**PERSON, "consent": "false"}),
                           meta={"csrf": False})
        assert not form.validate() and form.errors["consent"]
        with pytest.raises(ValueError):
            capture.capture_inquiry(form.to_inquiry(channel="web"))
    _nothing_kept(db, sent)

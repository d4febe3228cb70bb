"""Issue 14: one masking rule for every contact detail. A senior who may work a lead (it was
escalated to them) but does not own it sees the mobile, WeChat ID, email and the numbers of
repeat inquiries masked, on the lead page and in the edit form, until an audited reveal."""
from sqlalchemy import select

from crm.models import AuditLog, InquiryRepeat, Lead
from tests.factories import LeadFactory, TeamFactory, UserFactory


def _world(db):
    team = TeamFactory()
    owner = UserFactory(team=team, email="owner@example.com")
    senior = UserFactory(team=team, email="senior@example.com", is_senior=True)
    lead = LeadFactory(team=team, assigned_to=owner, escalated_to_id=senior.id,
                       mobile_e164="+8613912345678", mobile_display="139 1234 5678",
                       wechat_id="zhouming88", email="zm@example.cn", contact_name="周明")
    db.session.add(InquiryRepeat(original_lead_id=lead.id, matched_on="company",
                                 contact_name="周总", mobile_e164="+8613700001234",
                                 company=lead.company))
    db.session.commit()
    return lead


def test_a_senior_sees_every_contact_detail_masked_until_they_reveal(client, auth, db):
    lead = _world(db)
    auth.login("senior@example.com")
    page = client.get(f"/agent/leads/{lead.id}").get_data(as_text=True)
    for secret in ("13912345678", "139 1234 5678", "zhouming88", "zm@example.cn", "13700001234"):
        assert secret not in page, secret
    assert "139****5678" in page and "137****1234" in page and "z***@example.cn" in page
    revealed = client.post(f"/agent/leads/{lead.id}/reveal").get_data(as_text=True)
    assert "zhouming88" in revealed and "13700001234" in revealed
    assert db.session.scalars(select(AuditLog.action)).all() == ["reveal_contact"]


def test_the_edit_form_keeps_the_number_masked_and_unchanged(client, auth, db):
    lead = _world(db)
    auth.login("senior@example.com")
    form = client.get(f"/agent/leads/{lead.id}/edit").get_data(as_text=True)
    assert "1234 5678" not in form and "zhouming88" not in form and "139****5678" in form
    data = {"contact_name": "周明", "mobile": "139****5678", "wechat_id": "zh****88",
            "email": "z***@example.cn", "company": "新公司", "needs_eia": "unknown",
            "area_unit": "sqm"}
    assert client.post(f"/agent/leads/{lead.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    stored = db.session.get(Lead, lead.id)
    assert stored.mobile_e164 == "+8613912345678" and stored.wechat_id == "zhouming88"
    assert stored.email == "zm@example.cn" and stored.company == "新公司"

"""A lead's page: what the prospect said, masking and reveal, follow-ups, edits, merges."""
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from crm.models import Activity, AuditLog, Contact, Lead
from crm.models.types import utcnow
from tests.conftest import errors_in
from tests.factories import LeadFactory, TeamFactory, UserFactory


def test_the_page_shows_everything_said_source_utm_score_and_repeats(client, auth, db):
    me = UserFactory(email="me@example.com")
    person = Contact(name="刘先生", mobile_e164="+8613391219793")
    db.session.add(person)
    db.session.commit()
    earlier = LeadFactory(contact_id=person.id, assigned_to=me, mobile_e164="+8613391219793",
                          created_at=utcnow() - timedelta(days=10))
    LeadFactory(contact_id=person.id, mobile_e164="+8613391219793", status="spam",
                created_at=utcnow() - timedelta(days=200))  # spam is no need of the contact
    lead = LeadFactory(contact_id=person.id, assigned_to=me, mobile_e164="+8613391219793",
                       usage="钕铁硼磁材加工",
                       message="希望月底前看厂", page_url="https://zj.example.cn/news/changxing",
                       utm_source="baidu", utm_medium="cpc", utm_campaign="g60",
                       annual_tax_wan=Decimal("300"), industry="materials")
    auth.login("me@example.com")
    html = client.get(f"/agent/leads/{lead.id}?lang=en").get_data(as_text=True)
    for text in ("钕铁硼磁材加工", "希望月底前看厂", "https://zj.example.cn/news/changxing",
                 "baidu / cpc / g60", "Industry is one of the park's leading tracks",
                 "Annual tax 300 ten-thousand yuan", earlier.reference):
        assert text in html, text
    others = html[html.index('id="other-needs"'):html.index('id="timeline"')]
    assert others.count('data-ref="CF') == 1 and "This contact has 1 other need" in others


def test_mobile_masked_for_non_owner_and_reveal_is_audited(client, auth, db):
    team = TeamFactory()
    owner = UserFactory(team=team, email="owner@example.com")
    senior = UserFactory(team=team, email="senior@example.com")
    UserFactory(team=team, email="boss@example.com", role="manager")
    lead = LeadFactory(assigned_to=owner, escalated_to=senior, mobile_e164="+8613391219793",
                       mobile_display="133 9121 9793")
    auth.login("senior@example.com")
    html = client.get(f"/agent/leads/{lead.id}").get_data(as_text=True)
    assert "133****9793" in html and "133 9121 9793" not in html and "tel:" not in html
    assert db.session.scalars(select(AuditLog)).all() == []  # looking is not revealing
    revealed = client.post(f"/agent/leads/{lead.id}/reveal").get_data(as_text=True)
    assert "133 9121 9793" in revealed
    entry = db.session.scalars(select(AuditLog)).one()
    assert (entry.action, entry.entity, entry.entity_id, entry.actor_id) == (
        "reveal_contact", "lead", lead.id, senior.id)
    assert entry.ip == "127.0.0.1"
    # Revealing needs a POST: a GET link cannot be prefetched into the audit log.
    assert client.get(f"/agent/leads/{lead.id}/reveal").status_code == 405
    for email in ("owner@example.com", "boss@example.com"):
        auth.logout()
        auth.login(email)
        assert "133 9121 9793" in client.get(f"/agent/leads/{lead.id}").get_data(as_text=True)


def test_two_tap_follow_up_with_an_outcome(client, auth, db):
    me = UserFactory(email="me@example.com")
    lead = LeadFactory(assigned_to=me)
    auth.login("me@example.com")
    # A call nobody answered: the first-contact clock stops, the stage stays new.
    assert client.post(f"/agent/leads/{lead.id}/follow-ups",
                       data={"kind": "call", "outcome": "no_answer"}).status_code == 302
    db.session.refresh(lead)
    assert lead.first_contact_at is not None and lead.status == "new"
    client.post(f"/agent/leads/{lead.id}/follow-ups", data={
        "kind": "call", "outcome": "reached", "next_follow_up": "2026-12-01"})
    db.session.refresh(lead)
    assert lead.status == "contacted" and str(lead.next_follow_up_on) == "2026-12-01"
    outcomes = db.session.scalars(select(Activity.outcome).where(Activity.kind == "call")
                                  .order_by(Activity.id)).all()
    assert outcomes == ["no_answer", "reached"]
    response = client.post(f"/agent/leads/{lead.id}/follow-ups", data={"kind": "meeting"})
    assert response.status_code == 422
    assert "请填写跟进内容。" in errors_in(response.get_data(as_text=True))
    bad = client.post(f"/agent/leads/{lead.id}/follow-ups", data={"kind": "fax", "body": "x"})
    assert bad.status_code == 422


def test_edits_are_validated_like_the_form_and_audited(client, auth, db):
    me = UserFactory(email="me@example.com")
    lead = LeadFactory(assigned_to=me, mobile_e164="+8613391219793", mobile_display="133 9121 9793",
                       company="旧名称")
    auth.login("me@example.com")
    form = client.get(f"/agent/leads/{lead.id}/edit").get_data(as_text=True)
    assert "旧名称" in form and "133 9121 9793" in form
    data = {"contact_name": "刘先生", "mobile": "133 9121 9793", "company": "新名称有限公司",
            "area_min": "30亩", "area_unit": "mu", "needs_eia": "unknown"}
    bad = client.post(f"/agent/leads/{lead.id}/edit", data={**data, "mobile": "400 0123 021"})
    assert bad.status_code == 422 and errors_in(bad.get_data(as_text=True))
    assert client.post(f"/agent/leads/{lead.id}/edit", data=data).status_code == 302
    db.session.refresh(lead)
    assert lead.company == "新名称有限公司" and lead.area_min_sqm == Decimal("20000.10")
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "lead_edit")).one()
    assert entry.old["company"] == "旧名称" and entry.new["company"] == "新名称有限公司"
    assert "mobile_e164" not in entry.new  # unchanged fields are not logged
    client.post(f"/agent/leads/{lead.id}/edit", data={**data, "contact_name": "刘总"})
    renamed = db.session.scalars(select(AuditLog).where(AuditLog.action == "lead_edit")
                                 .order_by(AuditLog.id.desc())).first()
    # Personal values stay out of the append-only log (an erase could not reach them there).
    assert renamed.old == {"contact_name": "***"} and renamed.new == {"contact_name": "***"}


def test_merge_keeps_both_histories(client, auth, db):
    me = UserFactory(email="me@example.com")
    keep = LeadFactory(assigned_to=me, company="")
    dup = LeadFactory(assigned_to=me, company="重复公司")
    db.session.add_all([Activity(lead_id=keep.id, kind="note", body="A"),
                        Activity(lead_id=dup.id, kind="call", body="B")])
    db.session.commit()
    auth.login("me@example.com")
    assert client.post(f"/agent/leads/{keep.id}/merge",
                       data={"reference": dup.reference.lower()}).status_code == 302
    db.session.expire_all()
    keep, dup = db.session.get(Lead, keep.id), db.session.get(Lead, dup.id)
    assert dup.status == "merged" and dup.merged_into_id == keep.id
    assert keep.company == "重复公司"  # filled from the duplicate
    bodies = db.session.scalars(select(Activity.body).where(Activity.lead_id == keep.id)).all()
    assert "A" in bodies and "B" in bodies
    assert db.session.scalars(select(Activity.kind).where(Activity.lead_id == dup.id)).all() == ["merge"]
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "merge")).one()
    assert entry.old["duplicate_id"] == dup.id
    # Not twice, not into itself, not someone else's lead.
    again = client.post(f"/agent/leads/{keep.id}/merge", data={"reference": dup.reference})
    assert again.status_code == 422
    assert client.post(f"/agent/leads/{keep.id}/merge",
                       data={"reference": keep.reference}).status_code == 422
    foreign = LeadFactory(assigned_to=UserFactory())
    assert client.post(f"/agent/leads/{keep.id}/merge",
                       data={"reference": foreign.reference}).status_code == 422
    assert db.session.get(Lead, foreign.id).status == "new"


def test_manager_reassigns_one_lead_with_a_reason(client, auth, db):
    team = TeamFactory()
    UserFactory(team=team, email="boss@example.com", role="manager")
    old, new = UserFactory(team=team), UserFactory(team=team)
    lead = LeadFactory(assigned_to=old, team=team)
    auth.login("boss@example.com")
    response = client.post(f"/agent/leads/{lead.id}/reassign", data={"agent_id": new.id})
    assert response.status_code == 422  # the reason is required
    client.post(f"/agent/leads/{lead.id}/reassign", data={"agent_id": new.id, "reason": "客户要求"})
    db.session.refresh(lead)
    assert lead.assigned_to_id == new.id and lead.sla_due_at is not None
    note = db.session.scalars(select(Activity).where(Activity.kind == "assignment")).one()
    assert "客户要求" in note.body


def test_one_repeats_section_no_deadline_on_closed_leads_and_an_honest_empty_search(
        client, auth, db):
    """Issue 15: two sections shared id="repeats"; a lost lead still said "call by …"; an
    empty search said new inquiries would appear there."""
    me = UserFactory(email="me@example.com")
    lost = LeadFactory(assigned_to=me, status="lost", sla_due_at=utcnow() + timedelta(hours=1))
    auth.login("me@example.com")
    html = client.get(f"/agent/leads/{lost.id}?lang=en").get_data(as_text=True)
    assert html.count('id="repeats"') <= 1 and "call by" not in html
    empty = client.get("/agent/leads?lang=en&q=nobody-at-all").get_data(as_text=True)
    assert "No leads match these filters." in empty and "appear here" not in empty

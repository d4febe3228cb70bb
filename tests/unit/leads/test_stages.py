"""The stage machine, table-driven: every (from, to) pair is either legal or refused."""
import itertools

import pytest
from sqlalchemy import select

from crm.choices import STATUSES
from crm.leads import followup, stages
from crm.models import Activity, AuditLog, Lead, LostReason
from tests.factories import LeadFactory, UserFactory

LEGAL = {
    ("new", "contacted"), ("new", "qualified"), ("new", "lost"), ("new", "spam"),
    ("contacted", "qualified"), ("contacted", "site_visit"), ("contacted", "lost"),
    ("qualified", "site_visit"), ("qualified", "negotiating"), ("qualified", "lost"),
    ("site_visit", "negotiating"), ("site_visit", "won"), ("site_visit", "lost"),
    ("negotiating", "site_visit"), ("negotiating", "won"), ("negotiating", "lost"),
    ("won", "negotiating"), ("lost", "contacted"), ("spam", "new"),
}
PAIRS = [(a, b) for a, b in itertools.product(STATUSES, STATUSES) if a != b]


def test_the_table_is_exactly_the_documented_one():
    table = {(a, b) for a, targets in stages.TRANSITIONS.items() for b in targets}
    assert table == LEGAL
    assert set(stages.TRANSITIONS) == set(STATUSES)


@pytest.fixture
def reason(db):
    r = LostReason(name="价格")
    db.session.add(r)
    db.session.commit()
    return r


@pytest.mark.parametrize("current,target", PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_every_transition(db, reason, current, target):
    agent = UserFactory()
    lead = LeadFactory(assigned_to=agent, status=current)
    # Won is reached by recording a deal (crm.leads.deals.sign, tests/unit/deals), never a move.
    if (current, target) in LEGAL and target != "won":
        followup.change_status(lead, agent, target, lost_reason_id=reason.id)
        db.session.expire_all()
        lead = db.session.get(Lead, lead.id)
        assert lead.status == target
        move = db.session.scalars(select(Activity).where(Activity.kind == "status_change")).one()
        assert (move.from_status, move.to_status) == (current, target)
        entry = db.session.scalars(select(AuditLog).where(AuditLog.entity_id == lead.id)).one()
        assert entry.action == ("reopen" if current in ("won", "lost") else "status_change")
        assert entry.old["status"] == current and entry.new["status"] == target
    else:
        with pytest.raises(followup.StageError):
            followup.change_status(lead, agent, target, lost_reason_id=reason.id)
        db.session.expire_all()
        assert db.session.get(Lead, lead.id).status == current
        assert db.session.scalars(select(Activity)).all() == []


def test_lost_requires_an_active_reason_from_the_list(db, reason):
    agent = UserFactory()
    lead = LeadFactory(assigned_to=agent, status="negotiating")
    with pytest.raises(followup.StageError):
        followup.change_status(lead, agent, "lost", lost_reason="太贵")
    reason.active = False
    db.session.commit()
    with pytest.raises(followup.StageError):
        followup.change_status(lead, agent, "lost", lost_reason_id=reason.id)
    assert db.session.get(Lead, lead.id).status == "negotiating"


def test_reopen_clears_the_lost_reason_and_is_logged(db, reason):
    agent = UserFactory()
    lead = LeadFactory(assigned_to=agent, status="qualified")
    followup.change_status(lead, agent, "lost", "选了嘉兴", lost_reason_id=reason.id)
    assert lead.lost_reason_id == reason.id and lead.lost_reason == "选了嘉兴"
    followup.change_status(lead, agent, "contacted", "客户回头了")
    assert lead.status == "contacted" and lead.lost_reason_id is None and lead.lost_reason == ""
    last = db.session.scalars(select(Activity).order_by(Activity.id.desc())).first()
    assert (last.from_status, last.to_status) == ("lost", "contacted") and "客户回头了" in last.body
    actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["status_change", "reopen"]


def test_an_illegal_jump_is_refused_with_a_message_on_the_page(client, auth, db):
    me = UserFactory(email="me@example.com")
    lead = LeadFactory(assigned_to=me, status="contacted")
    auth.login("me@example.com")
    response = client.post(f"/agent/leads/{lead.id}/status?lang=en",
                           data={"status": "negotiating"})
    assert response.status_code == 422
    assert "A lead cannot move from this stage to the one chosen." in response.get_data(as_text=True)
    db.session.refresh(lead)
    assert lead.status == "contacted"


def test_a_merged_lead_cannot_move(db):
    agent = UserFactory()
    lead = LeadFactory(assigned_to=agent, status="merged")
    for target in STATUSES:
        assert not stages.can_move("merged", target)
    with pytest.raises(followup.StageError):
        followup.change_status(lead, agent, "contacted")


def test_the_note_typed_with_any_move_is_kept_in_the_history(db):
    """Issue 15: the note was kept only when the lead was lost."""
    agent = UserFactory()
    lead = LeadFactory(assigned_to=agent, status="contacted")
    followup.change_status(lead, agent, "site_visit", "周三下午看长兴的厂房")
    last = db.session.scalars(select(Activity).order_by(Activity.id.desc())).first()
    assert last.to_status == "site_visit" and last.body == "周三下午看长兴的厂房"

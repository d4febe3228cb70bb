"""engine.reassign_many(): the bulk reassignment a manager starts from the queue."""
from sqlalchemy import func, select

from crm.models import Activity, AuditLog, Lead
from crm.routing import engine
from tests.factories import LeadFactory, TeamFactory, UserFactory


def _count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _team():
    team = TeamFactory()
    boss = UserFactory(team=team, role="manager")
    return team, boss, UserFactory(team=team), UserFactory(team=team, name="新人")


def test_each_lead_moves_once_with_its_assignment_note_and_audit_row(db):
    team, boss, old, new = _team()
    leads = [LeadFactory(assigned_to=old, team=team) for _ in range(3)]
    ids = [x.id for x in leads]
    done = engine.reassign_many(ids + ids[::-1], new, "休假交接", boss)
    assert done.moved == ids and not (done.already_theirs or done.refused or done.left_out)
    db.session.expire_all()
    assert {db.session.get(Lead, i).assigned_to_id for i in ids} == {new.id}
    for lead_id in ids:
        notes = db.session.scalars(select(Activity.body).where(
            Activity.lead_id == lead_id, Activity.kind == "assignment")).all()
        assert len(notes) == 1 and "休假交接" in notes[0]
        assert _count(db, AuditLog, AuditLog.action == "reassign",
                      AuditLog.entity_id == lead_id) == 1


def test_a_lead_already_theirs_is_left_as_it_is(db):
    team, boss, _old, new = _team()
    lead = LeadFactory(assigned_to=new, team=team)
    done = engine.reassign_many([lead.id], new, "再次", boss)
    assert done.moved == [] and done.already_theirs == [lead.id]
    assert _count(db, AuditLog, AuditLog.action == "reassign") == 0


def test_leads_the_actor_does_not_manage_are_refused(db):
    team, boss, old, new = _team()
    mine = LeadFactory(assigned_to=old, team=team)
    elsewhere = LeadFactory(assigned_to=UserFactory())  # another team's lead
    done = engine.reassign_many([elsewhere.id, 987654, mine.id], new, "交接", boss)
    assert done.moved == [mine.id] and done.refused == [elsewhere.id, 987654]
    # An agent manages nobody's leads, not even their own.
    assert engine.reassign_many([mine.id], old, "交接", new).refused == [mine.id]
    db.session.expire_all()
    assert db.session.get(Lead, elsewhere.id).assigned_to_id != new.id
    assert db.session.get(Lead, mine.id).assigned_to_id == new.id
    assert _count(db, AuditLog, AuditLog.action == "reassign") == 1


def test_no_more_than_the_cap_are_looked_at(db, monkeypatch):
    team, boss, old, new = _team()
    ids = [LeadFactory(assigned_to=old, team=team).id for _ in range(3)]
    monkeypatch.setattr(engine, "REASSIGN_CAP", 2)
    done = engine.reassign_many(ids, new, "交接", boss)
    assert done.moved == ids[:2] and done.left_out == ids[2:]
    db.session.expire_all()
    assert db.session.get(Lead, ids[2]).assigned_to_id == old.id
    assert _count(db, Activity, Activity.kind == "assignment", Activity.lead_id.in_(ids)) == 2


def test_the_cap_is_500():
    assert engine.REASSIGN_CAP == 500

from sqlalchemy import func, select

from crm.models import Activity, Lead
from crm.routing import engine
from tests.factories import LeadFactory, TeamFactory, UserFactory


def assignments(db, lead):
    return db.session.scalar(select(func.count()).select_from(Activity).where(
        Activity.lead_id == lead.id, Activity.kind == "assignment"))


def test_round_robin_takes_turns_within_the_default_team(db):
    team = TeamFactory()
    agents = [UserFactory(team=team) for _ in range(3)]
    leads = [LeadFactory() for _ in range(7)]
    for lead in leads:
        engine.route_lead(lead.id)
    owners = [db.session.get(Lead, lead.id).assigned_to_id for lead in leads]
    assert owners == [a.id for a in agents] * 2 + [agents[0].id]


def test_routing_twice_changes_nothing_the_second_time(db):
    agent = UserFactory()
    UserFactory(team=agent.team)
    lead = LeadFactory()
    assert engine.route_lead(lead.id) == agent.id
    assert engine.route_lead(lead.id) is None
    db.session.refresh(lead)
    assert lead.assigned_to_id == agent.id
    assert assignments(db, lead) == 1


def test_assignment_activity_explains_the_choice(db):
    agent = UserFactory(name="李招商")
    lead = LeadFactory()
    engine.route_lead(lead.id)
    body = db.session.scalars(select(Activity.body).where(Activity.lead_id == lead.id)).one()
    assert "李招商" in body and agent.team.name in body


def test_inactive_agents_managers_and_other_teams_are_skipped(db):
    team = TeamFactory()
    UserFactory(team=team, active=False)
    UserFactory(team=team, role="manager")
    UserFactory(team=TeamFactory(is_default=False))
    agent = UserFactory(team=team)
    lead = LeadFactory()
    assert engine.route_lead(lead.id) == agent.id


def test_no_available_agent_leaves_the_lead_in_the_team_pool(db):
    team = TeamFactory()
    lead = LeadFactory()
    assert engine.route_lead(lead.id) is None
    db.session.refresh(lead)
    assert lead.routed_at is None and lead.assigned_to_id is None
    assert lead.team_id == team.id
    # Someone comes on duty: the sweeper's next pass routes it.
    agent = UserFactory(team=team)
    assert engine.unrouted_lead_ids(0) == [lead.id]
    assert engine.route_lead(lead.id) == agent.id


def test_spam_is_never_routed(db):
    UserFactory()
    lead = LeadFactory(status="spam")
    assert engine.route_lead(lead.id) is None
    assert engine.unrouted_lead_ids(0) == []


def test_unknown_lead_is_ignored(db):
    assert engine.route_lead(999999) is None


def test_sweeper_only_takes_leads_old_enough(db):
    LeadFactory()
    assert engine.unrouted_lead_ids(older_than_seconds=3600) == []
    assert len(engine.unrouted_lead_ids(older_than_seconds=0)) == 1

"""A routing task clears the backlog behind its lead in one batch; it must pick exactly as
routing one lead at a time would (round-robin turns, least-loaded counts, weights, caps)."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from crm.models import Activity, Lead
from crm.routing import engine
from tests.factories import LeadFactory, RuleFactory, TeamFactory, UserFactory
from tests.support.sql import statements_run

SH = ZoneInfo("Asia/Shanghai")


def owners(db, leads):
    db.session.expire_all()
    return [db.session.get(Lead, lead.id).assigned_to_id for lead in leads]


def route(leads, mode):
    """Route these leads one at a time, or all by one batch started from the first."""
    if mode == "one at a time":
        for lead in leads:
            engine.route_lead(lead.id)
    else:
        routed = engine.route_batch(leads[0].id, more=len(leads) + 5)
        assert set(routed) == {lead.id for lead in leads}


MODES = pytest.mark.parametrize("mode", ["one at a time", "batch"])


@MODES
def test_round_robin_turns_the_same(db, mode):
    team = TeamFactory()
    agents = [UserFactory(team=team) for _ in range(3)]
    leads = [LeadFactory() for _ in range(7)]
    route(leads, mode)
    assert owners(db, leads) == [a.id for a in agents] * 2 + [agents[0].id]
    stamps = [db.session.get(Lead, lead.id).assigned_at for lead in leads]
    assert stamps == sorted(stamps) and len(set(stamps)) == 7  # each its own turn


@MODES
def test_least_loaded_counts_move_within_the_batch(db, mode):
    team = TeamFactory()
    busy, idle = UserFactory(team=team), UserFactory(team=team)
    RuleFactory(team=team, strategy="least_loaded")
    for _ in range(3):
        LeadFactory(assigned_to=busy, status="contacted", routed_at=datetime.now(SH))
    LeadFactory(assigned_to=idle, status="qualified", routed_at=datetime.now(SH))
    leads = [LeadFactory() for _ in range(3)]
    route(leads, mode)
    assert owners(db, leads) == [idle.id, idle.id, busy.id]


@MODES
def test_weighted_round_robin_the_same(db, mode):
    team = TeamFactory()
    heavy, light = UserFactory(team=team, weight=2), UserFactory(team=team, weight=1)
    RuleFactory(team=team, strategy="weighted")
    leads = [LeadFactory() for _ in range(6)]
    route(leads, mode)
    result = owners(db, leads)
    assert result.count(heavy.id) == 4 and result.count(light.id) == 2
    assert result[:3] == [heavy.id, light.id, heavy.id]


@MODES
def test_caps_hold_within_the_batch_and_the_rest_waits_in_the_pool(db, mode):
    team = TeamFactory()
    a, b = UserFactory(team=team, capacity=1), UserFactory(team=team, capacity=2)
    leads = [LeadFactory() for _ in range(5)]
    route(leads, mode)
    result = owners(db, leads)
    assert result.count(a.id) == 1 and result.count(b.id) == 2 and result.count(None) == 2
    waiting = [db.session.get(Lead, lead.id) for lead in leads[3:]]
    assert all(lead.team_id == team.id and lead.routed_at is None for lead in waiting)


def test_a_batch_routes_each_lead_once_and_leaves_pool_leads_and_spam(db):
    team = TeamFactory()
    agent = UserFactory(team=team)
    pool = LeadFactory(team=team)            # waiting in a pool: the sweeper retries it
    spam = LeadFactory(status="spam")
    leads = [LeadFactory() for _ in range(4)]
    routed = engine.route_batch(leads[2].id, more=10)
    assert set(routed) == {lead.id for lead in leads}
    assert list(routed)[0] == leads[2].id    # the task's own lead comes first
    assert owners(db, [pool, spam]) == [None, None]
    assert engine.route_batch(leads[0].id, more=10) == {}  # nothing left to route
    n = db.session.scalar(select(func.count()).select_from(Activity)
                          .where(Activity.kind == "assignment"))
    assert n == 4 and owners(db, leads) == [agent.id] * 4


def test_a_batch_is_bounded(db):
    UserFactory()
    leads = [LeadFactory() for _ in range(6)]
    assert len(engine.route_batch(leads[5].id, more=2)) == 3
    assert owners(db, leads).count(None) == 3


def test_a_batch_reads_an_agents_channels_once_and_notifies_every_lead(db, monkeypatch):
    from crm.models import Notification, NotificationChannel
    from crm.notifications import outbox
    monkeypatch.setattr(outbox, "send_soon", lambda ids: None)  # queued is what is tested
    team = TeamFactory()
    agent = UserFactory(team=team)
    db.session.add(NotificationChannel(kind="email", target="a@example.cn", user_id=agent.id))
    db.session.commit()
    leads = [LeadFactory() for _ in range(5)]
    with statements_run(db.engine) as seen:
        engine.route_batch(leads[0].id, more=10)
    assert sum("FROM notification_channel" in s for s in seen) == 1  # not one per lead
    notified = db.session.scalars(select(Notification.lead_id)).all()
    assert sorted(notified) == sorted(lead.id for lead in leads)


def test_a_batch_with_no_channels_words_no_notice(db, monkeypatch):
    from crm.notifications import outbox
    monkeypatch.setattr(outbox, "summary", lambda lead: pytest.fail("worded for nobody"))
    UserFactory()
    leads = [LeadFactory() for _ in range(3)]
    assert len(engine.route_batch(leads[0].id, more=10)) == 3


@MODES
def test_big_projects_in_a_batch_escalate_as_one_at_a_time(db, mode):
    from decimal import Decimal
    team = TeamFactory()
    agent = UserFactory(team=team)
    senior = UserFactory(team=team, is_senior=True)   # a senior agent takes leads and escalations
    manager = UserFactory(team=team, role="manager")
    leads = [LeadFactory(investment_wan=Decimal("30000")) for _ in range(4)]
    with statements_run(db.engine) as seen:
        route(leads, mode)
    db.session.expire_all()
    rows = [db.session.get(Lead, lead.id) for lead in leads]
    # The senior is the first escalation, except on a lead they took themselves: the manager.
    assert [(r.assigned_to_id, r.escalated_to_id) for r in rows] == [
        (agent.id, senior.id), (senior.id, manager.id), (agent.id, senior.id),
        (senior.id, manager.id)]
    seniors_read = sum("is_senior DESC" in s for s in seen)
    assert seniors_read == (4 if mode == "one at a time" else 1)  # once per batch

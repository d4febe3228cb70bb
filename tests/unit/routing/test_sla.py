"""SLA discipline with a frozen clock: reminder at half time, alert and reassignment at the deadline."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import select

from crm.leads import followup
from crm.models import Activity, Lead, Notification
from crm.routing import engine, sla
from tests.factories import ChannelFactory, LeadFactory, RuleFactory, TeamFactory, UserFactory

SH = ZoneInfo("Asia/Shanghai")


def events(db):
    return sorted((n.channel.target, n.event.split(":")[0])
                  for n in db.session.scalars(select(Notification)))


def setup_team(reassign: bool):
    team = TeamFactory()
    first = UserFactory(team=team, name="甲")
    second = UserFactory(team=team, name="乙")
    manager = UserFactory(team=team, role="manager", name="经理")
    for user in (first, second, manager):
        ChannelFactory(user=user, target=f"http://127.0.0.1:9/{user.email}")
    RuleFactory(team=team, sla_minutes=30, reassign_on_breach=reassign)
    return first, second, manager


def test_reminder_alert_and_reassignment_happen_at_the_right_times(db):
    first, second, manager = setup_team(reassign=True)
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=SH), tick=False) as clock:
        lead = LeadFactory()
        assert engine.route_lead(lead.id) == first.id
        clock.move_to(datetime(2026, 11, 23, 10, 14, tzinfo=SH))
        assert sla.remind_half_time() == 0 and sla.handle_breaches() == 0
        clock.move_to(datetime(2026, 11, 23, 10, 15, tzinfo=SH))
        assert sla.remind_half_time() == 1
        assert sla.remind_half_time() == 0  # once only
        assert ("http://127.0.0.1:9/" + first.email, "sla_half") in events(db)
        clock.move_to(datetime(2026, 11, 23, 10, 29, tzinfo=SH))
        assert sla.handle_breaches() == 0
        clock.move_to(datetime(2026, 11, 23, 10, 30, tzinfo=SH))
        assert sla.handle_breaches() == 1
        assert sla.handle_breaches() == 0
    db.session.expire_all()
    lead = db.session.get(Lead, lead.id)
    assert lead.assigned_to_id == second.id  # reassigned to the next agent
    assert lead.sla_due_at == datetime(2026, 11, 23, 11, 0, tzinfo=SH)  # a fresh deadline
    got = events(db)
    assert ("http://127.0.0.1:9/" + manager.email, "sla_breach") in got
    assert ("http://127.0.0.1:9/" + second.email, "reassigned") in got
    bodies = db.session.scalars(select(Activity.body).where(Activity.lead_id == lead.id)).all()
    assert any("甲" in b for b in bodies if b.startswith(("First-contact", "首次联系")))  # a note stays


def test_without_reassignment_the_manager_is_alerted_and_the_owner_stays(db):
    first, _second, manager = setup_team(reassign=False)
    with time_machine.travel(datetime(2026, 11, 23, 17, 50, tzinfo=SH), tick=False) as clock:
        lead = LeadFactory()
        engine.route_lead(lead.id)
        # 30 working minutes from 17:50: 10 today, 20 on Tuesday morning.
        clock.move_to(datetime(2026, 11, 24, 9, 19, tzinfo=SH))
        assert sla.handle_breaches() == 0
        clock.move_to(datetime(2026, 11, 24, 9, 20, tzinfo=SH))
        assert sla.handle_breaches() == 1
    db.session.expire_all()
    lead = db.session.get(Lead, lead.id)
    assert lead.assigned_to_id == first.id and lead.sla_breached_at is not None
    assert ("http://127.0.0.1:9/" + manager.email, "sla_breach") in events(db)


def test_a_contacted_lead_raises_no_alarm(db):
    first, _second, _manager = setup_team(reassign=True)
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=SH), tick=False) as clock:
        lead = LeadFactory()
        engine.route_lead(lead.id)
        followup.log_follow_up(db.session.get(Lead, lead.id), first, "call", "已联系")
        clock.move_to(datetime(2026, 11, 23, 12, 0, tzinfo=SH))
        assert sla.remind_half_time() == 0 and sla.handle_breaches() == 0
    assert [e for e in events(db) if e[1] != "assigned"] == []


def test_follow_ups_due_remind_the_owner_once(db):
    agent = UserFactory()
    ChannelFactory(user=agent)
    lead = LeadFactory(assigned_to=agent)
    followup.log_follow_up(lead, agent, "call", "下周三再联系", next_follow_up=date(2026, 11, 25))
    assert followup.remind_follow_ups(today=date(2026, 11, 24)) == 0
    assert followup.remind_follow_ups(today=date(2026, 11, 25)) == 1
    assert followup.remind_follow_ups(today=date(2026, 11, 25)) == 0

"""Rules with one home (issue 29): the follow-up reminder, "not spam, not merged", the
awaiting-contact index, and routing published only through jobs.enqueue_routing."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import select

from crm.choices import JUNK_STATUSES, OPEN_STATUSES
from crm.intake import capture
from crm.leads import followup, queue
from crm.models import Lead, Notification
from crm.models.lead import AWAITING_CONTACT
from tests.factories import ChannelFactory, LeadFactory, UserFactory
from workers.schedule import BEAT_SCHEDULE

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=SH)


def test_one_run_reminds_date_only_and_timed_follow_ups_once_each(app, db):
    with time_machine.travel(NOW, tick=False):
        agent = UserFactory()
        ChannelFactory(user=agent)
        on_the_day = LeadFactory(assigned_to=agent, status="contacted",
                                 next_follow_up_on=NOW.date())
        at_a_time = LeadFactory(assigned_to=agent, status="contacted", next_follow_up_on=NOW.date(),
                                next_follow_up_at=NOW + timedelta(minutes=10))
        db.session.commit()
        assert followup.remind_follow_ups() == 2
        assert followup.remind_follow_ups() == 0
        told = db.session.scalars(select(Notification.lead_id)).all()
    assert sorted(told) == sorted([on_the_day.id, at_a_time.id])


def test_the_one_follow_up_task_runs_often_enough_for_a_timed_reminder(app):
    [entry] = [e for e in BEAT_SCHEDULE.values() if e["task"].endswith("follow_up_reminders")]
    assert entry["schedule"] <= 60 * app.config["CRM_FOLLOW_UP_REMINDER_MINUTES"]


def test_not_spam_not_merged_is_one_list():
    assert JUNK_STATUSES == ("spam", "merged")
    assert not hasattr(queue, "HIDDEN_STATUSES")


def test_the_awaiting_contact_index_names_exactly_the_open_statuses():
    named = AWAITING_CONTACT.split("status IN (")[1].split(")")[0]
    assert tuple(s.strip(" '") for s in named.split(",")) == OPEN_STATUSES


def test_releasing_spam_publishes_routing_through_enqueue_routing(db, monkeypatch):
    manager = UserFactory(role="manager")
    lead = LeadFactory(status="spam")
    db.session.commit()
    published = []
    monkeypatch.setattr(capture, "enqueue_routing", published.append)
    capture.release_spam(lead, manager)
    assert published == [lead.id]
    assert db.session.get(Lead, lead.id).status == "new"

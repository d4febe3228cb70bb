"""One routing task serves a burst: inquiries that find a task waiting publish none, and
that task (with the ones it hands on) still routes every lead. No beat runs here, so no
sweeper can cover for a lead the protocol forgot."""
import asyncio
from datetime import timedelta

import pytest
import redis
from aiosmtpd.controller import Controller
from flask import current_app
from sqlalchemy import func, select

from crm import jobs
from crm.extensions import db
from crm.models import Lead
from crm.models.types import utcnow
from crm.routing import engine
from tests.factories import LeadFactory, RuleFactory, TeamFactory, UserFactory
from tests.integration.test_routing_faults import routed, submit
from tests.support.stack import Worker, free_port, wait_until
from workers.tasks import route_lead

pytestmark = pytest.mark.integration


def queued_tasks() -> int:
    client = redis.Redis.from_url(current_app.config["REDIS_URL"])
    return client.llen(current_app.config["CELERY"]["task_default_queue"])


def test_a_burst_publishes_one_task_and_every_lead_is_routed(pg_app, start_worker):
    assert current_app.config["CRM_ROUTING_BATCH"] == 50
    team = TeamFactory()
    UserFactory(team=team, capacity=500)
    client = pg_app.test_client()
    for i in range(120):  # more than two batches, before any worker is there
        submit(client, i)
    assert queued_tasks() == 1  # the first inquiry published; the 119 others found it waiting
    start_worker("w1", concurrency=2)
    # 50 leads per task: the first task's full batch hands on to a second, and that to a third.
    wait_until(lambda: routed() == 120, timeout=60)
    assert db.session.scalar(select(func.count()).select_from(Lead)
                             .where(Lead.routed_at.is_(None))) == 0


def test_a_full_batch_takes_the_backlog_behind_it_without_lingering(pg_app, monkeypatch):
    """A task lingered before each batch of 50 and handed the next batch to a new task,
    which lingered again: routing could not go faster than one batch per linger, and a
    longer burst queued up behind it. Now one task takes the batches in a row."""
    team = TeamFactory()
    UserFactory(team=team, capacity=1000)
    client = pg_app.test_client()
    for i in range(260):
        submit(client, i)
    first = db.session.scalar(select(func.min(Lead.id)))
    handed_on, slept = [], []
    monkeypatch.setattr(engine, "enqueue_routing", handed_on.append)
    monkeypatch.setattr(engine.time, "sleep", slept.append)
    route_lead(first)  # as a worker runs it: not eager, so it lingers
    # One linger, before the first batch; the other four batches came at once.
    assert routed() == 260 and handed_on == []
    assert slept == [current_app.config["CRM_ROUTING_LINGER_SECONDS"]]


def test_after_a_task_starts_the_next_inquiry_publishes_again(pg_app):
    client = pg_app.test_client()
    submit(client, 1)
    submit(client, 2)
    assert queued_tasks() == 1
    jobs.routing_task_started()  # what a task does before it picks its batch
    submit(client, 3)
    assert queued_tasks() == 2


def test_without_redis_for_the_mark_the_inquiry_still_publishes(pg_app, monkeypatch):
    class Down:
        def set(self, *args, **kwargs):
            raise redis.ConnectionError("down")

    published = []
    monkeypatch.setattr(jobs, "_routing_mark", lambda: (Down(), "k"))
    monkeypatch.setattr(jobs, "enqueue", lambda name, *args: published.append((name, args)) or True)
    assert jobs.enqueue_routing(7) is True
    assert published == [(jobs.ROUTE_LEAD, (7,))]


def test_a_failed_publish_does_not_silence_the_next_inquiries(pg_app, monkeypatch):
    published = []
    monkeypatch.setattr(jobs, "enqueue", lambda name, *args: False)  # a broker blip
    assert jobs.enqueue_routing(1) is False  # lead 1 is the sweeper's
    monkeypatch.setattr(jobs, "enqueue", lambda name, *args: published.append(args) or True)
    jobs.enqueue_routing(2)  # the broker is back a moment later
    assert published == [(2,)]  # the failed publish took its mark away with it


def test_a_worker_with_another_batch_size_still_clears_the_mark(pg_app):
    client = pg_app.test_client()
    submit(client, 1)
    assert queued_tasks() == 1
    pg_app.config["CRM_ROUTING_BATCH"] = 1  # as a worker configured apart would see it
    jobs.routing_task_started()
    pg_app.config["CRM_ROUTING_BATCH"] = 50
    submit(client, 2)
    assert queued_tasks() == 2


def test_leads_no_team_takes_do_not_hide_one_that_skipped_publishing(pg_app):
    """Leads nobody's rule takes (and no default team) stay unrouted and oldest: they fill
    a batch. The follow-up counts the leads a batch took, not the ones it routed."""
    rule = RuleFactory(channel="web")  # web leads go to this team; there is no default team
    UserFactory(team=rule.team)
    old = utcnow() - timedelta(minutes=5)
    for i in range(49):
        LeadFactory(channel="phone", created_at=old + timedelta(seconds=i))
    db.session.commit()
    client = pg_app.test_client()
    submit(client, 1)  # publishes
    submit(client, 2)  # finds the mark: publishes nothing
    assert queued_tasks() == 1
    first, second = db.session.scalars(select(Lead.id).where(Lead.channel == "web")
                                       .order_by(Lead.id)).all()
    route_lead(first)  # what the worker does with the one message
    db.session.expire_all()
    assert db.session.get(Lead, first).routed_at is not None
    assert db.session.get(Lead, second).routed_at is None
    assert queued_tasks() == 2  # the full batch published the next task, which takes it


class SlowInbox:
    """An SMTP server that takes its time, as a real one does (TLS, login, a slow link)."""

    def __init__(self):
        self.received = 0

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(1.0)
        self.received += 1
        return "250 OK"


def test_a_lead_with_an_email_is_routed_while_its_auto_reply_is_being_sent(pg_app, migrated):
    """The auto-reply used to hold the lead's row while it talked to the mail server, and
    routing (SKIP LOCKED) passed the lead by: it waited for the sweeper."""
    inbox = SlowInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    worker = None
    try:
        pg_app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        UserFactory(team=TeamFactory())
        worker = Worker({**migrated, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port)}, "w1",
                        concurrency=2)
        client = pg_app.test_client()
        response = client.post("/inquiry", data={"contact_name": "刘先生", "mobile": "13712345678",
                                                 "email": "liu@example.cn", "consent": "y"})
        assert response.status_code == 302
        wait_until(lambda: routed() == 1, timeout=8)  # no beat here: no sweeper
        wait_until(lambda: inbox.received == 1, timeout=15)
    finally:
        if worker is not None:
            worker.stop()
        controller.stop()

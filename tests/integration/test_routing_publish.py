"""One routing task serves a burst: inquiries that find a task waiting publish none, and
that task (with the ones it hands on) still routes every lead. No beat runs here, so no
sweeper can cover for a lead the protocol forgot."""
import pytest
import redis
from flask import current_app
from sqlalchemy import func, select

from crm import jobs
from crm.extensions import db
from crm.models import Lead
from tests.factories import TeamFactory, UserFactory
from tests.integration.test_routing_faults import routed, submit
from tests.support.stack import wait_until

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
    assert published == [(jobs.ROUTE_TASK, (7,))]

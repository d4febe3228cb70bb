"""A worker rides out a broker outage by itself: Redis stopped while it routes, started again.

Celery 5.7 / kombu 5.7 used to end the worker here ("Unrecoverable error": an AttributeError
in kombu while acking on the connection it had already closed, workers/README.md "Fault
drills"); only a supervisor brought it back. Now the same process, with the same pid, goes on.
"""
import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Activity, Lead
from tests.factories import TeamFactory, UserFactory
from tests.integration.conftest import make_test_app
from tests.support.stack import PrivateRedis, Worker, wait_until

pytestmark = pytest.mark.integration


def routed_ids() -> set[int]:
    db.session.expire_all()
    return set(db.session.scalars(select(Lead.id).where(Lead.routed_at.is_not(None))))


def submit(client, i: int) -> int:
    response = client.post("/inquiry", data={"contact_name": f"客户{i}", "mobile": f"136{i:08d}",
                                             "consent": "y"})
    assert response.status_code == 302, response.status_code
    db.session.expire_all()
    return db.session.scalars(select(Lead.id).where(Lead.mobile_e164 == f"+86136{i:08d}")).one()


def test_worker_survives_redis_stopped_mid_task_and_routes_after_it_returns(
        pg_app, migrated, monkeypatch, tmp_path):
    team = TeamFactory()
    UserFactory(team=team)
    private = PrivateRedis()
    private.start()
    marker = tmp_path / "paused"
    monkeypatch.setenv("REDIS_URL", private.url)
    app = make_test_app()
    client = app.test_client()
    # Routing pauses 2 s holding its locks: long enough to stop Redis with the task in
    # flight, its message unacked (acks late), as in the fault drill. Two pool processes, so
    # that the consumer waits on a BRPOP for the next message meanwhile: the state in which
    # losing the connection used to end the worker.
    worker = Worker({**migrated, "REDIS_URL": private.url, "CRM_FAULT_ROUTE_PAUSE_SECONDS": "2",
                     "CRM_FAULT_ROUTE_MARKER": str(marker)}, "outage", concurrency=2)
    pid = worker.proc.pid
    try:
        first = submit(client, 1)
        wait_until(lambda: marker.exists() and "paused" in marker.read_text(), timeout=20)
        private.stop()
        # The task ends and acks on a broker that is gone; the consumer reconnects meanwhile.
        wait_until(lambda: first in routed_ids(), timeout=20)
        wait_until(lambda: "Connection to broker lost" in worker.output(), timeout=20)
        private.start()  # empty: it keeps nothing on disk
        wait_until(lambda: worker.output().count("Connected to redis://") >= 2, timeout=40)
        second = submit(client, 2)  # published to the Redis that came back
        wait_until(lambda: second in routed_ids(), timeout=30)
        assert worker.proc.poll() is None and worker.proc.pid == pid
        assert "Unrecoverable error" not in worker.output()
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(Activity)
                                 .where(Activity.kind == "assignment")) == 2
    finally:
        worker.stop()
        private.stop()

"""Exactly-once routing on real parts: concurrent workers, caps, Redis stopped, workers killed."""
import signal
import subprocess
import time

import psutil
import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Activity, Lead
from tests.factories import TeamFactory, UserFactory
from tests.integration.conftest import make_test_app
from tests.support.stack import PrivateRedis, Worker, settled, wait_until

pytestmark = pytest.mark.integration


def count(stmt) -> int:
    db.session.expire_all()
    return db.session.scalar(stmt)


def routed() -> int:
    return count(select(func.count()).select_from(Lead).where(Lead.routed_at.is_not(None)))


def assignment_activities() -> int:
    return count(select(func.count()).select_from(Activity).where(Activity.kind == "assignment"))


def submit(client, i: int) -> None:
    response = client.post("/inquiry", data={"contact_name": f"客户{i}", "mobile": f"137{i:08d}",
                                             "consent": "y"})
    assert response.status_code == 302, response.status_code


def test_200_leads_two_workers_exactly_once_and_caps_respected(pg_app, migrated, start_worker):
    team = TeamFactory()
    agents = [UserFactory(team=team, capacity=cap) for cap in (30, 40, 50, 60)]  # 180 seats
    workers = start_worker("w1", concurrency=2), start_worker("w2", concurrency=2)
    client = pg_app.test_client()
    for i in range(200):
        submit(client, i)
    wait_until(lambda: routed() == 180 and assignment_activities() == 180, timeout=90)
    wait_until(lambda: settled(migrated, *workers), timeout=30)  # nothing left in flight
    assert routed() == 180 and assignment_activities() == 180
    per_agent = dict(db.session.execute(
        select(Lead.assigned_to_id, func.count()).where(Lead.assigned_to_id.is_not(None))
        .group_by(Lead.assigned_to_id)).all())
    assert per_agent == {a.id: a.capacity for a in agents}  # every seat filled, none over
    waiting = count(select(func.count()).select_from(Lead).where(
        Lead.assigned_to_id.is_(None), Lead.team_id == team.id))
    assert waiting == 20  # the rest wait in the team's pool


def test_redis_stopped_during_submissions_then_the_sweeper_routes_everything(
        pg_app, migrated, monkeypatch):
    if subprocess.run(["which", "redis-server"], capture_output=True).returncode != 0:
        pytest.fail("redis-server is needed for this drill")
    team = TeamFactory()
    agents = [UserFactory(team=team) for _ in range(3)]
    private = PrivateRedis()
    private.start()
    env = {**migrated, "REDIS_URL": private.url}
    monkeypatch.setenv("REDIS_URL", private.url)
    app = make_test_app()
    client = app.test_client()
    worker = Worker(env, "redis-drill")
    try:
        for i in range(10):
            submit(client, i)
        # Routed, and no routing task still in flight that would take later leads along.
        wait_until(lambda: routed() == 10 and settled(env, worker), timeout=30)
        private.stop()  # Redis goes away in the middle of the burst
        started = time.monotonic()
        for i in range(10, 30):
            submit(client, i)  # every submission still answered and saved
        assert (time.monotonic() - started) / 20 < 2.0
        assert count(select(func.count()).select_from(Lead)) == 30
        assert routed() == 10
        private.start()  # Redis is back (empty: it keeps nothing on disk)
        with app.app_context():
            app.extensions["celery"].send_task("workers.tasks.sweep_unrouted")
        wait_until(lambda: routed() == 30, timeout=60)
        assert assignment_activities() == 30
        per_agent = dict(db.session.execute(
            select(Lead.assigned_to_id, func.count()).group_by(Lead.assigned_to_id)).all())
        assert sorted(per_agent.values()) == [10, 10, 10]
        assert set(per_agent) == {a.id for a in agents}
    finally:
        worker.stop()
        private.stop()


def _pool_children(worker: Worker) -> list[psutil.Process]:
    return psutil.Process(worker.proc.pid).children(recursive=True)


def paused(marker) -> bool:
    """The drill worker is inside its pause: row locks held, nothing committed."""
    return marker.exists() and "paused" in marker.read_text()


def test_worker_child_killed_mid_routing_the_lead_is_routed_exactly_once(
        pg_app, migrated, tmp_path):
    team = TeamFactory()
    agents = [UserFactory(team=team) for _ in range(2)]
    marker = tmp_path / "paused"
    env = {**migrated, "CRM_FAULT_ROUTE_PAUSE_SECONDS": "3", "CRM_FAULT_ROUTE_MARKER": str(marker)}
    worker = Worker(env, "kill-child", concurrency=1)
    try:
        client = pg_app.test_client()
        submit(client, 1)
        lead_id = db.session.scalars(select(Lead.id)).one()
        wait_until(lambda: paused(marker), timeout=20)
        [child] = _pool_children(worker)
        child.send_signal(signal.SIGKILL)
        # The parent notices, the message is rejected and requeued, a new child routes it.
        wait_until(lambda: count(select(Lead.routed_at).where(Lead.id == lead_id)), timeout=60)
        # Every delivery has ended and none waits: a second, wrong one would have landed.
        wait_until(lambda: settled(migrated, worker), timeout=30)
        assert assignment_activities() == 1
        assert count(select(Lead.assigned_to_id).where(Lead.id == lead_id)) in {a.id for a in agents}
        assert "WorkerLostError" in worker.output() or "SIGKILL" in worker.output()
    finally:
        worker.stop()


def test_whole_worker_killed_mid_routing_the_sweeper_routes_it_once(pg_app, migrated, tmp_path):
    team = TeamFactory()
    UserFactory(team=team)
    marker = tmp_path / "paused"
    slow = Worker({**migrated, "CRM_FAULT_ROUTE_PAUSE_SECONDS": "30",
                   "CRM_FAULT_ROUTE_MARKER": str(marker)}, "doomed", concurrency=1)
    client = pg_app.test_client()
    submit(client, 1)
    lead_id = db.session.scalars(select(Lead.id)).one()
    wait_until(lambda: paused(marker), timeout=20)  # routing holds its locks, has written nothing
    slow.kill(signal.SIGKILL)  # parent and child: the message stays unacked in Redis
    slow.proc.wait()
    slow.log.close()
    assert count(select(Lead.routed_at).where(Lead.id == lead_id)) is None
    healthy = Worker(migrated, "healthy")
    try:
        with pg_app.app_context():
            pg_app.extensions["celery"].send_task("workers.tasks.sweep_unrouted")
        wait_until(lambda: count(select(Lead.routed_at).where(Lead.id == lead_id)), timeout=30)
        wait_until(lambda: settled(migrated, healthy), timeout=30)
        assert assignment_activities() == 1
    finally:
        healthy.stop()

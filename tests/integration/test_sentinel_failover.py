"""Redis behind Sentinel: the master SIGKILLed during a burst of inquiries, the replica promoted.

A replicated Redis of the test's own (master :6390, replica :6391, Sentinels :26390-26392,
quorum 2, the master declared down after 1 s) carries everything the app keeps in Redis: the
Celery broker of a real worker, the intake rate limits and the routing mark. The app and the
worker know only the Sentinels (REDIS_URL=sentinel://…;sentinel://…). Every inquiry answered
201 must be in PostgreSQL and routed exactly once; the worker must ride the failover out
by itself and take work from the promoted replica.
"""
import threading
import time

import pytest

from config import Config
from crm import create_app, jobs, redis_client
from crm.extensions import db
from tests.conftest import FreshContextClient
from tests.factories import TeamFactory, UserFactory, make_site
from tests.integration.conftest import REQUIRED
from tests.support.stack import SentinelRedis, Worker, audit_leads, settled, wait_until

pytestmark = pytest.mark.integration

BURST, KILL_AFTER, RATE = 60, 20, 12.0   # inquiries, the one after which the master dies, per second
AFTER_FAILOVER = 5


@pytest.fixture
def sentinels():
    try:
        cluster = SentinelRedis()
        cluster.start()  # stops what it started if it fails
    except RuntimeError as exc:
        message = f"a private Redis with Sentinels could not start: {exc}"
        if REQUIRED:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    yield cluster
    cluster.destroy()


def post(client, key: str, i: int):
    return client.post("/api/v1/inquiries", headers={"X-Api-Key": key}, json={
        "contact_name": f"客户{i}", "mobile": f"135{i:08d}", "consent": True})


def test_master_killed_mid_burst_every_acknowledged_inquiry_is_saved_and_routed_once(
        pg_app, migrated, sentinels, monkeypatch, tmp_path):
    env = {**migrated, "REDIS_URL": sentinels.url, "CRM_REDIS_MASTER_NAME": sentinels.master_name,
           # Rate limits on, counted through the Sentinels, high enough for one client's burst.
           "CRM_RATELIMIT_PER_API_KEY": "100000 per minute"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config = Config()
    config.TESTING, config.CRM_SPAM_MIN_FILL_SECONDS = True, 0
    app = create_app(config)
    app.test_client_class = FreshContextClient
    limiter = app.extensions["crm_intake_limiter"]
    team = TeamFactory()
    agents = [UserFactory(team=team) for _ in range(3)]
    _site, key = make_site("哨兵演练站")
    marker = tmp_path / "paused"
    # Routing pauses 0.3 s holding its locks, so the master can die with a task in flight.
    worker = Worker({**env, "CRM_FAULT_ROUTE_PAUSE_SECONDS": "0.3", "CRM_FAULT_ROUTE_MARKER": str(marker)},
                    "sentinel", concurrency=1)
    pid = worker.proc.pid
    answers: dict[int, object] = {}

    def burst():
        client, start = app.test_client(), time.monotonic()
        for i in range(BURST):
            answers[i] = post(client, key, i)
            time.sleep(max(0.0, start + (i + 1) / RATE - time.monotonic()))  # paced, not a wait

    try:
        sender = threading.Thread(target=burst, daemon=True)
        sender.start()
        wait_until(lambda: len(answers) >= KILL_AFTER, timeout=30)
        pauses = marker.read_text().count("paused") if marker.exists() else 0
        wait_until(lambda: marker.exists() and marker.read_text().count("paused") > pauses, timeout=20)
        sentinels.kill_master()  # mid-burst, a routing task in flight
        killed_at = time.monotonic()
        wait_until(lambda: sentinels.master_port_reported() == sentinels.replica_port, timeout=30)
        failover_seconds = time.monotonic() - killed_at
        sender.join(timeout=60)
        assert not sender.is_alive()

        # After the failover the app publishes to, and counts its limits on, the new master.
        limiter.retry_redis_at = 0  # its back-off after the outage is over
        client = app.test_client()
        for i in range(BURST, BURST + AFTER_FAILOVER):
            answers[i] = post(client, key, i)
        promoted = sentinels.node(sentinels.replica_port)
        assert promoted.keys("LIMITS:*intake-api*"), "the rate limits did not reach the new master"
        with app.app_context():  # beat's sweeper, as its next tick would send it
            wait_until(lambda: jobs.enqueue(jobs.SWEEP_UNROUTED), timeout=20)

        accepted = {i: a.get_json()["reference"] for i, a in answers.items() if a.status_code == 201}
        assert len(accepted) == BURST + AFTER_FAILOVER, sorted(
            {a.status_code for a in answers.values()})
        wait_until(lambda: (audit := audit_leads(migrated["DATABASE_URL"])).routed == audit.leads,
                   timeout=40, interval=0.3)
        wait_until(lambda: settled(env, worker), timeout=30)  # nothing in flight: a double would show
        audit = audit_leads(migrated["DATABASE_URL"])
        assert set(accepted.values()) <= audit.references  # every acknowledged inquiry saved
        assert audit.leads == len(accepted)
        assert audit.routed == audit.leads and audit.assignment_activities == audit.leads
        assert audit.duplicates == 0 and audit.leads_assigned_twice == 0 and audit.half_written == 0
        counts = [audit.per_agent.get(a.id, 0) for a in agents]
        assert max(counts) - min(counts) <= 1, counts  # the round-robin stayed fair
        # The worker rode it out: the same process, never "Unrecoverable error".
        assert worker.proc.poll() is None and worker.proc.pid == pid
        assert "Unrecoverable error" not in worker.output()
        # Connected through the Sentinels at start, and again (to the promoted replica) after.
        assert worker.output().count("Connected to sentinel://") >= 2
        print(f"failover seen by a majority of Sentinels {failover_seconds:.1f} s after the kill")
    except BaseException:
        print(sentinels.logs()[-6000:], worker.output()[-6000:], sep="\n")
        raise
    finally:
        worker.stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        redis_client.shared.cache_clear()  # the clients of Sentinels that are gone

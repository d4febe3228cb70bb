"""Reports on a real streaming replica (crm/reads.py), with the fallback to the primary.

A private primary (port 5434) and a hot standby made from it with `pg_basebackup -R`
(port 5435), both in /tmp and run as the `postgres` user when the test runs as root; the
shared server is never touched. The app writes to the primary and reads its reports from
the replica: with replay paused, a new lead is on its lead page (the primary) but not in
the dashboard's count nor in a search (the replica); a lag over the limit and a stopped
replica send the report to the primary, and the page says so.
"""
import os
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
import time_machine

from config import Config
from crm import create_app, reads
from crm.extensions import db
from tests.conftest import FreshContextClient
from tests.factories import LeadFactory, UserFactory
from tests.support import caches
from tests.support.stack import migrate, require_pg_server_binaries, wait_until

pytestmark = pytest.mark.integration

PRIMARY_PORT, REPLICA_PORT = 5434, 5435
# A fixed "now" for the app (the report's default range is the 30 days up to today); the
# servers keep their own clocks, which only the replica's lag is measured by.
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


class Cluster:
    """One private PostgreSQL server: initdb'd (the primary) or a base backup (the replica)."""

    def __init__(self, root: Path, name: str, port: int, bindir: Path, as_user: list[str]):
        self.data, self.port, self.bindir, self._as = root / name, port, bindir, as_user
        self.socket_dir, self.log = root, root / f"{name}.log"

    def run(self, tool: str, *args: str) -> None:
        result = subprocess.run([*self._as, str(self.bindir / tool), *args],
                                capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{tool} failed: {result.stderr or result.stdout}")

    def start(self, *settings: str) -> None:
        options = " ".join([f"-p {self.port} -k {self.socket_dir}",
                            "-c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=40",
                            *(f"-c {s}" for s in settings)])
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options,
                 "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def one(self, sql: str, database: str = "crm"):
        with psycopg.connect(self.url(database), autocommit=True, connect_timeout=3) as conn:
            return conn.execute(sql).fetchone()[0]


@pytest.fixture(scope="module")
def clusters():
    bindir = require_pg_server_binaries()
    root = Path(tempfile.mkdtemp(prefix="crm-replica-"))
    as_user = []
    if os.geteuid() == 0:  # initdb refuses root; the servers run as postgres
        shutil.chown(root, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    primary = Cluster(root, "primary", PRIMARY_PORT, bindir, as_user)
    replica = Cluster(root, "replica", REPLICA_PORT, bindir, as_user)
    try:
        primary.run("initdb", "-D", str(primary.data), "-U", "postgres", "--auth=trust",
                    "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        # initdb's own pg_hba.conf already trusts replication from 127.0.0.1 with
        # --auth=trust; said here so the test does not lean on that default.
        with open(primary.data / "pg_hba.conf", "a") as hba:
            hba.write("\nhost replication postgres 127.0.0.1/32 trust\n")
        primary.start("wal_level=replica", "max_wal_senders=4")
        with psycopg.connect(primary.url(), autocommit=True, connect_timeout=3) as conn:
            conn.execute("CREATE DATABASE crm")
        migrate({"DATABASE_URL": primary.url("crm")})
        # -c fast: the backup's checkpoint at once, not spread over minutes.
        replica.run("pg_basebackup", "-D", str(replica.data), "-h", "127.0.0.1",
                    "-p", str(PRIMARY_PORT), "-U", "postgres", "-R", "-X", "stream",
                    "-c", "fast")
        replica.start("hot_standby=on")
        assert replica.one("SELECT pg_is_in_recovery()")
        yield primary, replica
    finally:
        for cluster in (replica, primary):
            try:
                cluster.stop("immediate")
            except RuntimeError:
                pass
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def app(clusters, monkeypatch):
    primary, replica = clusters
    monkeypatch.setenv("DATABASE_URL", primary.url("crm"))
    monkeypatch.setenv("CRM_REPORTS_DATABASE_URL", replica.url("crm"))
    monkeypatch.setenv("CRM_REPORTS_MAX_LAG_SECONDS", "30")
    monkeypatch.delenv("REDIS_URL", raising=False)  # tasks run in-process
    config = Config()
    config.TESTING = True
    config.WTF_CSRF_ENABLED = False
    config.RATELIMIT_ENABLED = False
    app = create_app(config)
    app.test_client_class = FreshContextClient
    caches.forget_all()
    reads.forget()
    with time_machine.travel(NOW, tick=True), app.app_context():
        yield app
        db.session.remove()
        db.engines[reads.BIND].dispose()
        db.engine.dispose()


def caught_up(primary: Cluster, replica: Cluster) -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    target = primary.one("SELECT pg_current_wal_lsn()")
    wait_until(lambda: replica.one(
        f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"), timeout=20, interval=0.05)


def dashboard(client) -> tuple[int, str, str]:
    """(leads counted, where the figures came from, the page) of the dashboard."""
    reads.forget()  # a fresh look at the replica, as after its few seconds of cache
    page = client.get("/reports/").get_data(as_text=True)
    total = int(page.split('<strong id="total">', 1)[1].split("<", 1)[0])
    source = page.split('class="freshness" data-source="', 1)[1].split('"', 1)[0]
    return total, source, page


def test_reports_read_the_replica_and_fall_back_to_the_primary_when_it_lags_or_stops(
        clusters, app):
    primary, replica = clusters
    UserFactory(email="boss@example.com", role="admin", team=None)
    for n in range(3):
        LeadFactory(reference=f"CF261119-R000{n}", company=f"早先的公司{n}")
    caught_up(primary, replica)
    client = app.test_client()
    assert client.post("/login", data={"email": "boss@example.com",
                                       "password": "secret-pass"}).status_code == 302

    total, source, page = dashboard(client)
    assert (total, source) == (3, "replica")
    assert "数据截至" in page and "（只读副本）" in page

    # Replay paused: what the primary writes now is received by the replica, not applied.
    replica.one("SELECT pg_wal_replay_pause()")

    def paused() -> bool:
        # The startup process stops at the next record it replays: give it one (a commit).
        primary.one("SELECT txid_current()")
        return replica.one("SELECT pg_get_wal_replay_pause_state()") == "paused"
    wait_until(paused)
    late = LeadFactory(reference="CF261120-LATE1", company="回放暂停时的新公司")
    target = primary.one("SELECT pg_current_wal_lsn()")
    wait_until(lambda: replica.one(f"SELECT pg_last_wal_receive_lsn() >= '{target}'::pg_lsn"))

    # The report reads the replica: the new lead is not counted yet...
    assert dashboard(client)[:2] == (3, "replica")
    # ...nor found by a search (the replica too)...
    searched = client.get("/agent/leads?tab=all&q=CF261120-LATE1").get_data(as_text=True)
    assert f'/agent/leads/{late.id}"' not in searched
    # ...while its page, read from the primary, shows it.
    lead_page = client.get(f"/agent/leads/{late.id}")
    assert lead_page.status_code == 200 and "回放暂停时的新公司" in lead_page.get_data(as_text=True)

    # Behind by more than the limit (WAL waiting, the last replayed commit older than 0 s):
    # the report reads the primary and says its figures are live.
    app.config["CRM_REPORTS_MAX_LAG_SECONDS"] = 0
    total, source, page = dashboard(client)
    assert (total, source) == (4, "primary")
    assert "实时数据" in page and "只读副本" not in page
    app.config["CRM_REPORTS_MAX_LAG_SECONDS"] = 30

    # Replay resumed and caught up: back on the replica, which now has the lead.
    replica.one("SELECT pg_wal_replay_resume()")
    caught_up(primary, replica)
    assert dashboard(client)[:2] == (4, "replica")
    searched = client.get("/agent/leads?tab=all&q=CF261120-LATE1").get_data(as_text=True)
    assert f'/agent/leads/{late.id}"' in searched

    # The replica stopped: reports, report exports and the queue's export read the primary.
    replica.stop()
    total, source, page = dashboard(client)
    assert (total, source) == (4, "primary") and "实时数据" in page
    export = client.post("/reports/funnel/export.csv")
    assert export.status_code == 200 and export.data
    queue_export = client.post("/agent/leads/export.csv?tab=all")
    assert queue_export.status_code == 200 and b"CF261120-LATE1" in queue_export.data

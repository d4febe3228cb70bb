"""Real PostgreSQL, real Redis, real Celery worker processes.

Each run gets a throwaway database and its own Celery queue name, so runs (and
a developer's own worker) never see each other's tasks. With CRM_REQUIRE_SERVICES=1
(set by .ci/run) a missing service fails the run instead of skipping it.

With CRM_TEST_PGBOUNCER=1 the app, its workers and the tests' own sessions reach the
database through a real PgBouncer in transaction pooling (tests/support/stack.py,
127.0.0.1:6432 or CRM_TEST_PGBOUNCER_PORT), with CRM_DATABASE_POOLER=pgbouncer; the
database is still created, migrated and dropped directly, as docs/deploy.md says to.
"""
import os
import subprocess
import uuid

import psycopg
import pytest
import redis

from config import Config
from crm import create_app, jobs
from crm.extensions import db as _db
from tests.conftest import FreshContextClient
from tests.support import caches

# These lived here before tests/support/stack.py; still importable from here for older tests.
from tests.support.stack import (  # noqa: F401
    PgBouncer,
    PrivatePostgres,
    Worker,
    create_database,
    drop_database,
    migrate,
    run_flask,
    wait_until,
)

PG_ADMIN_URL = os.environ.get("CRM_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("CRM_TEST_REDIS", "redis://127.0.0.1:6379/0")
REQUIRED = os.environ.get("CRM_REQUIRE_SERVICES") == "1"
THROUGH_PGBOUNCER = os.environ.get("CRM_TEST_PGBOUNCER") == "1"


def _unavailable(what: str, error: Exception):
    message = f"{what} is not reachable: {error}"
    if REQUIRED:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_url():
    try:
        url = create_database(PG_ADMIN_URL)
    except psycopg.OperationalError as exc:
        _unavailable("PostgreSQL", exc)
    yield url
    drop_database(PG_ADMIN_URL, url)


@pytest.fixture(scope="session")
def redis_url():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        _unavailable("Redis", exc)
    return REDIS_URL


@pytest.fixture(scope="session")
def stack_env(pg_url, redis_url):
    """Environment shared by the test's app and the worker processes it starts."""
    return {"DATABASE_URL": pg_url, "REDIS_URL": redis_url,
            "CRM_CELERY_QUEUE": f"crm-test-{uuid.uuid4().hex[:8]}",
            "CRM_SWEEP_AFTER_SECONDS": "0"}


@pytest.fixture(scope="session")
def pgbouncer():
    """A real PgBouncer in transaction pooling in front of the test server (pool size 2)."""
    try:
        bouncer = PgBouncer(PG_ADMIN_URL)
        bouncer.start()
    except (RuntimeError, OSError) as exc:
        _unavailable("PgBouncer", exc)
    yield bouncer
    bouncer.stop()


@pytest.fixture(scope="session")
def migrated(stack_env, request):
    migrate(stack_env)  # directly: DDL and its locks never go through a pooler
    if not THROUGH_PGBOUNCER:
        return stack_env
    bouncer = request.getfixturevalue("pgbouncer")
    return {**stack_env, "DATABASE_URL": bouncer.url(stack_env["DATABASE_URL"]),
            "CRM_DATABASE_POOLER": "pgbouncer"}


def make_test_app():
    """An app from the current environment, for tests that post in bursts.

    Tests post from one address without the form's fill-time token; the tests about
    spam and rate limits turn those defences on themselves.
    """
    config = Config()
    config.TESTING = True
    config.WTF_CSRF_ENABLED = False
    config.CRM_SPAM_MIN_FILL_SECONDS = 0
    config.RATELIMIT_ENABLED = False
    app = create_app(config)
    app.test_client_class = FreshContextClient
    return app


@pytest.fixture
def pg_app(migrated, monkeypatch):
    for key, value in migrated.items():
        monkeypatch.setenv(key, value)
    app = make_test_app()
    caches.forget_all()  # what the last test's database put in this process's memory
    with app.app_context():
        # Tasks an earlier test published and no worker took (their leads are gone) would
        # route this test's leads along in their batch, under another request id; and their
        # "routing task waiting" mark would keep this test's first inquiry from publishing.
        redis.Redis.from_url(app.config["REDIS_URL"]).delete(
            app.config["CELERY"]["task_default_queue"])
        jobs.routing_task_started()
        yield app
        _db.session.remove()
        # Each test starts from empty tables (users, teams and leads).
        _db.session.execute(_db.text(
            "TRUNCATE activity, inquiry_repeat, api_idempotency_key, lead, source_site, "
            "\"user\", team RESTART IDENTITY CASCADE"))
        # The rollups went with the leads (a trigger); without their SLA setting no report
        # reads them until a test folds again (crm.reporting.rollup).
        _db.session.execute(_db.text(
            "DO $$ BEGIN IF to_regclass('report_rollup_state') IS NOT NULL THEN "
            "DELETE FROM report_rollup_state; END IF; END $$"))
        _db.session.commit()
        _db.engine.dispose()


@pytest.fixture
def start_worker(migrated):
    workers = []

    def _start(name: str = "w1", **kwargs) -> Worker:
        worker = Worker(migrated, name, **kwargs)
        workers.append(worker)
        return worker

    yield _start
    for worker in workers:
        worker.stop()


@pytest.fixture
def private_pg():
    """A PostgreSQL cluster of the test's own, which it may stop (never the shared one)."""
    try:
        pg = PrivatePostgres()
        pg.start()
    except (RuntimeError, OSError) as exc:
        _unavailable("A private PostgreSQL cluster (initdb, pg_ctl)", exc)
    yield pg
    pg.destroy()


@pytest.fixture
def small_disk_pg():
    """A private PostgreSQL cluster whose data directory (tables and WAL) is on a 96 MB tmpfs
    of its own, for filling the disk (PrivatePostgres.fill/free). Mounting needs root."""
    if os.geteuid() != 0:
        pytest.skip("mounting the cluster's own small disk (tmpfs) needs root")
    pg = None
    try:
        pg = PrivatePostgres(disk_mb=96)
        pg.start()
    except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        if pg is not None:
            pg.destroy()
        _unavailable("A private PostgreSQL cluster on a tmpfs (initdb, pg_ctl, mount)", exc)
    yield pg
    pg.destroy()

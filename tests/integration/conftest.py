"""Real PostgreSQL, real Redis, real Celery worker processes.

Each run gets a throwaway database and its own Celery queue name, so runs (and
a developer's own worker) never see each other's tasks. With CRM_REQUIRE_SERVICES=1
(set by .ci/run) a missing service fails the run instead of skipping it.
"""
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import redis

from config import Config
from crm import create_app
from crm.extensions import db as _db
from tests.conftest import FreshContextClient

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN_URL = os.environ.get("CRM_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("CRM_TEST_REDIS", "redis://127.0.0.1:6379/0")
REQUIRED = os.environ.get("CRM_REQUIRE_SERVICES") == "1"


def _unavailable(what: str, error: Exception):
    message = f"{what} is not reachable: {error}"
    if REQUIRED:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_url():
    name = f"crm_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        _unavailable("PostgreSQL", exc)
    admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


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


def run_flask(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "crm:create_app", *args],
                          cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="session")
def migrated(stack_env):
    # The schema comes from the migrations, exactly as in production.
    result = run_flask(stack_env, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    return stack_env


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
    with app.app_context():
        yield app
        _db.session.remove()
        # Each test starts from empty tables (users, teams and leads).
        _db.session.execute(_db.text(
            "TRUNCATE activity, inquiry_repeat, api_idempotency_key, lead, source_site, "
            "\"user\", team RESTART IDENTITY CASCADE"))
        _db.session.commit()
        _db.engine.dispose()


class Worker:
    """A real `celery -A workers worker` process on the run's queue."""

    def __init__(self, env: dict, name: str, concurrency: int = 1, pool: str = "prefork"):
        self.log_path = Path(f"/tmp/{env['CRM_CELERY_QUEUE']}-{name}.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "workers", "worker", "-Q",
             env["CRM_CELERY_QUEUE"], "-n", f"{name}@%h", "--pool", pool,
             "--concurrency", str(concurrency), "--without-gossip", "--without-mingle",
             "--without-heartbeat", "-l", "INFO"],
            cwd=ROOT, env={**os.environ, **env}, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + 60
        while "ready." not in self.log_path.read_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker {name} did not start:\n{self.log_path.read_text()}")
            time.sleep(0.2)

    def output(self) -> str:
        return self.log_path.read_text()

    def kill(self, sig) -> None:
        os.killpg(self.proc.pid, sig)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill(9)
                self.proc.wait()
        self.log.close()


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


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")

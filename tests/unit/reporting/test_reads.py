"""crm/reads.py without a real replica: SQLite stays as it was, the health verdicts (an idle
primary is no lag), a replica that fails its check, and which requests count as writes.
tests/integration/test_reports_replica.py runs it against a real streaming replica."""
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from flask import g
from sqlalchemy.exc import OperationalError

import config
from crm import create_app, reads
from crm.extensions import db
from tests.conftest import FreshContextClient
from tests.factories import UserFactory

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


class FakeEngine:
    """What check() uses of an engine: connect(), then one row from the health query."""

    def __init__(self, row=None, error=None):
        self.row, self.error = row, error

    def connect(self):
        if self.error is not None:
            raise self.error
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def execute(self, statement):
        return SimpleNamespace(one=lambda: self.row)


def row(standby=True, caught_up=False, age=None):
    return SimpleNamespace(now=NOW, standby=standby, caught_up=caught_up,
                           replayed_at=None if age is None else NOW - timedelta(seconds=age))


@pytest.mark.parametrize(("health_row", "usable", "as_of", "lag"), [
    # Everything received is replayed: current, however old the last commit (an idle
    # primary writes none), and its figures are as of now.
    (row(caught_up=True, age=3600), True, NOW, 0.0),
    # WAL waiting: the lag is the age of the last replayed commit.
    (row(age=12), True, NOW - timedelta(seconds=12), 12.0),
    (row(age=31), False, NOW - timedelta(seconds=31), 31.0),
    (row(age=None), False, None, None),  # nothing replayed since it started: unknown
    (row(standby=False), True, NOW, 0.0),  # not a standby (a promoted copy): current
], ids=["idle-primary", "behind-within", "behind-over", "unknown", "not-a-standby"])
def test_health_verdicts(health_row, usable, as_of, lag):
    health = reads.check(FakeEngine(health_row), max_lag=30)
    assert (health.usable, health.as_of, health.lag_seconds) == (usable, as_of, lag)


def test_an_unreachable_replica_is_not_usable():
    error = OperationalError("connect", {}, Exception("connection refused"))
    health = reads.check(FakeEngine(error=error), max_lag=30)
    assert not health.usable and health.as_of is None


def test_sqlite_ignores_the_reports_url_and_reads_as_before(monkeypatch, tmp_path):
    monkeypatch.setenv("CRM_REPORTS_DATABASE_URL", "postgresql://nobody@127.0.0.1:9/crm")
    settings = config.TestConfig()
    settings.SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    app = create_app(settings)
    with app.app_context():
        assert reads.BIND not in db.engines and not reads.configured()
        with reads.reports() as freshness:
            assert freshness == reads.NO_REPLICA
            assert reads.session() is db.session()


def test_without_a_replica_the_report_says_nothing_about_freshness(client, auth, app):
    UserFactory(email="boss@example.com", role="admin", team=None)
    auth.login("boss@example.com")
    page = client.get("/reports/").get_data(as_text=True)
    assert "freshness" not in page and "实时数据" not in page


@pytest.fixture
def replica_app(tmp_path):
    """An app whose "replica" bind is a second SQLite file: no health query works there, so
    every check fails and the reads fall back to the primary, as with a replica down."""
    settings = config.TestConfig()
    settings.SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'primary.sqlite3'}"
    settings.SQLALCHEMY_BINDS = {reads.BIND: f"sqlite:///{tmp_path / 'replica.sqlite3'}"}
    app = create_app(settings)
    app.test_client_class = FreshContextClient
    reads.forget()
    with app.app_context():
        db.create_all(bind_key=None)
        yield app
        db.session.remove()
    reads.forget()


def test_a_replica_that_fails_its_check_sends_reports_to_the_primary_and_says_so(replica_app):
    UserFactory(email="boss@example.com", role="admin", team=None)
    client = replica_app.test_client()
    client.post("/login", data={"email": "boss@example.com", "password": "secret-pass"})
    page = client.get("/reports/").get_data(as_text=True)
    assert 'data-source="primary"' in page and "实时数据" in page


def test_a_signed_in_write_keeps_the_users_reads_on_the_primary_for_a_while(replica_app):
    UserFactory(email="boss@example.com", role="admin", team=None)
    client = replica_app.test_client()

    def wrote_at():
        with client.session_transaction() as cookie:
            return cookie.get("_wrote_at")

    # Logging in writes nothing a report shows; neither does an export.
    client.post("/login", data={"email": "boss@example.com", "password": "secret-pass"})
    assert wrote_at() is None
    assert client.post("/reports/funnel/export.csv").status_code == 200
    assert wrote_at() is None
    assert not _reads_the_primary_after_a_write(replica_app, client)
    # A write does: for CRM_REPORTS_MAX_LAG_SECONDS the user's searches and reports read
    # the primary, where it is.
    assert client.post("/admin/teams/new", data={"name": "新团队"}).status_code == 302
    assert wrote_at() is not None
    assert _reads_the_primary_after_a_write(replica_app, client)
    replica_app.config["CRM_REPORTS_MAX_LAG_SECONDS"] = -1  # as if that long had passed
    assert not _reads_the_primary_after_a_write(replica_app, client)


def _reads_the_primary_after_a_write(app, client) -> bool:
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    with app.test_request_context(headers={"Cookie": f"session={cookie.value}"}):
        return reads.wrote_recently()


@pytest.mark.parametrize("pooler", ["", "pgbouncer"])
def test_the_replica_bind_takes_the_primarys_engine_options(pooler):
    """Behind PgBouncer the replica's connections must not prepare statements either (its
    reports failed with "prepared statement … does not exist"); both keep hidden parameters
    and the pre-ping, and the replica adds its short connect timeout."""
    primary = config.engine_options(pooler)
    options = reads.bind_options("postgresql+psycopg://replica/crm", primary)
    assert options["url"] == "postgresql+psycopg://replica/crm"
    assert options["hide_parameters"] is True and options["pool_pre_ping"] is True
    assert options["connect_args"]["connect_timeout"] == reads.CONNECT_TIMEOUT_SECONDS
    if pooler == "pgbouncer":
        assert "prepare_threshold" in options["connect_args"]
        assert options["connect_args"]["prepare_threshold"] is None
    assert "url" not in primary  # the primary's options are not changed


def test_each_kind_of_read_opens_its_block_in_crm_reads(replica_app, monkeypatch):
    """Where the queue, its export and a report's export read is decided in crm/reads.py:
    a search and an export read as a report does (the replica when it is fit), the plain
    queue reads the primary, and an export counts as no write."""
    blocks: list[bool] = []
    real = reads.reports

    def counted(**kwargs):
        blocks.append(bool(g.get("reads_nothing_written")))
        return real(**kwargs)

    monkeypatch.setattr(reads, "reports", counted)
    UserFactory(email="boss@example.com", role="admin", team=None)
    client = replica_app.test_client()
    client.post("/login", data={"email": "boss@example.com", "password": "secret-pass"})
    assert client.get("/agent/leads?tab=all").status_code == 200
    assert client.get("/agent/leads?tab=all&q=%20%20").status_code == 200
    assert blocks == []  # the plain queue (blank words too): the primary, no block
    assert client.get("/agent/leads?tab=all&q=CF2611").status_code == 200
    assert blocks == [False]
    assert client.post("/agent/leads/export.csv?tab=all").status_code == 200
    assert client.post("/reports/funnel/export.csv").status_code == 200
    assert blocks == [False, True, True]  # each export marked as no write before it reads
    with client.session_transaction() as cookie:
        assert cookie.get("_wrote_at") is None


def test_the_blocks_yield_what_a_page_says_about_freshness(replica_app):
    with replica_app.test_request_context("/agent/leads"):
        with reads.searching(None) as nothing, reads.searching(" \t") as blank:
            assert nothing is None and blank is None
        with reads.searching("王") as searched:
            assert searched == reads.PRIMARY  # the replica fails its check here
    with replica_app.test_request_context("/reports/funnel/export.csv", method="POST"):
        with reads.exporting() as exported:
            assert exported == reads.PRIMARY and g.reads_nothing_written

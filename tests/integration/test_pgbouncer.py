"""Why CRM_DATABASE_POOLER=pgbouncer exists, on a real PgBouncer in transaction pooling.

psycopg prepares a statement on the server once it has run it `prepare_threshold` times (5)
on one connection, under the name `_pg3_<n>` counted per connection, and from then on only
binds that name. Through a transaction-pooling PgBouncer the server connection is shared:
two clients that each prepare their first statement both name it `_pg3_0` on the same
server session, and the second is refused. The alias `PgBouncer.SINGLE` has one server
connection, so the two clients surely share it (with more, a client may also land on a
server that lacks its statement: "does not exist"). The app's engine options turn preparing
off, and the same statements then run any number of times: on bare psycopg connections, and
on two SQLAlchemy engines built with the app's options, as two processes of the app would.
"""
import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from config import PGBOUNCER, Config, engine_options

pytestmark = pytest.mark.integration

RUNS = 8  # more than psycopg's prepare_threshold (5): the 6th run prepares
STATEMENT = "SELECT %s::int + 1"


@pytest.fixture
def single(pgbouncer):
    """The alias with one server connection, with no statement prepared on it yet."""
    _on_the_server("DEALLOCATE ALL", pgbouncer)
    clients: list[psycopg.Connection] = []
    yield clients
    for client in clients:
        client.close()


def _on_the_server(sql: str, pgbouncer):
    with psycopg.connect(pgbouncer.single_url, autocommit=True, prepare_threshold=None) as conn:
        cur = conn.execute(sql)
        return cur.fetchone() if cur.description else None


def _run_many(pgbouncer, clients: list, **connect_args) -> None:
    """Two clients, each running STATEMENT RUNS times, one transaction per run."""
    for _ in range(2):
        clients.append(psycopg.connect(pgbouncer.single_url, autocommit=True, connect_timeout=5,
                                       **connect_args))
    for client in clients:
        for i in range(RUNS):
            assert client.execute(STATEMENT, (i,)).fetchone() == (i + 1,)


def test_psycopgs_default_prepared_statements_break_under_transaction_pooling(pgbouncer, single):
    with pytest.raises(psycopg.errors.DuplicatePreparedStatement, match='"_pg3_0" already exists'):
        _run_many(pgbouncer, single)
    assert single[0].prepare_threshold == 5  # psycopg's default, as the app had it
    # The first client's statement outlived its transactions on the shared server session.
    assert _on_the_server("SELECT count(*) FROM pg_prepared_statements", pgbouncer) == (1,)


def test_the_apps_pgbouncer_setting_prepares_nothing(pgbouncer, single, monkeypatch):
    monkeypatch.setenv("CRM_DATABASE_POOLER", "pgbouncer")
    options = Config().SQLALCHEMY_ENGINE_OPTIONS
    assert options == engine_options(PGBOUNCER)
    _run_many(pgbouncer, single, **options["connect_args"])
    assert _on_the_server("SELECT count(*) FROM pg_prepared_statements", pgbouncer) == (0,)


def test_transaction_pooling_multiplexes_clients_onto_few_server_connections(pgbouncer):
    """The bouncer the integration tests run through really shares server connections."""
    clients = [psycopg.connect(pgbouncer.single_url, autocommit=True, prepare_threshold=None)
               for _ in range(4)]
    try:
        for client in clients:
            client.execute("SELECT 1")
        pools = {p["database"]: p for p in pgbouncer.show("POOLS")}
        single = pools[pgbouncer.SINGLE]
        assert single["cl_active"] + single["cl_waiting"] >= 4
        assert single["sv_active"] + single["sv_idle"] + single["sv_used"] <= 1
        assert {p["pool_mode"] for p in pools.values() if p["database"] != "pgbouncer"} == {"transaction"}
    finally:
        for client in clients:
            client.close()


@pytest.mark.parametrize("pooler", ["", PGBOUNCER])
def test_two_processes_engines_through_the_bouncer(pgbouncer, single, pooler):
    """Two engines built as the app builds its own (two gunicorn or Celery processes), each
    running a few short transactions: psycopg's default breaks the second, the setting not."""
    url = pgbouncer.single_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engines = [create_engine(url, **engine_options(pooler)) for _ in range(2)]

    def work() -> None:
        for engine in engines:
            for i in range(RUNS):
                with engine.begin() as conn:
                    assert conn.execute(text("SELECT :i + 1"), {"i": i}).scalar() == i + 1

    try:
        if pooler == PGBOUNCER:
            work()
        else:
            with pytest.raises(DBAPIError, match="already exists"):
                work()
    finally:
        for engine in engines:
            engine.dispose()

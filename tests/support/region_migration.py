"""Migration e2c7a5d3b914 on a real database file or server: rows holding every old dotted
region code are written at the revision before it, then upgraded and downgraded with
`flask db`, exactly as in production. Used by the SQLite unit test and the PostgreSQL
integration test."""
import logging
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from decimal import Decimal

import sqlalchemy as sa

from crm.regions.legacy import LEGACY_CODES
from tests.support.stack import run_flask

BEFORE, REVISION = "d7b3e1f04a96", "e2c7a5d3b914"
# Each table's region column and a second user's covered regions: every old code, once.
OLD_CODES = sorted(LEGACY_CODES)


def _filler(column: sa.Column):
    """A value for a NOT NULL column the test does not care about."""
    kind = column.type
    if column.foreign_keys or isinstance(kind, sa.Integer):
        return 1
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.DateTime):
        return datetime(2026, 11, 1, tzinfo=UTC)
    if isinstance(kind, sa.Date):
        return date(2026, 11, 1)
    if isinstance(kind, sa.Time):
        return time(9)
    if isinstance(kind, (sa.Numeric, sa.Float)):
        return Decimal("1")
    if isinstance(kind, sa.JSON):
        return {}
    return "x"


def _insert(conn, table: sa.Table, **values):
    row = {c.name: _filler(c) for c in table.columns
           if not c.nullable and c.server_default is None and c.name not in values
           and not (c.primary_key and c.name == "id")}
    conn.execute(table.insert().values(**row, **values))


def in_subprocess(url: str):
    """`flask db upgrade|downgrade REV` in a process of its own, as an operator runs it."""
    def run(command: str, revision: str | None) -> None:  # None: `flask db check`
        result = run_flask({"DATABASE_URL": url}, "db", command, *([revision] if revision else []))
        assert result.returncode == 0, result.stderr
    return run


def in_process(url: str):
    """The same commands through Flask-Migrate's API in this process (no subprocess: the unit
    tests also run under libfaketime, where a child's timed wait fails)."""
    import flask_migrate

    from config import TestConfig
    from crm import create_app
    config = TestConfig()
    config.SQLALCHEMY_DATABASE_URI = url
    app = create_app(config)

    def run(command: str, revision: str | None) -> None:
        with app.app_context(), _logging_kept():
            getattr(flask_migrate, command)(**({"revision": revision} if revision else {}))
    return run


@contextmanager
def _logging_kept():
    """migrations/env.py applies alembic.ini's logging (fileConfig disables every existing
    logger): put this process's logging back as it was for the tests that follow."""
    root = logging.getLogger()
    saved_root = (root.level, list(root.handlers))
    saved = {name: (lg.disabled, lg.level, list(lg.handlers), lg.propagate)
             for name, lg in logging.Logger.manager.loggerDict.items()
             if isinstance(lg, logging.Logger)}
    try:
        yield
    finally:
        root.setLevel(saved_root[0])
        root.handlers[:] = saved_root[1]
        for name, lg in logging.Logger.manager.loggerDict.items():
            if not isinstance(lg, logging.Logger):
                continue
            if name in saved:
                lg.disabled, lg.level, handlers, lg.propagate = saved[name]
                lg.handlers[:] = handlers
            else:
                lg.disabled = False


def check(url: str, run=None) -> None:
    run = run or in_subprocess(url)
    run("upgrade", BEFORE)
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    meta = sa.MetaData()
    meta.reflect(engine, only=["team", "user", "lead", "listing", "routing_rule"])
    t = meta.tables
    with engine.begin() as conn:
        _insert(conn, t["team"], id=1, name="招商组")
        _insert(conn, t["user"], id=1, email="a@example.com", team_id=1, covers_regions="")
        _insert(conn, t["user"], id=2, email="b@example.com", team_id=1,
                covers_regions="zj,sh.songjiang.g60,js.suzhou.sip")
        for i, code in enumerate(OLD_CODES, start=1):
            _insert(conn, t["lead"], id=i, reference=f"R{i:05d}", region_code=code, team_id=1,
                    assigned_to_id=None)
            _insert(conn, t["listing"], id=i, region_code=code)
            _insert(conn, t["routing_rule"], id=i, name=f"rule {i}", region_code=code,
                    team_id=1, agent_id=None, source_site_id=None)
        _insert(conn, t["lead"], id=999, reference="R00999", region_code=None, team_id=1,
                assigned_to_id=None)

    run("upgrade", REVISION)
    with engine.begin() as conn:
        for table in ("lead", "listing", "routing_rule"):
            got = dict(conn.execute(sa.select(t[table].c.id, t[table].c.region_code)).all())
            for i, code in enumerate(OLD_CODES, start=1):
                assert got[i] == LEGACY_CODES[code], (table, code, got[i])
        assert conn.scalar(sa.select(t["lead"].c.region_code).where(t["lead"].c.id == 999)) is None
        covers = conn.scalar(sa.select(t["user"].c.covers_regions).where(t["user"].c.id == 2))
        assert covers == "33,310117P01,320576"
        parks = dict(conn.execute(sa.text("SELECT code, parent_code FROM region_park")).all())
        for new in LEGACY_CODES.values():   # every park code the map uses was seeded
            if "P" in new:
                assert new in parks and new.startswith(parks[new]), new
        # A place the old tree lacked, stored after the upgrade: 昆山市 (江苏 / 苏州).
        conn.execute(t["lead"].update().where(t["lead"].c.id == 999).values(region_code="320583"))
        # Places it had no ancestor of: a rule for 北京 and an agent covering 深圳 and 湖州.
        conn.execute(t["routing_rule"].update().where(t["routing_rule"].c.id == 1)
                     .values(region_code="11"))
        conn.execute(t["user"].update().where(t["user"].c.id == 1)
                     .values(covers_regions="440305,3305"))

    run("downgrade", BEFORE)
    with engine.begin() as conn:
        for table in ("lead", "listing", "routing_rule"):
            got = dict(conn.execute(sa.select(t[table].c.id, t[table].c.region_code)).all())
            for i, code in enumerate(OLD_CODES, start=1):
                if (table, i) != ("routing_rule", 1):
                    assert got[i] == code, (table, code, got[i])
        assert conn.scalar(sa.select(t["lead"].c.region_code)
                           .where(t["lead"].c.id == 999)) == "js.suzhou"
        # NULL or "" would mean every region: the rule and the coverage stay narrow.
        assert conn.scalar(sa.select(t["routing_rule"].c.region_code)
                           .where(t["routing_rule"].c.id == 1)) == "unmapped"
        assert conn.scalar(sa.select(t["user"].c.covers_regions)
                           .where(t["user"].c.id == 1)) == "unmapped,zj.huzhou"
        covers = conn.scalar(sa.select(t["user"].c.covers_regions).where(t["user"].c.id == 2))
        assert covers == "zj,sh.songjiang.g60,js.suzhou.sip"
        assert "region_park" not in sa.inspect(conn).get_table_names()
    engine.dispose()

"""The contacts migrations down and up again on a copy of the demo data, on PostgreSQL in a
database of its own, `flask db` run as an operator runs it. Dropped by the downgrade, as
documented: contacts and companies with the 同行 mark and a contact's chosen firm, deals and
the lead's expected value and close date, stage probabilities, source spend (the full list:
tests/support/demo_migration.py)."""
from datetime import UTC, datetime

import pytest
import time_machine

from tests.integration.conftest import PG_ADMIN_URL
from tests.support import demo_migration
from tests.support.region_migration import in_subprocess
from tests.support.stack import create_database, drop_database

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 6, 6, 0, tzinfo=UTC)


def test_demo_people_regrouped_after_down_and_up_on_postgresql(pg_url):
    # pg_url: the server is up (the session's database is at head and full of rows).
    own = create_database(PG_ADMIN_URL, "crm_demo_migration")
    try:
        with time_machine.travel(NOW, tick=False):
            demo_migration.seed(demo_migration.demo_app(own))
        demo_migration.check(own, in_subprocess(own))
    finally:
        drop_database(PG_ADMIN_URL, own)


DEAL_SOURCES = ("SELECT d.id, d.channel, d.source_site_id, l.channel, l.source_site_id "
                "FROM deal d JOIN lead l ON l.id = d.lead_id ORDER BY d.id")


def _deal_sources_down_and_up(url: str) -> None:
    """e5a9c3b7d1f2 down and up on the demo: every deal gets its lead's channel and site."""
    import sqlalchemy as sa
    with time_machine.travel(NOW, tick=False):
        demo_migration.seed(demo_migration.demo_app(url))
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            before = conn.execute(sa.text(DEAL_SOURCES)).all()
        run = in_subprocess(url)
        run("downgrade", "c6d2a8e4f1b7")
        with engine.connect() as conn:
            assert "channel" not in {c["name"] for c in sa.inspect(conn).get_columns("deal")}
        run("upgrade", "head")
        run("check", None)
        with engine.connect() as conn:
            after = conn.execute(sa.text(DEAL_SOURCES)).all()
    finally:
        engine.dispose()
    assert len(before) >= 5 and after == before
    assert all((row[1], row[2]) == (row[3], row[4]) for row in after)
    assert {row[1] for row in after} - {None}  # channels were copied, not left empty


def test_deals_get_their_leads_source_down_and_up_on_postgresql(pg_url):
    own = create_database(PG_ADMIN_URL, "crm_deal_source_migration")
    try:
        _deal_sources_down_and_up(own)
    finally:
        drop_database(PG_ADMIN_URL, own)


def test_deals_get_their_leads_source_down_and_up_on_sqlite(tmp_path):
    _deal_sources_down_and_up(f"sqlite:///{tmp_path / 'demo.sqlite3'}")

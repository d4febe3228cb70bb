"""Migration d2b8f6a41c7e on PostgreSQL, in a database of its own: the same rows as the
SQLite unit test, and its SQL "another city" against crm.regions.same_area on PostgreSQL."""
import pytest
import sqlalchemy as sa

from crm.regions import canonical, same_area
from tests.integration.conftest import PG_ADMIN_URL
from tests.support import split_migration
from tests.support.stack import create_database, drop_database
from tests.unit.intake.test_split_migration import PAIRS

pytestmark = pytest.mark.integration


def test_differing_repeats_split_same_need_kept_and_down_restores_on_postgresql(pg_url):
    # A database of its own: the session's (pg_url) is already at head and full of rows.
    own = create_database(PG_ADMIN_URL, "crm_split_repeats")
    try:
        split_migration.check(own, split_migration.in_subprocess(own))
    finally:
        drop_database(PG_ADMIN_URL, own)


def test_another_city_in_postgresql_is_same_area_negated(pg_url):
    sql = split_migration.migration().other_city("CAST(:a AS TEXT)", "CAST(:b AS TEXT)")
    engine = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            for a, b in PAIRS:
                stored = [canonical(x) or x.strip() if x else x for x in (a, b)]
                found = conn.execute(sa.text(f"SELECT {sql}"), {"a": stored[0], "b": stored[1]}).scalar()
                assert bool(found) == (not same_area(a, b)), (a, b)
    finally:
        engine.dispose()

"""Migration e2c7a5d3b914 on SQLite: every old dotted code in leads, listings, routing rules
and covered regions becomes its new code, and downgrade restores it (PostgreSQL:
tests/integration/test_region_migration.py)."""
from tests.support import region_migration


def test_every_old_code_is_recoded_and_restored_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'regions.sqlite3'}"
    region_migration.check(url, region_migration.in_process(url))

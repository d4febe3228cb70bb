"""Migration e2c7a5d3b914 on PostgreSQL: the same rows as the SQLite unit test."""
import uuid

import psycopg
import pytest

from tests.integration.conftest import PG_ADMIN_URL
from tests.support import region_migration

pytestmark = pytest.mark.integration


def test_every_old_code_is_recoded_and_restored_on_postgresql(pg_url):
    name = f"crm_regions_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            region_migration.check(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

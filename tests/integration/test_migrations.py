"""`flask db upgrade` is the only way the schema is made: it must work and match the models."""
import uuid

import psycopg
import pytest

from tests.integration.conftest import PG_ADMIN_URL, run_flask

pytestmark = pytest.mark.integration


def _upgrade_and_check(env: dict):
    upgrade = run_flask(env, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    assert "initial schema" in upgrade.stderr  # the migration really ran
    check = run_flask(env, "db", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr
    downgrade = run_flask(env, "db", "downgrade", "base")
    assert downgrade.returncode == 0, downgrade.stderr


def test_migrations_on_an_empty_sqlite_file(tmp_path):
    _upgrade_and_check({"DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}"})


def test_migrations_on_an_empty_postgresql_database(pg_url):
    name = f"crm_mig_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            _upgrade_and_check({"DATABASE_URL": PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name})
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

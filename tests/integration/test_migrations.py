"""`flask db upgrade` is the only way the schema is made: it must work and match the models."""
import uuid

import psycopg
import pytest

from tests.integration.conftest import PG_ADMIN_URL
from tests.support.stack import run_flask

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


def test_sqlite_upgrade_keeps_existing_rows_and_references(tmp_path):
    """Batch migrations rebuild SQLite tables: no row may be lost or cascaded away."""
    import sqlite3
    path = tmp_path / "populated.sqlite3"
    env = {"DATABASE_URL": f"sqlite:///{path}"}
    first = run_flask(env, "db", "upgrade", "d6efedce6d57")  # the initial schema
    assert first.returncode == 0, first.stderr
    with sqlite3.connect(path) as conn:  # rows as the first release wrote them
        conn.execute("INSERT INTO team (id, name, is_default, created_at) VALUES (1, 't', 1, '2026-01-01')")
        conn.execute("INSERT INTO user (id, email, name, password_hash, role, team_id, active, created_at)"
                     " VALUES (1, 'a@b.c', 'a', 'x', 'agent', 1, 1, '2026-01-01')")
        for i in range(5):
            conn.execute(
                "INSERT INTO lead (reference, created_at, channel, region_text, area_unit, usage, company,"
                " contact_name, mobile_e164, mobile_display, mobile_note, contact_preference, wechat_id,"
                " email, message, consent, consent_version, status, lost_reason, page_url, referrer,"
                " utm_source, utm_medium, utm_campaign, assigned_to_id, team_id) VALUES"
                f" ('R{i}', '2026-01-01', 'web', '', 'sqm', '', '', 'x', '+8613300000000', '', '',"
                " 'phone', '', '', '', 1, '', 'new', '', '', '', '', '', '', 1, 1)")
            conn.execute("INSERT INTO activity (lead_id, kind, body, created_at) VALUES"
                         f" ({i + 1}, 'assignment', 'x', '2026-01-01')")
    upgrade = run_flask(env, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM lead WHERE assigned_to_id = 1").fetchone()[0] == 5
        assert conn.execute("SELECT count(*) FROM activity").fetchone()[0] == 5
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []

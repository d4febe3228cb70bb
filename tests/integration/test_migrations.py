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


def _wechat_only_migration(env: dict, url: str):
    """e8c4f1a2b6d3: leads agents entered get their source; a WeChat-only lead (NULL mobile)
    survives a downgrade as an unmatchable placeholder."""
    import sqlalchemy as sa
    assert run_flask(env, "db", "upgrade", "d7b3e1f04a96").returncode == 0
    engine = sa.create_engine(url)
    columns = ("reference, created_at, channel, region_text, area_unit, usage, company, contact_name,"
               " mobile_e164, mobile_display, mobile_note, contact_preference, wechat_id, email,"
               " message, consent, consent_version, status, lost_reason, page_url, referrer,"
               " utm_source, utm_medium, utm_campaign, assigned_to_id, team_id, routed_at,"
               " assigned_at, stage_rank, sla_provisional, search_text, spam_reasons")
    at = "'2026-06-15 02:00:00'"
    later = "'2026-06-15 02:00:05'"

    def lead(ref, channel, routed):
        return (f"INSERT INTO lead ({columns}) VALUES ('{ref}', {at}, '{channel}', '', 'sqm', '', '',"
                f" 'x', '+8613300000000', '', '', 'phone', '', '', '', true, '', 'new', '', '', '',"
                f" '', '', '', 1, 1, {routed}, {routed}, 0, false, '', '')")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO team (id, name, is_default, created_at, work_start, work_end,"
                             " weekends_too) VALUES (1, 't', true, '2026-01-01', '09:00', '18:00', false)"))
        conn.execute(sa.text('INSERT INTO "user" (id, email, name, password_hash, role, team_id, active,'
                             " created_at, must_change_password) VALUES (1, 'a@b.c', 'a', 'x', 'agent',"
                             " 1, true, '2026-01-01', false)"))
        conn.execute(sa.text(lead("ENTERED", "phone", at)))     # agent entry: routed when made
        conn.execute(sa.text(lead("ROUTED", "web", later)))     # routing ran after
    assert run_flask(env, "db", "upgrade", "e8c4f1a2b6d3").returncode == 0
    with engine.begin() as conn:
        rows = dict(conn.execute(sa.text("SELECT reference, sourced_by_id FROM lead")).all())
        assert rows == {"ENTERED": 1, "ROUTED": None}
        conn.execute(sa.text("UPDATE lead SET mobile_e164 = NULL, wechat_id = 'liu_wx88'"
                             " WHERE reference = 'ROUTED'"))
    downgrade = run_flask(env, "db", "downgrade", "d7b3e1f04a96")
    assert downgrade.returncode == 0, downgrade.stderr
    with engine.begin() as conn:
        mobiles = dict(conn.execute(sa.text("SELECT reference, mobile_e164 FROM lead")).all())
    assert mobiles["ENTERED"] == "+8613300000000" and mobiles["ROUTED"].startswith("wechat:")
    engine.dispose()


def test_wechat_only_migration_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'wx.sqlite3'}"
    _wechat_only_migration({"DATABASE_URL": url}, url)


def test_wechat_only_migration_on_postgresql(pg_url):
    name = f"crm_mig_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
            _wechat_only_migration({"DATABASE_URL": url},
                                   url.replace("postgresql://", "postgresql+psycopg://"))
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

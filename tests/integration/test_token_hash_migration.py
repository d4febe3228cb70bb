"""b7d41e9a2c58: recommendation tokens stored as digests; links already sent keep opening."""
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.integration.conftest import PG_ADMIN_URL
from tests.support.stack import create_database, drop_database, run_flask

pytestmark = pytest.mark.integration

SENT = "Q2hhbmdmYW5nLXJlY29tbWVuZGF0aW9uLXRva2VuLTEyMzQ"


def _insert(conn, table: sa.Table, **values):
    """A row with these values and a plain value in every other NOT NULL column."""
    plain = {sa.Integer: 1, sa.Boolean: False, sa.DateTime: datetime(2026, 1, 1),
             sa.Numeric: 0, sa.Date: datetime(2026, 1, 1).date(), sa.Time: datetime(2026, 1, 1).time()}
    row = dict(values)
    for column in table.columns:
        if column.name in row or column.nullable or column.primary_key or column.server_default:
            continue
        row[column.name] = next((v for t, v in plain.items() if isinstance(column.type, t)), "x")
    conn.execute(table.insert().values(**row))


def _sent_links_survive(env_url: str, url: str):
    env = {"DATABASE_URL": env_url}
    assert run_flask(env, "db", "upgrade", "f3a9c6d20e57").returncode == 0
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    meta.reflect(engine)
    future = datetime.now(UTC) + timedelta(days=3650)
    with engine.begin() as conn:
        _insert(conn, meta.tables["team"], id=1)
        _insert(conn, meta.tables["user"], id=1, team_id=1, email="a@b.c")
        _insert(conn, meta.tables["lead"], id=1, reference="R1", team_id=1, assigned_to_id=1,
                mobile_e164="+8613300000000")
        _insert(conn, meta.tables["recommendation"], id=1, lead_id=1, agent_id=1, token=SENT,
                expires_at=future)
    upgrade = run_flask(env, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    with engine.begin() as conn:
        row = conn.execute(sa.text("SELECT * FROM recommendation")).mappings().one()
    assert "token" not in row and SENT not in [str(v) for v in row.values()]
    assert row["token_hash"] == hashlib.sha256(SENT.encode()).hexdigest()
    engine.dispose()

    from config import TestConfig
    from crm import create_app
    from crm.leads import recommend
    from tests.support.caches import forget_all
    forget_all()  # the caches hold the last test's database, not this one
    config = TestConfig()
    config.SQLALCHEMY_DATABASE_URI = url
    app = create_app(config)
    with app.app_context():
        rec = recommend.by_token(SENT)
        assert rec is not None and rec.id == 1
        assert recommend.link_token(rec) is None  # made before: not shown again
        assert recommend.by_token(row["token_hash"]) is None  # the digest opens nothing
    assert app.test_client().get(f"/r/{SENT}").status_code == 200
    downgrade = run_flask(env, "db", "downgrade", "f3a9c6d20e57")
    assert downgrade.returncode == 0, downgrade.stderr


def test_existing_tokens_are_hashed_and_their_links_still_open_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'tokens.sqlite3'}"
    _sent_links_survive(url, url)


def test_existing_tokens_are_hashed_and_their_links_still_open_on_postgresql(pg_url):
    # A database of its own: the session's (pg_url) is already at head and full of rows.
    own = create_database(PG_ADMIN_URL, "crm_tokens")
    try:
        _sent_links_survive(own, own.replace("postgresql://", "postgresql+psycopg://"))
    finally:
        drop_database(PG_ADMIN_URL, own)

"""c6d2a8e4f1b7: listing_image gains mid_key, mid_width and mid_height; photos already there
keep their copies (no middle one yet) and down removes the columns, rows kept."""
import pytest
import sqlalchemy as sa

from tests.integration.conftest import PG_ADMIN_URL
from tests.support.region_migration import _insert
from tests.support.stack import create_database, drop_database, run_flask

pytestmark = pytest.mark.integration

BEFORE, AFTER = "c8d1e5f7a9b3", "c6d2a8e4f1b7"
MIDDLE = {"mid_key", "mid_width", "mid_height"}


def _columns(engine) -> set[str]:
    return {column["name"] for column in sa.inspect(engine).get_columns("listing_image")}


def _up_and_down(env_url: str, url: str) -> None:
    env = {"DATABASE_URL": env_url}
    up_to_before = run_flask(env, "db", "upgrade", BEFORE)
    assert up_to_before.returncode == 0, up_to_before.stderr
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    meta.reflect(engine)
    with engine.begin() as conn:
        _insert(conn, meta.tables["team"], id=1)
        _insert(conn, meta.tables["user"], id=1, team_id=1, email="a@b.c")
        _insert(conn, meta.tables["listing"], id=1, created_by_id=1)
        _insert(conn, meta.tables["listing_image"], id=1, listing_id=1, status="ready",
                web_key="listings/1/1-a.jpg", thumb_key="listings/1/1-a-t.jpg", width=1600,
                height=1200, sha256="0" * 64)
    assert not MIDDLE & _columns(engine)
    upgrade = run_flask(env, "db", "upgrade", AFTER)
    assert upgrade.returncode == 0, upgrade.stderr
    engine.dispose()
    assert MIDDLE <= _columns(engine)
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM listing_image")).mappings().one()
    assert (row["web_key"], row["width"], row["mid_key"], row["mid_width"], row["mid_height"]) == (
        "listings/1/1-a.jpg", 1600, None, None, None)
    downgrade = run_flask(env, "db", "downgrade", BEFORE)
    assert downgrade.returncode == 0, downgrade.stderr
    engine.dispose()
    assert not MIDDLE & _columns(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT web_key FROM listing_image")).scalar_one() == (
            "listings/1/1-a.jpg")
    engine.dispose()


def test_the_middle_copy_columns_up_and_down_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'middle.sqlite3'}"
    _up_and_down(url, url)


def test_the_middle_copy_columns_up_and_down_on_postgresql(pg_url):
    own = create_database(PG_ADMIN_URL, "crm_middle")
    try:
        _up_and_down(own, own.replace("postgresql://", "postgresql+psycopg://"))
    finally:
        drop_database(PG_ADMIN_URL, own)

"""The database restarted under load, on the real stack (bench/fault_drills.py's third drill).

gunicorn, a Celery worker and beat run against a private PostgreSQL cluster; inquiries
arrive over HTTP while the cluster is stopped like a crash and started again.
"""
import pytest

from tests.support.drills import postgres_restart_drill

pytestmark = pytest.mark.integration


def test_postgres_down_under_load_gives_clear_503s_then_reconnects_and_nothing_is_half_written(
        private_pg, redis_url):
    result = postgres_restart_drill(private_pg, redis_url, gap=4, rate=4, before=3, after=6)
    assert result.failures == [], result.failures
    # The gap was really hit, and answered with the clear 503 (JSON for the API), no traceback.
    assert result.clean_503 > 0
    assert result.errors == 0
    # Each 503'd submission was sent again with its Idempotency-Key after the restart: every
    # one is saved exactly once, routed exactly once.
    assert result.submissions > 0
    assert result.saved == result.submissions
    assert result.routed == result.saved
    assert result.duplicates == 0

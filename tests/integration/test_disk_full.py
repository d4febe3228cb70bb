"""PostgreSQL's disk full under load, then freed, on the real stack (bench/fault_drills.py's
fourth drill).

gunicorn, a Celery worker and beat run against a private PostgreSQL cluster whose data
directory (tables and WAL) is on a small tmpfs of its own; a filler file fills it while
inquiries arrive over the JSON API and the public form, then is deleted. Needs root (the
mount); skipped otherwise.
"""
import pytest

from tests.support.drills import disk_full_drill

pytestmark = pytest.mark.integration


def test_full_disk_gives_clear_503s_then_every_accepted_inquiry_is_routed_once(small_disk_pg,
                                                                              redis_url):
    result = disk_full_drill(small_disk_pg, redis_url, rate=4, before=3, full=6, after=5)
    assert result.failures == [], (result.failures, result.notes)
    # The full disk was really hit, and answered with the clear 503 (JSON for the API, the
    # error page for the public form), no traceback anywhere.
    assert result.clean_503 > 0
    assert result.errors == 0
    # Every inquiry answered 201 (or a thank-you page) is a lead; each refused one, sent
    # again after the space returned, too; each routed exactly once.
    assert result.submissions > 0
    assert result.saved == result.routed == result.submissions
    assert result.duplicates == 0

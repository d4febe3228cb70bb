"""Point-in-time recovery loses no acknowledged inquiry (bench/restore_drill.py's core, small).

A private cluster of its own on a free port archives its WAL; a base backup is taken while
inquiries arrive over HTTP (gunicorn, the JSON API); the cluster is destroyed and restored
to a time read from its clock mid-stream. Every inquiry answered 201 before that time is
there; none sent after it is.
"""
import pytest

from tests.support.restore import restore_drill
from tests.support.stack import require_pg_server_binaries

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", autouse=True)
def server_binaries():
    require_pg_server_binaries()


def test_restore_to_a_point_in_time_keeps_every_inquiry_acknowledged_before_it_and_none_after():
    result = restore_drill(leads=300, before=2, after=2, rate=5)
    assert result.failures == [], result.failures
    assert result.before > 0 and result.lost == []
    # Recovery stopped where asked: the inquiries sent after the target were answered 201
    # on the old cluster (and archived), yet are not in the restored one.
    assert result.after > 0 and result.leaked == []
    assert "recovery stopping before commit" in result.stopped_at
    assert result.leads_restored >= result.leads + result.before
    assert result.leads_restored <= result.leads + result.before + result.straddling

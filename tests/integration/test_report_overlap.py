"""A report's slowest statement runs beside the others on PostgreSQL (crm.reporting.overlap):
on another thread and connection, with the same figures as in turn, labels in the
request's language, errors raised to the request and no connection left checked out."""
import dataclasses
import threading
from datetime import date

import pytest
from sqlalchemy import event

from crm.extensions import db as _db
from crm.reporting import dashboard, speed
from crm.reporting.overlap import beside
from crm.reporting.scope import Scope
from tests import report_data
from tests.report_data import NOW

pytestmark = pytest.mark.integration


def _scope() -> Scope:
    return Scope(date(2026, 11, 1), date(2026, 11, 30), "Asia/Shanghai", now=NOW)


@pytest.fixture
def data(pg_app):
    with pg_app.test_request_context("/?lang=en"):
        yield report_data.build()


class Threads:
    """The thread each statement containing `marker` ran on."""

    def __init__(self, marker: str):
        self.marker, self.names = marker, []

    def __enter__(self):
        event.listen(_db.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        event.remove(_db.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        if self.marker in statement:
            self.names.append(threading.current_thread().name)


def test_the_dashboards_percentiles_run_beside_the_counts_with_the_same_figures(data, pg_app):
    with Threads("percentile_cont") as side:
        overlapped = dashboard.dashboard(_scope(), sla_minutes=30)
    assert side.names and all(n.startswith("report-side") for n in side.names)

    pg_app.config["CRM_REPORT_OVERLAP"] = False
    with Threads("percentile_cont") as inline:
        in_turn = dashboard.dashboard(_scope(), sla_minutes=30)
    assert inline.names == [threading.current_thread().name]
    assert dataclasses.asdict(overlapped) == dataclasses.asdict(in_turn)
    # The figures themselves (tests/report_data.py): first contact 300 600 1200 2700 s.
    assert overlapped.headline["contact_p50"] == pytest.approx(900, abs=0.01)
    assert overlapped.headline["leads"] == in_turn.headline["leads"] > 0


def test_speed_hours_run_beside_and_are_labelled_in_the_requests_language(data, pg_app):
    with Threads("date_bin") as side:
        overlapped = speed.speed(_scope(), sla_minutes=30)
    assert side.names and all(n.startswith("report-side") for n in side.names)
    # Built on the request's thread: English here (the side thread has no request).
    assert [r.label for r in overlapped.by_weekday][:2] == ["Monday", "Tuesday"]

    pg_app.config["CRM_REPORT_OVERLAP"] = False
    in_turn = speed.speed(_scope(), sla_minutes=30)
    assert dataclasses.asdict(overlapped) == dataclasses.asdict(in_turn)
    assert sum(r.leads for r in overlapped.by_hour) == overlapped.overall.leads


def test_an_error_beside_reaches_the_request_and_no_connection_stays_out(data):
    out = _db.engine.pool.checkedout()

    def broken():
        _db.session.execute(_db.text("SELECT 1 / 0"))

    waiter = beside(broken)
    with pytest.raises(Exception, match="division by zero"):
        waiter()
    assert beside(lambda: threading.current_thread().name)().startswith("report-side")
    assert _db.engine.pool.checkedout() == out


def test_work_beside_that_asks_for_more_runs_it_in_place(data):
    """Two side threads each waiting for work queued behind the other would wait forever."""
    def outer():
        inner = beside(lambda: threading.current_thread().name)
        return threading.current_thread().name, inner()

    mine, nested = beside(outer)()
    assert mine.startswith("report-side") and nested == mine

"""New and returning contacts on PostgreSQL: the same hand-worked figures as on SQLite
(tests/unit/reporting/test_contacts_report.py), whose data it reuses."""
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crm.reporting.contacts import contacts
from crm.reporting.scope import Scope
from tests.unit.reporting.test_contacts_report import (
    NEED,
    NOV,
    build,
    check_per_contact,
    figures,
)

pytestmark = pytest.mark.integration


def test_returning_contacts_on_postgresql(pg_app):
    with pg_app.test_request_context("/?lang=en"):
        teams = build()
        report = contacts(Scope(**NOV), "channel")
        assert figures(report) == {"api": (2, 0, 2, 1, 3), "web": (3, 2, 1, 0, 1),
                                   "agent": (1, 1, 0, 0, 0)}
        assert report.per_contact == {1: 3, 3: 1} and report.average == 1.5
        one = contacts(Scope(**NOV, team_ids=(teams["t1"].id,)), "channel")
        assert figures(one)["api"] == (1, 0, 1, 1, 2) and one.per_contact == {1: 3, 2: 1}


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(needs=st.lists(NEED, max_size=25), released=st.lists(st.integers(0, 24), max_size=3))
@example(needs=[(1, 2, "spam", False), (1, 3, "new", False)], released=[0])
def test_needs_per_contact_equal_grouping_every_need_on_postgresql(pg_app, needs, released):
    """Needs per contact from the returning needs' partial index equal grouping every need,
    on PostgreSQL (the scopes of the example's own two teams: the database is shared)."""
    with pg_app.test_request_context("/?lang=en"):
        check_per_contact(needs, released, whole=False)

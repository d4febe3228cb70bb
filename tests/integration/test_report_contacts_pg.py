"""New and returning contacts on PostgreSQL: the same hand-worked figures as on SQLite
(tests/unit/reporting/test_contacts_report.py), whose data it reuses."""
import pytest

from crm.reporting.contacts import contacts
from crm.reporting.scope import Scope
from tests.unit.reporting.test_contacts_report import NOV, build, figures

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

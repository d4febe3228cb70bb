import re
from datetime import UTC, date, datetime

import time_machine

from crm.reporting.dashboard import dashboard
from crm.reporting.scope import Scope, local_day_bounds
from tests.factories import LeadFactory, UserFactory

UTC = UTC


def test_counts_by_status_and_agent_on_shanghai_days(db):
    a = UserFactory(name="甲")
    b = UserFactory(name="乙", team=a.team)
    # 2026-11-01 00:30 Shanghai is 2026-10-31 16:30 UTC: inside a range starting Nov 1.
    LeadFactory(assigned_to=a, created_at=datetime(2026, 10, 31, 16, 30, tzinfo=UTC))
    LeadFactory(assigned_to=a, created_at=datetime(2026, 11, 5, 3, 0, tzinfo=UTC), status="won")
    LeadFactory(assigned_to=b, created_at=datetime(2026, 11, 30, 15, 59, tzinfo=UTC), status="lost")
    LeadFactory(created_at=datetime(2026, 11, 10, tzinfo=UTC))  # unassigned
    # Outside: 23:59 Shanghai on Oct 31, and 00:00 Shanghai on Dec 1.
    LeadFactory(assigned_to=a, created_at=datetime(2026, 10, 31, 15, 59, tzinfo=UTC))
    LeadFactory(assigned_to=a, created_at=datetime(2026, 11, 30, 16, 0, tzinfo=UTC))
    board = dashboard(Scope(date(2026, 11, 1), date(2026, 11, 30), "Asia/Shanghai"), 30)

    by_status = board.by_status
    assert by_status["new"] == 2 and by_status["won"] == 1 and by_status["lost"] == 1
    assert sum(by_status.values()) == 4

    rows = {r.agent_name: r for r in board.by_agent}
    assert rows["甲"].total == 2 and rows["甲"].by_status["won"] == 1
    assert rows["乙"].total == 1 and rows["乙"].by_status["lost"] == 1
    assert rows[""].total == 1  # unassigned leads are counted too


def test_empty_range(db):
    board = dashboard(Scope(date(2020, 1, 1), date(2020, 1, 2), "Asia/Shanghai"), 30)
    assert board.total == 0 and board.by_agent == []
    lo, hi = local_day_bounds(date(2020, 1, 1), date(2020, 1, 2), "Asia/Shanghai")
    assert (hi - lo).days == 2 and lo.utcoffset().total_seconds() == 8 * 3600


def test_report_page_is_for_managers_only(client, auth):
    UserFactory(email="agent@example.com")
    auth.login("agent@example.com")
    assert client.get("/reports/").status_code == 403


def test_manager_sees_the_lead_counted(client, auth):
    boss = UserFactory(email="boss@example.com", role="manager", name="王经理")
    agent = UserFactory(name="李招商", team=boss.team)
    # A member's lead filed under another team counts; a lead of no team (the pool) does not.
    LeadFactory(assigned_to=agent, created_at=datetime(2026, 11, 20, 2, 0, tzinfo=UTC))
    LeadFactory(team=None, created_at=datetime(2026, 11, 20, 3, 0, tzinfo=UTC))
    auth.login("boss@example.com")
    html = client.get("/reports/?from=2026-11-01&to=2026-11-30").get_data(as_text=True)
    assert '<strong id="total">1</strong>' in html
    assert "李招商" in html


def test_bad_dates_fall_back_instead_of_failing(client, auth):
    boss = UserFactory(email="boss@example.com", role="manager")
    agent = UserFactory(team=boss.team)
    LeadFactory(assigned_to=agent, created_at=datetime(2026, 11, 10, 2, 0, tzinfo=UTC))  # in the last 30 days
    LeadFactory(assigned_to=agent, created_at=datetime(2026, 10, 1, 2, 0, tzinfo=UTC))  # before them
    with time_machine.travel(datetime(2026, 11, 20, 4, 0, tzinfo=UTC), tick=False):
        auth.login("boss@example.com")
        response = client.get("/reports/?from=yesterday&to=2026-13-45&lang=en")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # The default range (the last 30 days) instead: the October lead is not counted.
    assert '<strong id="total">1</strong>' in html
    # What was typed stays in the fields, each with its message.
    assert 'value="yesterday"' in html and 'value="2026-13-45"' in html
    for field in ("from", "to"):
        assert re.search(rf'<p class="error" id="{field}-error">Please give a date as YYYY-MM-DD', html)

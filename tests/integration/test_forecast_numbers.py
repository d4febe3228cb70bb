"""The weighted pipeline and the forecast against hand-counted figures (tests/forecast_data.py),
on SQLite AND on PostgreSQL."""
import pytest

from crm.reporting import forecast
from crm.reporting.scope import Scope, scope_for
from tests import forecast_data
from tests.forecast_data import NOW, RANGE


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def data(request):
    app = request.getfixturevalue("app" if request.param == "sqlite" else "pg_app")
    with app.test_request_context("/?lang=en"):
        yield forecast_data.build()


def figures(rows):
    return {r.label: (r.needs, r.valued, r.value, r.weighted) for r in rows}


def test_weighted_pipeline_by_stage_team_and_agent(data):
    report = forecast.forecast(Scope(**RANGE))
    assert figures(report.stages) == {
        "New": (2, 2, 110.5, 10.525),        # P1 100 × 10 % (一组's own) + P9 10.5 × 5 %
        "Contacted": (1, 0, 0.0, 0.0),       # P4: no value, counted only
        "Qualified": (1, 1, 50.0, 12.5),     # P3 × 25 %
        "Site visit": (1, 1, 120.0, 48.0),   # P8 × 40 %
        "Negotiating": (2, 2, 600.0, 480.0),  # P2 200 and P7 400 × 80 % (一组's own)
    }
    assert (report.totals.needs, report.totals.valued, report.totals.value,
            report.totals.weighted) == (7, 6, 880.5, 551.025)
    assert figures(report.teams) == {"一组": (5, 4, 750.0, 502.5), "二组": (2, 2, 130.5, 48.525)}
    assert figures(report.agents) == {"甲": (3, 3, 700.0, 490.0), "乙": (2, 1, 50.0, 12.5),
                                      "丙": (2, 2, 130.5, 48.525)}


def test_forecast_by_month_with_signed_value(data):
    months = {r.label: (r.needs, r.valued, r.value, r.weighted, r.signed, r.signed_value)
              for r in forecast.forecast(Scope(**RANGE)).months}
    # December: P1 P3 P4 P8 (P5 lost, P10 spam out); signed: P6's 280, not P7's fallen through.
    # January: P2. P7 closes in February, outside the range.
    assert months == {"2026-12": (4, 3, 270.0, 70.5, 1, 280.0),
                      "2027-01": (1, 1, 200.0, 160.0, 0, 0.0)}


def test_a_manager_sees_their_team_only(data):
    report = forecast.forecast(scope_for(data["m2"], RANGE["start"], RANGE["end"], RANGE["tz"],
                                         now=NOW))
    assert figures(report.teams) == {"二组": (2, 2, 130.5, 48.525)}
    assert [r.signed for r in report.months] == [0, 0]
    one = forecast.forecast(scope_for(data["m1"], RANGE["start"], RANGE["end"], RANGE["tz"],
                                      now=NOW))
    assert [(r.signed, r.signed_value) for r in one.months] == [(1, 280.0), (0, 0.0)]
    assert one.totals.weighted == 502.5

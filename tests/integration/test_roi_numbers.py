"""Source ROI against hand-counted figures (tests/roi_data.py), on SQLite AND PostgreSQL."""
from datetime import date

import pytest

from crm.reporting import roi
from crm.reporting.scope import Scope
from tests import roi_data

TZ = "Asia/Shanghai"
NOW = roi_data.utc(2027, 2, 1)
# A part of each month: the report takes whole months (1 Nov – 31 Dec).
PERIOD = dict(start=date(2026, 11, 15), end=date(2026, 12, 2), tz=TZ, now=NOW)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def data(request):
    app = request.getfixturevalue("app" if request.param == "sqlite" else "pg_app")
    with app.test_request_context("/?lang=en"):
        yield roi_data.build()


def rows(report, name):
    table = next(t for t in report.tables() if t.name == name)
    return {r["key"]: r for r in table.rows}, table.footer


def test_whole_months():
    assert roi.whole_months(date(2026, 11, 15), date(2026, 12, 2)) == (
        date(2026, 11, 1), date(2026, 12, 31))
    assert roi.whole_months(date(2028, 2, 3), date(2028, 2, 3)) == (
        date(2028, 2, 1), date(2028, 2, 29))


def test_roi_by_source_site(data):
    report = roi.roi(Scope(**PERIOD))
    assert (report.start, report.end) == (date(2026, 11, 1), date(2026, 12, 31))
    by_site, total = rows(report, "sites")
    # 浙江站: leads L1 L2 L3 and the 1 Nov 00:30 one (spam and October left out); visits of
    # L1 and L2 done (the scheduled one and January's not); L1's deal (January's not).
    assert by_site["浙江站"] == {"key": "浙江站", "spend": 15000.0, "leads": 4, "visits": 2,
                                "deals": 1, "value": 120.0, "per_lead": 3750.0,
                                "per_visit": 7500.0, "per_deal": 15000.0, "return": 80.0}
    # 江苏站: spend and no deal (its deal fell through): no cost per deal, nothing returned.
    assert by_site["江苏站"] == {"key": "江苏站", "spend": 8000.0, "leads": 1, "visits": 1,
                                "deals": 0, "value": 0.0, "per_lead": 8000.0,
                                "per_visit": 8000.0, "per_deal": None, "return": 0.0}
    # Leads of no site: deals with no spend; nothing divided.
    assert by_site["(none)"] == {"key": "(none)", "spend": None, "leads": 2, "visits": 0,
                                 "deals": 2, "value": 80.0, "per_lead": None,
                                 "per_visit": None, "per_deal": None, "return": None}
    assert set(by_site) == {"浙江站", "江苏站", "(none)"}
    assert total == {"key": "Total", "spend": 23000.0, "leads": 7, "visits": 3, "deals": 3,
                     "value": 200.0, "per_lead": 3285.71, "per_visit": 7666.67,
                     "per_deal": 7666.67, "return": 86.96}


def test_roi_by_channel(data):
    by_channel, total = rows(roi.roi(Scope(**PERIOD)), "channels")
    assert by_channel["Phone"] == {"key": "Phone", "spend": 2000.0, "leads": 1, "visits": 0,
                                   "deals": 1, "value": 30.0, "per_lead": 2000.0,
                                   "per_visit": None, "per_deal": 2000.0, "return": 150.0}
    assert {k: (r["spend"], r["leads"], r["visits"], r["deals"], r["value"])
            for k, r in by_channel.items()} == {
        "Phone": (2000.0, 1, 0, 1, 30.0), "Web form": (None, 4, 3, 1, 120.0),
        "API": (None, 1, 0, 0, 0.0), "WeChat": (None, 1, 0, 1, 50.0)}
    assert (total["spend"], total["leads"], total["deals"], total["return"]) == (
        2000.0, 7, 3, 1000.0)


def test_a_month_alone(data):
    by_site, _total = rows(roi.roi(Scope(date(2026, 12, 1), date(2026, 12, 31), TZ, now=NOW)),
                           "sites")
    assert by_site["浙江站"]["spend"] == 5000.0 and by_site["浙江站"]["leads"] == 1
    assert "江苏站" not in by_site   # nothing in December
    assert by_site["(none)"]["deals"] == 1   # L5 signed on 1 December


def test_a_team_sees_its_own_spend_only(data):
    scope = Scope(**PERIOD, team_ids=(data["t1"].id,))
    by_site, total = rows(roi.roi(scope), "sites")
    assert by_site["浙江站"]["spend"] is None       # the company's spend, not the team's
    assert by_site["江苏站"]["spend"] == 8000.0
    assert by_site["(none)"]["deals"] == 1          # L6 is the other team's
    assert total["spend"] == 8000.0 and total["leads"] == 6


def test_nothing_at_all_is_no_500(data):
    report = roi.roi(Scope(date(2030, 1, 1), date(2030, 1, 31), TZ, now=NOW))
    assert [t.rows for t in report.tables()] == [[], []]
    assert report.tables()[0].footer["return"] is None

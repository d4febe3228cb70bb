"""The signed-deal reports against hand-counted figures, on SQLite AND on PostgreSQL.

The data set is tests/deal_report_data.py (its table says what each deal is for).
"""
from datetime import date

import pytest

from crm.reporting import dashboard, deals, occupancy, parks, ranking
from crm.reporting.scope import Scope, scope_for
from tests import deal_report_data
from tests.report_data import NOW

TZ = "Asia/Shanghai"
NOV = dict(start=date(2026, 11, 1), end=date(2026, 11, 30), tz=TZ, now=NOW)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def data(request):
    app = request.getfixturevalue("app" if request.param == "sqlite" else "pg_app")
    with app.test_request_context("/?lang=en"):
        yield deal_report_data.build()


def _by_key(report) -> dict:
    return {r.key: (r.deals, r.value) for r in report.rows}


def test_signed_value_and_count_of_every_price_unit_fallen_through_excluded(data):
    report = deals.deals(Scope(**NOV))
    # D1 164.25 (元/㎡/天) + D3 3,600 (signed again after D2 fell through) + D4 42 (元/㎡/月)
    # + D5 540 (万元/年, 6 months free); D6 (October) and D7 (December) are out of the range.
    assert (report.total.deals, report.total.value) == (4, pytest.approx(4346.25))
    assert _by_key(report) == {"2026-11": (4, pytest.approx(4346.25))}
    october = deals.deals(Scope(**NOV).with_range(date(2026, 10, 1), date(2026, 10, 31)))
    # D6 1,350 (万元/亩) only: D2's 3,800 fell through.
    assert (october.total.deals, october.total.value) == (1, pytest.approx(1350))
    december = deals.deals(Scope(**NOV).with_range(date(2026, 12, 1), date(2026, 12, 31)))
    assert (december.total.deals, december.total.value) == (1, pytest.approx(800))


def test_month_axis_is_continuous(data):
    report = deals.deals(Scope(**NOV).with_range(date(2026, 9, 15), date(2026, 12, 31)))
    assert [(r.key, r.deals) for r in report.rows] == [
        ("2026-09", 0), ("2026-10", 1), ("2026-11", 4), ("2026-12", 1)]
    assert report.total.value == pytest.approx(1350 + 4346.25 + 800)


def test_breakdowns_by_agent_team_channel_region_and_industry(data):
    names = {r.label: (r.deals, r.value) for r in deals.deals(Scope(**NOV), "agent").rows}
    assert names == {"丙": (1, pytest.approx(3600)), "甲": (2, pytest.approx(704.25)),
                     "乙": (1, pytest.approx(42))}
    teams = {r.label: (r.deals, r.value) for r in deals.deals(Scope(**NOV), "team").rows}
    assert teams == {"二组": (1, pytest.approx(3600)), "一组": (3, pytest.approx(746.25))}
    # L1, L7 (web by default), L10 by phone, L11 web: the two needs of one contact each count.
    assert _by_key(deals.deals(Scope(**NOV), "channel")) == {
        "web": (3, pytest.approx(4304.25)), "phone": (1, pytest.approx(42))}
    assert _by_key(deals.deals(Scope(**NOV), "region")) == {
        None: (1, pytest.approx(3600)), "32": (1, pytest.approx(540)),
        "33": (1, pytest.approx(164.25)), "31": (1, pytest.approx(42))}
    assert _by_key(deals.deals(Scope(**NOV), "industry")) == {
        "nev": (3, pytest.approx(4304.25)), "biomedicine": (1, pytest.approx(42))}


def test_days_from_first_inquiry_to_signing(data):
    report = deals.deals(Scope(**NOV))
    # D1 9 (in Nov 1 00:30 Shanghai), D3 23 (Oct 20), D4 17 (Nov 3 in Shanghai, Nov 2 UTC),
    # D5 20: sorted 9 17 20 23.
    assert report.total.days_p50 == pytest.approx(18.5)
    assert report.total.days_mean == pytest.approx(17.2, abs=0.06)  # 17.25, shown to 0.1
    by_agent = {r.label: (r.days_p50, r.days_mean) for r in deals.deals(Scope(**NOV), "agent").rows}
    assert by_agent["甲"] == (pytest.approx(14.5), pytest.approx(14.5))
    assert by_agent["丙"] == (pytest.approx(23), pytest.approx(23))


def test_a_manager_sees_only_their_teams_deals(data):
    m1 = scope_for(data["m1"], NOV["start"], NOV["end"], TZ, now=NOW)
    m2 = scope_for(data["m2"], NOV["start"], NOV["end"], TZ, now=NOW)
    r1, r2 = deals.deals(m1, "team"), deals.deals(m2, "team")
    assert (r1.total.deals, r1.total.value) == (3, pytest.approx(746.25))
    assert [r.label for r in r1.rows] == ["一组"]
    assert (r2.total.deals, r2.total.value) == (1, pytest.approx(3600))
    # Even asking for the other team's filter: the scope is built from the user.
    asked = scope_for(data["m1"], NOV["start"], NOV["end"], TZ, team_id=data["t2"].id, now=NOW)
    assert deals.deals(asked).total.deals == 3
    assert [m["reference"] for m in parks.parks(m1).overdue] == ["CF-T0011"]
    assert [m["reference"] for m in parks.parks(m2).overdue] == ["CF-T0005"]


def test_ranking_by_value_or_by_count(data):
    by_count = ranking.ranking(Scope(**NOV), date(2026, 11, 1), 30)
    by_value = ranking.ranking(Scope(**NOV), date(2026, 11, 1), 30, "value")
    # Count (won, unchanged): 甲 won L1 in November; 乙 received more than 丙.
    assert [r.name for r in by_count.rows] == ["甲", "乙", "丙"]
    assert [r.name for r in by_value.rows] == ["丙", "甲", "乙"]
    values = {r.name: (r.this.value, r.prev.value, r.this.won) for r in by_value.rows}
    # 丙's October: D6 1,350; D2 fell through.
    assert values == {"丙": (pytest.approx(3600), pytest.approx(1350), 0),
                      "甲": (pytest.approx(704.25), 0, 1), "乙": (pytest.approx(42), 0, 0)}
    assert {r.name: r.this.won for r in by_count.rows} == {"甲": 1, "乙": 0, "丙": 0}
    assert ranking.ranking(Scope(**NOV), date(2026, 11, 1), 30, "nonsense").order == "count"


def test_parks_investment_tax_and_overdue_milestones(data):
    report = parks.parks(Scope(**NOV))
    rows = {r.key: (r.deals, r.investment, r.tax, r.jobs, r.tax_per_mu) for r in report.rows}
    # D5: 5,000 万元, 300 万元 a year on 30 亩 (20,000.1 ㎡): 10 万元/亩.
    assert rows == {"nev": (3, 5000, 300, 200, pytest.approx(10)),
                    "biomedicine": (1, 0, 0, 0, None)}
    # Today is Dec 1: D5's construction (Nov 20, 11 days) and D6's (Nov 25, 6 days, signed in
    # October: not limited to the range); D2 fell through, D7's is due today, D5's move-in done.
    assert [(m["reference"], m["days_late"]) for m in report.overdue] == [
        ("CF-T0011", 11), ("CF-T0005", 6)]
    assert report.overdue_total == 2
    # Read beside the figures on PostgreSQL (crm.reporting.overlap), named in the request's
    # language all the same.
    assert [m["milestone"] for m in report.overdue] == ["Construction started"] * 2


def test_occupancy_of_a_divisible_listing_counts_the_area_taken(data):
    report = occupancy.occupancy(Scope(**NOV))
    rows = {r.key: (r.listings, r.area, r.let) for r in report.rows}
    # 嘉善园: X1 2,000 let, X2 5,000 (D3 took the whole; D2 fell through), X6 3,000 vacant.
    # 张江: X3 500 of 2,000 (divisible), X4 1,000 vacant; X5 entered after the range.
    assert rows == {"嘉善园": (3, 10000, 7000), "张江": (2, 3000, 500)}
    by = {r.key: r for r in report.rows}
    assert by["嘉善园"].vacancy == pytest.approx(0.3)
    assert by["张江"].occupancy == pytest.approx(500 / 3000)
    assert (report.total.area, report.total.let) == (13000, 7500)
    # Days on market, first signed in November: X1 70 (Sep 1 → Nov 10), X2 42, X3 19.
    assert (by["嘉善园"].signed, by["嘉善园"].days_p50) == (2, pytest.approx(56))
    assert (by["张江"].signed, by["张江"].days_mean) == (1, pytest.approx(19))
    assert report.total.days_p50 == pytest.approx(42)
    assert report.total.days_mean == pytest.approx(43.7)
    regions = {r.key: (r.area, r.let) for r in occupancy.occupancy(Scope(**NOV), "region").rows}
    assert regions == {"33": (10000, 7000), "31": (3000, 500)}
    # On Oct 31 only D6 (no listing) was signed: nothing let.
    october = occupancy.occupancy(Scope(**NOV).with_range(date(2026, 10, 1), date(2026, 10, 31)))
    assert october.total.let == 0 and october.total.listings == 4


def test_asking_against_signed_price_in_the_same_unit_only(data):
    prices = {p.unit: (p.deals, p.asking, p.signed, p.ratio)
              for p in occupancy.prices(Scope(**NOV))}
    # D4 (元/㎡/月 against a listing asking 元/㎡/天) is not compared.
    assert prices == {"yuan_sqm_day": (1, pytest.approx(0.8), pytest.approx(0.75),
                                       pytest.approx(0.9375)),
                      "wan_total": (1, pytest.approx(3800), pytest.approx(3600),
                                    pytest.approx(3600 / 3800))}


def test_dashboard_shows_this_months_signed_deals(data):
    # "Now" is Dec 1 in Shanghai: D7 (800 万元) signed today; the range is November's.
    board = dashboard.dashboard(Scope(**NOV), 30)
    assert (board.headline["signed_month_deals"], board.headline["signed_month_value"]) == \
        (1, pytest.approx(800))
    m2 = scope_for(data["m2"], NOV["start"], NOV["end"], TZ, now=NOW)
    assert dashboard.dashboard(m2, 30).headline["signed_month_deals"] == 0

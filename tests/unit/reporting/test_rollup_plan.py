"""How a long range is split between the leads, the month rollups and the day rollups
(crm.reporting.rollup): every day of the range read exactly once, whatever days are live."""
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from crm.extensions import db
from crm.reporting import rollup
from crm.reporting.rollup import Plan, next_month, spans, whole_months
from crm.reporting.scope import Scope

FIRST, LAST = date(2020, 1, 1), date(2032, 12, 31)
days = st.dates(min_value=FIRST, max_value=LAST)


@settings(max_examples=300, deadline=None)
@given(st.sets(days, max_size=40), st.integers(min_value=1, max_value=12))
def test_spans_cover_every_live_day_in_at_most_the_runs_asked_for(live, most):
    runs = spans(live, most)
    assert len(runs) <= most
    assert all(a <= b for a, b in runs)
    assert all(b < c for (_, b), (c, _) in zip(runs, runs[1:], strict=False))  # apart
    assert all(any(a <= d <= b for a, b in runs) for d in live)
    if live:
        assert runs[0][0] == min(live) and runs[-1][1] == max(live)  # nothing read beyond


@settings(max_examples=300, deadline=None)
@given(days, st.integers(min_value=93, max_value=1200), st.sets(days, max_size=12))
def test_each_day_of_a_range_comes_from_exactly_one_place(start, length, marked):
    end = start + timedelta(days=length - 1)
    scope = Scope(start, end)
    runs = spans({d for d in marked if start <= d <= end})
    # Whole months are such only when no live day falls in them.
    months = whole_months(start, end, runs)
    assert all(not (a <= next_month(m) - timedelta(days=1) and b >= m)
               for m in months for a, b in runs)
    plan = Plan(scope, tuple(scope.with_range(a, b) for a, b in runs),
                months)
    sources: dict[date, int] = {}

    def add(a: date, b: date) -> None:
        d = a
        while d <= b:
            sources[d] = sources.get(d, 0) + 1
            d += timedelta(days=1)
    for live in plan.live:
        add(live.start, live.end)
    for month in plan.months:
        add(month, next_month(month) - timedelta(days=1))
    for a, b in plan.day_ranges():
        add(a, b)
    assert set(sources) == {start + timedelta(days=i) for i in range(length)}
    assert set(sources.values()) == {1}


def test_sqlite_and_short_ranges_read_the_leads(app):
    with app.test_request_context():
        assert rollup.plan(Scope(date(2024, 1, 1), date(2026, 1, 1)), 30) is None
        with rollup.exact():
            assert rollup.plan(Scope(date(2024, 1, 1), date(2026, 1, 1)), 30) is None
        assert rollup.fold(db.session, 30) == 0

"""A query shaped like the start of a reference (CF25, cf2512, CF251201-7K) finds the
references starting with it, through a created_at range of the Shanghai days its digits
name (crm.leads.search._reference_start_clause), in the queue's order, whichever plan
queue_search picks. tests/integration/test_queue_search_pg.py runs check_reference_starts
on PostgreSQL."""
from datetime import UTC, date, datetime

import pytest
import time_machine

from crm.leads import search
from crm.models import InquiryRepeat
from tests.conftest import Auth
from tests.factories import LeadFactory, TeamFactory, UserFactory
from tests.unit.leads.test_queue_search_plans import _walk

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize("digits, first, last", [
    ("25", date(2025, 1, 1), date(2025, 12, 31)),
    ("250", date(2025, 1, 1), date(2025, 9, 30)),
    ("251", date(2025, 10, 1), date(2025, 12, 31)),
    ("2512", date(2025, 12, 1), date(2025, 12, 31)),
    ("25123", date(2025, 12, 30), date(2025, 12, 31)),
    ("25020", date(2025, 2, 1), date(2025, 2, 9)),
    ("24022", date(2024, 2, 20), date(2024, 2, 29)),   # a leap year
    ("25022", date(2025, 2, 20), date(2025, 2, 28)),
    ("251201", date(2025, 12, 1), date(2025, 12, 1)),
    ("240229", date(2024, 2, 29), date(2024, 2, 29)),
])
def test_reference_digits_name_a_run_of_days(digits, first, last):
    assert search.reference_days(digits) == (first, last)


@pytest.mark.parametrize("digits", ["252", "2513", "2500", "25023", "25024", "250230", "250229",
                                    "251232"])
def test_digits_no_day_has_name_nothing(digits):
    assert search.reference_days(digits) is None


def test_the_span_is_made_of_shanghai_days():
    assert search.reference_span("251231", "Asia/Shanghai") == (
        datetime(2025, 12, 30, 16, tzinfo=UTC), datetime(2025, 12, 31, 16, tzinfo=UTC))
    assert search.reference_span("25", "Asia/Shanghai") == (
        datetime(2024, 12, 31, 16, tzinfo=UTC), datetime(2025, 12, 31, 16, tzinfo=UTC))
    assert search.reference_span("2513", "Asia/Shanghai") is None


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def check_reference_starts(app, client, db, monkeypatch, few: int):
    monkeypatch.setattr(search, "FEW", few)
    app.config["LEADS_PER_PAGE"] = 2  # several pages, so the walk's order is checked too
    team = TeamFactory()
    agent = UserFactory(team=team)
    UserFactory(team=team, email="boss@example.com", role="manager")

    def lead(reference, created, **kw):
        return LeadFactory(team=team, assigned_to=agent, reference=reference, created_at=created,
                           **kw).reference
    late = lead("CF251231-AAAAA", _utc(2025, 12, 31, 15, 30))        # 23:30 in Shanghai
    new_year = lead("CF260101-BBBBB", _utc(2025, 12, 31, 16, 30))    # 00:30 on 1 January
    december = [lead(f"CF2512{d:02d}-C{d:04d}", _utc(2025, 12, d, 4)) for d in range(1, 6)]
    june = lead("CF250610-DDDDD", _utc(2025, 6, 10, 3))
    # "Contains" found these for CF25: CF25 in a reference's tail, and in the free text.
    tail = lead("CF261120-CF25X", _utc(2026, 11, 20, 3))
    text = lead("CF261121-FFFFF", _utc(2026, 11, 21, 3), company="CF25起重机械有限公司")
    first = LeadFactory(team=team, assigned_to=agent, reference="CF250302-EEEEE",
                        created_at=_utc(2025, 3, 2, 3))
    original = first.reference
    db.session.add(InquiryRepeat(original_lead_id=first.id, matched_on="mobile",
                                 reference="CF261125-RRRRR", created_at=_utc(2026, 11, 25, 3)))
    db.session.commit()

    auth = Auth(client)
    auth.login("boss@example.com")
    unsearched = _walk(client, "/agent/leads", tab="all")
    assert len(unsearched) == 11

    def found(q):
        result = _walk(client, "/agent/leads", tab="all", q=q)
        assert result == [ref for ref in unsearched if ref in result], q  # the queue's order
        return set(result)
    year_2025 = {late, *december, june, original}
    assert found("CF25") == year_2025
    assert found("cf25") == year_2025 == found("ＣＦ２５")  # any case, full-width digits
    assert found("CF2512") == {late, *december}
    assert found("cf251") == {late, *december}
    assert found("CF251201") == {december[0]}
    assert found("CF251201-C") == {december[0]} == found("cf251201-c0001")
    assert found("CF251201-C0002") == set()  # a whole reference: exactly that one
    assert found("CF251231") == {late}
    assert found("CF260101") == {new_year}
    assert found("CF2513") == set()
    assert found("CF250229") == set()
    assert found("CF2611") == {tail, text}
    # A repeat inquiry's own reference finds the lead it repeated (created months before).
    assert found("cf261125-rrrrr") == {original}
    # Below two digits and past the shape, the query means what it did: "contains".
    assert found("CF2") == set(unsearched)
    assert found("CF25X") == {tail}
    assert found("CF25起重") == {text}
    auth.logout()


@pytest.mark.parametrize("few", [2000, 0], ids=["from-ids", "index-free"])
def test_a_reference_start_finds_the_references_starting_with_it(app, client, db, monkeypatch,
                                                                  few):
    with time_machine.travel(NOW, tick=False):
        check_reference_starts(app, client, db, monkeypatch, few)

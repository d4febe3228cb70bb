"""Issue 30: a caller reads out the tail of the reference their repeat inquiry was given
(834W6); the queue's search finds the need it repeated, and only for who may see that need.
tests/integration/test_queue_search_pg.py runs check_repeat_reference_parts on PostgreSQL."""
from datetime import UTC, datetime

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from crm.intake.reference import ALPHABET
from crm.leads import search
from crm.models import InquiryRepeat, Lead
from tests.conftest import Auth
from tests.factories import LeadFactory, TeamFactory, UserFactory
from tests.unit.leads.test_queue_search_plans import _walk

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


def check_repeat_reference_parts(app, client, db, monkeypatch, few: int):
    monkeypatch.setattr(search, "FEW", few)
    mine, theirs = TeamFactory(), TeamFactory()
    agent = UserFactory(team=mine, email="agent@example.com")
    other = UserFactory(team=theirs, email="other@example.com")
    need = LeadFactory(team=mine, assigned_to=agent, reference="CF251002-AAAAA",
                       created_at=datetime(2025, 10, 2, 3, tzinfo=UTC))
    digits = LeadFactory(team=mine, assigned_to=agent, reference="CF251003-BBBBB",
                         created_at=datetime(2025, 10, 3, 3, tzinfo=UTC))
    # Another team's need whose repeat shares the start of the tail.
    elsewhere = LeadFactory(team=theirs, assigned_to=other, reference="CF251004-CCCCC",
                            created_at=datetime(2025, 10, 4, 3, tzinfo=UTC))
    LeadFactory(team=mine, assigned_to=agent, reference="CF251005-DDDDD")  # no repeat
    for lead, reference in ((need, "CF261125-834W6"), (digits, "CF261126-73592"),
                            (elsewhere, "CF261127-834WX")):
        db.session.add(InquiryRepeat(original_lead_id=lead.id, matched_on="mobile",
                                     reference=reference, created_at=NOW))
    db.session.commit()

    auth = Auth(client)
    auth.login("agent@example.com")

    def found(q):
        return set(_walk(client, "/agent/leads", tab="all", q=q))
    assert found("834W6") == {need.reference} == found("834w6") == found("８３４Ｗ６")
    assert found("-834w") == {need.reference}  # across the dash
    # Team B's need has a repeat matching too: this agent never sees it.
    assert found("834W") == {need.reference}
    # A tail of digits (a query of digits only) finds it too; four digits stay a mobile's.
    assert found("73592") == {digits.reference}
    assert found("3592") == set()
    # Two characters are too few to look into repeats.
    assert found("W6") == set()
    auth.logout()
    auth.login("other@example.com")
    assert found("834W") == {elsewhere.reference}
    assert found("834W6") == set()
    auth.logout()


@pytest.mark.parametrize("few", [2000, 0], ids=["from-ids", "index-free"])
def test_a_part_of_a_repeats_reference_finds_its_need(app, client, db, monkeypatch, few):
    with time_machine.travel(NOW, tick=False):
        check_repeat_reference_parts(app, client, db, monkeypatch, few)


tails = st.text(alphabet=ALPHABET, min_size=5, max_size=5)


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tail=tails, data=st.data())
def test_any_part_of_three_or_more_of_a_repeats_tail_finds_its_need(app, db, tail, data):
    """Every run of three to five characters of the tail, in any case, finds the need (a run
    of four digits is a mobile's last four: not a reference part, by design)."""
    with time_machine.travel(NOW, tick=False):
        lead = db.session.scalar(select(Lead).where(Lead.reference == "CF251002-AAAAA"))
        if lead is None:
            lead = LeadFactory(reference="CF251002-AAAAA", company="无关",
                               created_at=datetime(2025, 10, 2, 3, tzinfo=UTC))
            db.session.add(InquiryRepeat(original_lead_id=lead.id, matched_on="mobile",
                                         reference="CF261125-22222", created_at=NOW))
        repeat = db.session.scalars(select(InquiryRepeat)).one()
        repeat.reference = f"CF261125-{tail}"
        db.session.commit()
        start = data.draw(st.integers(0, 2))
        part = tail[start:data.draw(st.integers(start + 3, 5))]
        part = part.lower() if data.draw(st.booleans()) else part
        if part.isdigit() and len(part) == 4:
            return
        clause = search.lead_search_clause(part)
        assert db.session.scalars(select(Lead.id).where(clause)).all() == [lead.id], part

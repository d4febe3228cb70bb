"""The queue's search on PostgreSQL, where its indexes answer it (pg_trgm, the characters
of search_text, the awaiting-contact index): the same leads, in the same order, as the
unsearched queue, whichever plan queue_search picks (tests/unit/leads/test_queue_search_plans.py)."""
import pytest
import time_machine
from sqlalchemy import select, text

from crm.extensions import db
from crm.leads.search import lead_search_clause
from crm.models import Lead
from tests.unit.leads.test_queue_search_plans import check_plans
from tests.unit.leads.test_reference_search import NOW, check_reference_starts
from tests.unit.leads.test_repeat_reference_search import check_repeat_reference_parts

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("few", [2000, 0], ids=["from-ids", "index-free"])
def test_both_plans_find_the_same_leads_in_queue_order_on_postgresql(pg_app, monkeypatch, few):
    check_plans(pg_app, pg_app.test_client(), db, monkeypatch, few)


def test_search_indexes_exist_and_answer_short_and_long_queries(pg_app):
    names = set(db.session.scalars(text("SELECT indexname FROM pg_indexes WHERE tablename = 'lead'")))
    assert {"ix_lead_search_trgm", "ix_lead_reference_trgm", "ix_lead_mobile_trgm",
            "ix_lead_search_chars", "ix_lead_awaiting_contact"} <= names
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    for clause, index in (("search_text LIKE '%机械有限%'", "ix_lead_search_trgm"),
                          ("string_to_array(search_text, NULL) @> string_to_array('张', NULL)",
                           "ix_lead_search_chars"),
                          ("mobile_e164 LIKE '%8890'", "ix_lead_mobile_trgm"),
                          ("reference ILIKE '%cf25%'", "ix_lead_reference_trgm")):
        plan = "\n".join(db.session.scalars(text(f"EXPLAIN SELECT id FROM lead WHERE {clause}")))
        assert index in plan, plan
    db.session.rollback()


@pytest.mark.parametrize("few", [2000, 0], ids=["from-ids", "index-free"])
def test_a_reference_start_finds_the_references_starting_with_it_on_postgresql(pg_app,
                                                                                monkeypatch, few):
    with time_machine.travel(NOW, tick=False):
        check_reference_starts(pg_app, pg_app.test_client(), db, monkeypatch, few)


def test_a_reference_start_is_walked_as_a_created_at_range(pg_app):
    """CF2512 newest first: a backward walk of a created_at index within December 2025's
    Shanghai days, not the trigram index (bench/README.md has the plans at a million
    leads: the walk stops after a page)."""
    stmt = (select(Lead.id).where(lead_search_clause("CF2512", indexed=False))
            .order_by(Lead.created_at.desc(), Lead.id.desc()).limit(51))
    compiled = stmt.compile(dialect=db.engine.dialect)
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    db.session.execute(text("SET LOCAL TimeZone = 'UTC'"))  # how the plan prints the bounds
    plan = "\n".join(row[0] for row in db.session.connection().exec_driver_sql(
        "EXPLAIN " + str(compiled), compiled.params))
    db.session.rollback()
    assert "Index Scan Backward using ix_lead_created_report" in plan, plan
    assert "created_at >= '2025-11-30 16:00:00+00'" in plan, plan
    assert "created_at < '2025-12-31 16:00:00+00'" in plan, plan
    assert "trgm" not in plan, plan


@pytest.mark.parametrize("few", [2000, 0], ids=["from-ids", "index-free"])
def test_a_part_of_a_repeats_reference_finds_its_need_on_postgresql(pg_app, monkeypatch, few):
    with time_machine.travel(NOW, tick=False):
        check_repeat_reference_parts(pg_app, pg_app.test_client(), db, monkeypatch, few)


def test_a_repeats_reference_part_is_looked_up_in_its_trigram_index(pg_app):
    """The subquery of a reference part reads ix_inquiry_repeat_reference_trgm (migration
    27a328e75452), not every repeat, and runs once: its leads are OR-ed in by the primary
    key beside the text indexes (`lead.id IN (subquery)` in the OR made PostgreSQL read
    every lead, even with sequential scans off)."""
    stmt = select(Lead.id).where(lead_search_clause("834W6"))
    sql = str(stmt.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    # literal_binds renders the ESCAPE backslash doubled (a bind-parameter form); as SQL it is one.
    plan = "\n".join(db.session.scalars(text("EXPLAIN " + sql.replace("'\\\\'", "'\\'"))))
    db.session.rollback()
    assert "ix_inquiry_repeat_reference_trgm" in plan, plan
    assert "BitmapOr" in plan and "Seq Scan on lead" not in plan, plan

"""The queue's search on PostgreSQL, where its indexes answer it (pg_trgm, the characters
of search_text, the awaiting-contact index): the same leads, in the same order, as the
unsearched queue, whichever plan queue_search picks (tests/unit/leads/test_queue_search_plans.py)."""
import pytest
from sqlalchemy import text

from crm.extensions import db
from tests.unit.leads.test_queue_search_plans import check_plans

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

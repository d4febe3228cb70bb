"""The workspace's queries on PostgreSQL, and an import run by a real Celery worker."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.intake import importer
from crm.leads import queue
from crm.models import AuditLog, ImportJob, Lead, LostReason
from crm.models.types import utcnow
from crm.privacy import audit, rights
from tests.factories import LeadFactory, TeamFactory, UserFactory
from tests.support.stack import wait_until

pytestmark = pytest.mark.integration


def test_queue_search_and_counts_on_postgresql(pg_app):
    team = TeamFactory()
    me = UserFactory(team=team)
    boss = UserFactory(team=team, role="manager")
    now = utcnow()
    rest = LeadFactory(assigned_to=me, team=team, status="qualified", created_at=now, score=90,
                       company="湖州廠房100%有限公司", region_code="3305")
    due = LeadFactory(assigned_to=me, team=team, status="contacted", next_follow_up_on=date(2020, 1, 1),
                      created_at=now - timedelta(hours=1), mobile_e164="+8613391219793")
    sla = LeadFactory(assigned_to=me, team=team, created_at=now - timedelta(hours=2),
                      sla_half_at=now - timedelta(minutes=1), sla_due_at=now + timedelta(minutes=10))
    LeadFactory(team=team)  # pool
    first = queue.page(me, "mine", queue.Filters(), None, 2)
    assert [lead.id for lead in first.leads] == [sla.id, due.id] and first.next_cursor
    second = queue.page(me, "mine", queue.Filters(), first.next_cursor, 2)
    assert [lead.id for lead in second.leads] == [rest.id] and second.next_cursor is None
    assert queue.tab_counts(boss, queue.Filters()) == {"mine": 0, "pool": 1, "due": 0, "all": 4}
    assert queue.tab_counts(me, queue.Filters()) == {"mine": 3, "pool": 1, "due": 1}

    def found(**kwargs):
        return {lead.id for lead in queue.page(me, "mine", queue.Filters(**kwargs), None, 50).leads}
    assert found(q="厂房") == {rest.id}           # simplified query, traditional data
    assert found(q="100%") == {rest.id}          # % is a character, not a wildcard
    assert found(q="1%") == set()
    assert found(q="9793") == {due.id}
    assert found(region="33", score_min=50) == {rest.id}


def test_audit_json_and_retention_query_on_postgresql(pg_app):
    actor = UserFactory()
    lead = LeadFactory(status="lost", created_at=utcnow() - timedelta(days=900))
    audit.record(actor, "lead_edit", "lead", lead.id, {"area_min_sqm": Decimal("1.50")},
                 {"area_min_sqm": Decimal("2"), "when": date(2026, 1, 1)})
    db.session.commit()
    entry = db.session.scalars(select(AuditLog)).one()
    assert entry.old == {"area_min_sqm": "1.50"} and entry.new["when"] == "2026-01-01"
    assert rights.closed_before_ids(utcnow() - timedelta(days=730)) == [lead.id]
    # The migration seeded the managed list of lost reasons.
    assert "价格" in db.session.scalars(select(LostReason.name)).all()


def test_import_runs_in_a_real_worker(pg_app, start_worker):
    team = TeamFactory()
    boss = UserFactory(team=team, role="manager")
    agent = UserFactory(team=team)
    start_worker("w1")
    rows = "联系人,手机,公司\n" + "".join(f"客户{i},139{i:08d},公司{i}\n" for i in range(30)) + ",123,坏行\n"
    job = importer.create_job("brokers.csv", rows.encode(), boss)

    def read():  # the worker reads the file, not the request
        db.session.expire_all()
        current = db.session.get(ImportJob, job.id)
        return current.status == "uploaded" and current

    job = wait_until(read, timeout=60)
    assert job.total == 31 and job.upload is None
    importer.save_mapping(job, importer.guess_mapping(job.headers), "skip", route=True)
    importer.start(job)

    def finished():
        db.session.expire_all()
        current = db.session.get(ImportJob, job.id)
        return current.status == "done" and current

    done = wait_until(finished, timeout=60)
    assert (done.processed, done.created, done.failed) == (31, 30, 1)
    wait_until(lambda: db.session.scalar(select(db.func.count()).select_from(Lead).where(
        Lead.assigned_to_id == agent.id)) == 30, timeout=60)

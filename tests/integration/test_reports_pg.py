"""PostgreSQL specifics: the COPY seed, and a big export written by a real Celery worker."""
import re

import pytest
from sqlalchemy import func, select, text

from crm.demo.history import seed_history
from crm.extensions import db
from crm.models import ExportJob, Lead
from tests.support.stack import wait_until
from tests.unit.demo.test_demo_history import check_history

pytestmark = pytest.mark.integration


def test_copy_seed_loads_consistent_history(pg_app):
    lines = []
    seed_history(25_000, progress=lines.append)
    assert any("20,000 / 25,000" in line for line in lines)  # progress per chunk
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 25_000
    # The id sequence was moved past the ids COPY gave: a new lead gets a fresh one.
    next_id = db.session.scalar(text("SELECT nextval(pg_get_serial_sequence('lead', 'id'))"))
    assert next_id > db.session.scalar(select(func.max(Lead.id)))


def test_copy_seed_history_is_consistent(pg_app):
    seed_history(1500)
    db.session.remove()
    check_history(db, 1500)


def test_big_export_is_written_by_a_worker(pg_app, start_worker, tmp_path):
    seed_history(3000)
    db.session.remove()
    pg_app.config["CRM_EXPORT_SYNC_MAX_ROWS"] = 10
    start_worker("exports")
    client = pg_app.test_client()
    assert client.post("/login", data={"email": "admin@example.com",
                                       "password": "demo1234"}).status_code == 302
    response = client.post("/reports/leads/export.xlsx?from=2025-01-01&to=2030-01-01")
    assert response.status_code == 302
    job_id = int(re.search(r"/exports/(\d+)", response.headers["Location"]).group(1))

    def done():
        db.session.remove()
        job = db.session.get(ExportJob, job_id)
        return job if job.status in ("done", "failed") else None
    job = wait_until(done, timeout=60)
    assert job.status == "done", job.error
    assert job.rows_done == job.rows_total == db.session.scalar(
        select(func.count()).select_from(Lead).where(Lead.status != "spam"))
    download = client.get(f"/reports/exports/{job_id}/download")
    assert download.status_code == 200 and download.data[:2] == b"PK"  # a zip: XLSX


def test_the_speed_reports_source_is_planned_on_its_own(pg_app):
    """Per agent and per team, the percentiles need the range sorted by agent. Planned
    together with its source, PostgreSQL walked the (agent, team) index for that order: a
    heap fetch per lead, 3.9 s over 18 months at a million leads, against 2.0 s for the
    index-only range scan and a sort (bench/README.md). The source is a subquery the planner
    may not flatten (OFFSET 0)."""
    from datetime import date

    from sqlalchemy import event

    from crm.reporting import rollup
    from crm.reporting import speed as speed_report
    from crm.reporting.scope import Scope

    seed_history(300)
    db.session.remove()
    statements = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))
    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        # The exact statement (a long range may otherwise read the rollups, once folded).
        with rollup.exact():
            report = speed_report.speed(Scope(date(2020, 1, 1), date(2030, 12, 31)), 30)
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    assert report.overall.leads > 0 and report.by_agent and report.by_team
    statement, parameters = next((s, p) for s, p in statements if "GROUPING SETS" in s.upper())
    plan = "\n".join(row[0] for row in db.session.connection().exec_driver_sql(
        "EXPLAIN " + statement, parameters))
    assert "Subquery Scan on src" in plan, plan

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
    pg_app.config["EXPORT_SYNC_MAX_ROWS"] = 10
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

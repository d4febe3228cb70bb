"""Thin task wrappers: they take ids and call services; every one is safe to run twice."""
import logging

from celery import shared_task
from flask import current_app
from sqlalchemy.exc import OperationalError

from crm.services import routing
from crm.services.dispatch import enqueue

log = logging.getLogger(__name__)


@shared_task(name="workers.tasks.route_lead", bind=True,
             autoretry_for=(OperationalError,), retry_backoff=True, retry_backoff_max=60,
             max_retries=8)
def route_lead(self, lead_id: int) -> int | None:
    return routing.route_lead(lead_id)


@shared_task(name="workers.tasks.run_export", autoretry_for=(OperationalError,),
             retry_backoff=True, retry_backoff_max=60, max_retries=3)
def run_export(job_id: int) -> str | None:
    from crm.services import exports  # imported here: only workers that export need openpyxl
    return exports.run_job(job_id)


@shared_task(name="workers.tasks.sweep_unrouted")
def sweep_unrouted() -> int:
    ids = routing.unrouted_lead_ids(current_app.config["SWEEP_AFTER_SECONDS"])
    for lead_id in ids:
        enqueue("workers.tasks.route_lead", lead_id)
    if ids:
        log.info("sweeper re-enqueued %d unrouted leads", len(ids))
    return len(ids)

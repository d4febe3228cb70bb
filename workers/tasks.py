"""Thin task wrappers: they take ids and call services; every one is safe to run twice."""
import logging
import smtplib
from datetime import date

from celery import shared_task
from flask import current_app
from sqlalchemy.exc import OperationalError

from crm import jobs
from crm.intake import repeats
from crm.jobs import enqueue
from crm.leads import followup, visits
from crm.notifications import mail, outbox
from crm.routing import engine, sla

log = logging.getLogger(__name__)


@shared_task(name=jobs.ROUTE_LEAD, bind=True,
             autoretry_for=(OperationalError,), retry_backoff=True, retry_backoff_max=60,
             max_retries=8)
def route_lead(self, lead_id: int) -> int | None:
    # An eager run (in-process) routes at once; a worker lingers for the burst behind it.
    routed = engine.route_burst(lead_id, linger=not self.request.is_eager)
    if not routed.own_taken and not self.request.is_eager and engine.still_waiting(lead_id):
        # Its row was locked by another transaction (SKIP LOCKED passed it by): look again
        # soon rather than leave it to the sweeper.
        raise self.retry(countdown=1)
    return routed.get(lead_id)


@shared_task(name=jobs.RUN_EXPORT, autoretry_for=(OperationalError,),
             retry_backoff=True, retry_backoff_max=60, max_retries=3)
def run_export(job_id: int) -> str | None:
    from crm.reporting import exports  # imported here: only workers that export need openpyxl
    return exports.run_job(job_id)


@shared_task(name=jobs.SWEEP_UNROUTED)
def sweep_unrouted() -> int:
    ids = engine.unrouted_lead_ids(current_app.config["CRM_SWEEP_AFTER_SECONDS"])
    for lead_id in ids:
        enqueue(jobs.ROUTE_LEAD, lead_id)
    if ids:
        log.info("sweeper re-enqueued %d unrouted leads", len(ids))
    return len(ids)


@shared_task(name=jobs.SLA_SWEEP)
def sla_sweep() -> dict:
    return {"reminded": sla.remind_half_time(), "breached": sla.handle_breaches()}


@shared_task(name=jobs.RECOMPUTE_SLA_DEADLINES, autoretry_for=(OperationalError,),
             retry_backoff=True, retry_backoff_max=60, max_retries=8)
def recompute_sla_deadlines(changed: list[str] | None = None) -> int:
    # Also run hourly by beat with no days: provisional deadlines follow a year's holidays
    # once entered, and a change whose task was lost (broker down) is caught.
    return sla.recompute_deadlines([date.fromisoformat(d) for d in changed] if changed else None)


@shared_task(name=jobs.FOLLOW_UP_REMINDERS)
def follow_up_reminders() -> int:
    # Date-only ones on their day, timed ones shortly before: once each (keyed by the day
    # or moment), so a run every few minutes sends nothing twice.
    return followup.remind_follow_ups()


@shared_task(name=jobs.VISIT_REMINDERS)
def visit_reminders() -> dict:
    # Site visits starting soon: claimed per row, so a second run (or a second beat) sends
    # nothing twice.
    return {"visits": visits.send_reminders()}


@shared_task(name=jobs.DELIVER_NOTIFICATION, bind=True, max_retries=5)
def deliver_notification(self, notification_id: int) -> bool:
    # In-process (eager) mode tries once: a dead webhook must not hold up a web request.
    last = self.request.is_eager or self.request.retries >= self.max_retries
    try:
        return outbox.deliver(notification_id, final_attempt=last)
    except outbox.DeliveryError as exc:
        if last:
            return False
        # Exponential backoff, kept well under the broker's visibility timeout (300 s).
        raise self.retry(exc=exc, countdown=min(240, 5 * 2 ** self.request.retries)) from exc


@shared_task(name=jobs.DELIVER_PENDING)
def deliver_pending() -> int:
    ids = outbox.pending_ids()
    outbox.send_soon(ids)
    return len(ids)
@shared_task(name=jobs.NOTIFY_REPEAT_INQUIRY, bind=True,
             autoretry_for=(OperationalError,), retry_backoff=True, retry_backoff_max=60,
             max_retries=8)
def notify_repeat_inquiry(self, original_id: int, repeat_id: int) -> bool:
    return repeats.notify_repeat(original_id, repeat_id)


@shared_task(name=jobs.SEND_AUTO_REPLY, bind=True,
             autoretry_for=(OperationalError, smtplib.SMTPException, OSError),
             retry_backoff=True, retry_backoff_max=120, max_retries=5)
def send_auto_reply(self, lead_id: int) -> bool:
    return mail.send_auto_reply(lead_id)


@shared_task(name=jobs.READ_IMPORT, autoretry_for=(OperationalError,),
             retry_backoff=True, retry_backoff_max=60, max_retries=5)
def read_import(job_id: int) -> str | None:
    # Parsing a spreadsheet is the worker's job: a hostile one must not hold a web process.
    from crm.intake import importer
    job = importer.read(job_id)
    return job.status if job else None


@shared_task(name=jobs.DRY_RUN_IMPORT, autoretry_for=(OperationalError,),
             retry_backoff=True, retry_backoff_max=60, max_retries=5)
def dry_run_import(job_id: int, locale: str) -> int | None:
    from crm.intake import importer
    result = importer.run_dry_run(job_id, locale)
    return result.ok if result else None


@shared_task(name=jobs.IMPORT_LEADS, bind=True,
             autoretry_for=(OperationalError,), retry_backoff=True, retry_backoff_max=60,
             max_retries=5)
def import_leads(self, job_id: int) -> int:
    # Idempotent per (job, row number): a redelivery skips rows already imported.
    from crm.intake import importer
    job = importer.run(job_id)
    return job.processed if job else 0


@shared_task(name=jobs.RETENTION_SWEEP)
def retention_sweep() -> int:
    from crm.privacy import rights
    return rights.retention_sweep()


@shared_task(name=jobs.PURGE_IDEMPOTENCY_KEYS)
def purge_idempotency_keys() -> int:
    from crm.intake import idempotency
    return idempotency.purge_expired()


@shared_task(name=jobs.PROCESS_LISTING_IMAGE, bind=True,
             autoretry_for=(OperationalError, OSError), retry_backoff=True,
             retry_backoff_max=60, max_retries=5)
def process_listing_image(self, image_id: int) -> str:
    # Idempotent: a second run finds the image ready (or gone) and changes nothing.
    from crm.listings import images  # imported here: only workers that make photos need Pillow
    return images.process(image_id)


@shared_task(name=jobs.SWEEP_PENDING_IMAGES)
def sweep_pending_images() -> int:
    from crm.listings import images
    ids = images.stuck_ids(current_app.config["CRM_IMAGE_SWEEP_AFTER_SECONDS"])
    for image_id in ids:
        enqueue(jobs.PROCESS_LISTING_IMAGE, image_id)
    if ids:
        log.info("sweeper re-enqueued %d pending listing images", len(ids))
    return len(ids)


@shared_task(name=jobs.FOLD_REPORT_ROLLUPS, autoretry_for=(OperationalError,),
             retry_backoff=True, max_retries=3)
def fold_report_rollups() -> int:
    # Safe twice and side by side: one fold at a time (an advisory lock), the others return.
    from crm.extensions import db
    from crm.reporting import rollup
    return rollup.fold(db.session, current_app.config["CRM_SLA_MINUTES"])

"""Thin task wrappers: they take ids and call services; every one is safe to run twice."""
import logging
import smtplib
import time
from datetime import date

from celery import shared_task
from flask import current_app
from sqlalchemy.exc import OperationalError

from crm.intake import repeats
from crm.jobs import ROUTE_TASK, enqueue, enqueue_routing, routing_task_started
from crm.leads import visits
from crm.notifications import mail, outbox
from crm.routing import engine, sla

log = logging.getLogger(__name__)

# Full batches one routing task takes in a row before it hands over to the next task (about
# a second of work at 50 leads a batch).
DRAIN_BATCHES = 20


@shared_task(name="workers.tasks.route_lead", bind=True,
             autoretry_for=(OperationalError,), retry_backoff=True, retry_backoff_max=60,
             max_retries=8)
def route_lead(self, lead_id: int) -> int | None:
    # This lead, and the backlog behind it when a burst outruns the workers: the inquiries
    # that found this task waiting (its mark stays set while it lingers) did not publish
    # their own (crm.jobs.enqueue_routing).
    more = current_app.config["CRM_ROUTING_BATCH"] - 1
    if more and not self.request.is_eager:
        time.sleep(current_app.config["CRM_ROUTING_LINGER_SECONDS"])
    routing_task_started()
    routed = engine.route_batch(lead_id, more=more)
    full, progress = more and routed.others_taken >= more, len(routed) > 0
    # A full batch: more wait behind it, so there is nothing to linger for. The next
    # batches are taken at once, a transaction each, while they come full and route
    # something (a lingering task per batch capped routing at one batch per linger).
    for _ in range(DRAIN_BATCHES):
        if not (full and progress):
            break
        routing_task_started()
        following = engine.route_batch(lead_id, more=more)
        full, progress = following.others_taken >= more, len(following) > 0
    if full:
        enqueue_routing(lead_id)  # still full: the next task takes over
    if not routed.own_taken and not self.request.is_eager and engine.still_waiting(lead_id):
        # Its row was locked by another transaction (SKIP LOCKED passed it by): look again
        # soon rather than leave it to the sweeper.
        raise self.retry(countdown=1)
    return routed.get(lead_id)


@shared_task(name="workers.tasks.run_export", autoretry_for=(OperationalError,),
             retry_backoff=True, retry_backoff_max=60, max_retries=3)
def run_export(job_id: int) -> str | None:
    from crm.reporting import exports  # imported here: only workers that export need openpyxl
    return exports.run_job(job_id)


@shared_task(name="workers.tasks.sweep_unrouted")
def sweep_unrouted() -> int:
    ids = engine.unrouted_lead_ids(current_app.config["SWEEP_AFTER_SECONDS"])
    for lead_id in ids:
        enqueue(ROUTE_TASK, lead_id)
    if ids:
        log.info("sweeper re-enqueued %d unrouted leads", len(ids))
    return len(ids)


@shared_task(name="workers.tasks.sla_sweep")
def sla_sweep() -> dict:
    return {"reminded": sla.remind_half_time(), "breached": sla.handle_breaches()}


@shared_task(name="workers.tasks.recompute_sla_deadlines", autoretry_for=(OperationalError,),
             retry_backoff=True, retry_backoff_max=60, max_retries=8)
def recompute_sla_deadlines(changed: list[str] | None = None) -> int:
    # Also run hourly by beat with no days: provisional deadlines follow a year's holidays
    # once entered, and a change whose task was lost (broker down) is caught.
    return sla.recompute_deadlines([date.fromisoformat(d) for d in changed] if changed else None)


@shared_task(name="workers.tasks.follow_up_reminders")
def follow_up_reminders() -> int:
    return sla.remind_follow_ups()


@shared_task(name="workers.tasks.visit_reminders")
def visit_reminders() -> dict:
    # Site visits starting soon, and follow-ups with a time of day: claimed per row, so a
    # second run (or a second beat) sends nothing twice.
    return {"visits": visits.send_reminders(), "follow_ups": visits.remind_follow_ups()}


@shared_task(name="workers.tasks.deliver_notification", bind=True, max_retries=5)
def deliver_notification(self, notification_id: int) -> bool:
    # In-process (eager) mode tries once: a dead webhook must not hold up a web request.
    last = self.request.is_eager or self.request.retries >= self.max_retries
    try:
        return outbox.deliver(notification_id, final_attempt=last)
    except outbox.DeliveryError as exc:
        if last:
            return False
        # Exponential backoff, kept well under the broker's visibility timeout (300 s).
        raise self.retry(exc=exc, countdown=min(240, 5 * 2 ** self.request.retries))


@shared_task(name="workers.tasks.deliver_pending")
def deliver_pending() -> int:
    ids = outbox.pending_ids()
    outbox.send_soon(ids)
    return len(ids)
@shared_task(name="workers.tasks.notify_repeat_inquiry", bind=True,
             autoretry_for=(OperationalError,), retry_backoff=True, retry_backoff_max=60,
             max_retries=8)
def notify_repeat_inquiry(self, original_id: int, repeat_id: int) -> bool:
    return repeats.notify_repeat(original_id, repeat_id)


@shared_task(name="workers.tasks.send_auto_reply", bind=True,
             autoretry_for=(OperationalError, smtplib.SMTPException, OSError),
             retry_backoff=True, retry_backoff_max=120, max_retries=5)
def send_auto_reply(self, lead_id: int) -> bool:
    return mail.send_auto_reply(lead_id)


@shared_task(name="workers.tasks.read_import", autoretry_for=(OperationalError,),
             retry_backoff=True, retry_backoff_max=60, max_retries=5)
def read_import(job_id: int) -> str | None:
    # Parsing a spreadsheet is the worker's job: a hostile one must not hold a web process.
    from crm.intake import importer
    job = importer.read(job_id)
    return job.status if job else None


@shared_task(name="workers.tasks.dry_run_import", autoretry_for=(OperationalError,),
             retry_backoff=True, retry_backoff_max=60, max_retries=5)
def dry_run_import(job_id: int, locale: str) -> int | None:
    from crm.intake import importer
    result = importer.run_dry_run(job_id, locale)
    return result.ok if result else None


@shared_task(name="workers.tasks.import_leads", bind=True,
             autoretry_for=(OperationalError,), retry_backoff=True, retry_backoff_max=60,
             max_retries=5)
def import_leads(self, job_id: int) -> int:
    # Idempotent per (job, row number): a redelivery skips rows already imported.
    from crm.intake import importer
    job = importer.run(job_id)
    return job.processed if job else 0


@shared_task(name="workers.tasks.retention_sweep")
def retention_sweep() -> int:
    from crm.privacy import rights
    return rights.retention_sweep()


@shared_task(name="workers.tasks.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    from crm.intake import idempotency
    return idempotency.purge_expired()


@shared_task(name="workers.tasks.process_listing_image", bind=True,
             autoretry_for=(OperationalError, OSError), retry_backoff=True,
             retry_backoff_max=60, max_retries=5)
def process_listing_image(self, image_id: int) -> str:
    # Idempotent: a second run finds the image ready (or gone) and changes nothing.
    from crm.listings import images  # imported here: only workers that make photos need Pillow
    return images.process(image_id)


@shared_task(name="workers.tasks.sweep_pending_images")
def sweep_pending_images() -> int:
    from crm.listings import images
    ids = images.stuck_ids(current_app.config["CRM_IMAGE_SWEEP_AFTER_SECONDS"])
    for image_id in ids:
        enqueue("workers.tasks.process_listing_image", image_id)
    if ids:
        log.info("sweeper re-enqueued %d pending listing images", len(ids))
    return len(ids)

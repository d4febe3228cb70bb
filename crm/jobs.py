"""Background work: the Celery app bound to Flask, and handing a task over after a commit.

The database is the source of truth: if the broker is down the work is still recorded
(e.g. a lead with routed_at NULL) and the sweeper enqueues it later, so `enqueue` never
fails its caller.

The tasks themselves live in `workers/` (the worker's side). The web process publishes
them by name and does not import them; only the in-process mode (no broker: demo, unit
tests) loads them, because there the task runs right here.
"""
import logging
import uuid
from typing import Any

import redis
from celery import Celery, Task
from flask import Flask, current_app
from kombu.exceptions import OperationalError as BrokerUnavailable

from crm import redis_client
from crm.observability.logs import current_request_id, request_id_var

log = logging.getLogger(__name__)

# Task names, the one place they are spelled: the web process publishes by name, the worker
# registers under it (workers/tasks.py), beat schedules by it (workers/schedule.py).
ROUTE_LEAD = "workers.tasks.route_lead"
SWEEP_UNROUTED = "workers.tasks.sweep_unrouted"
SLA_SWEEP = "workers.tasks.sla_sweep"
RECOMPUTE_SLA_DEADLINES = "workers.tasks.recompute_sla_deadlines"
FOLLOW_UP_REMINDERS = "workers.tasks.follow_up_reminders"
VISIT_REMINDERS = "workers.tasks.visit_reminders"
DELIVER_NOTIFICATION = "workers.tasks.deliver_notification"
DELIVER_PENDING = "workers.tasks.deliver_pending"
NOTIFY_REPEAT_INQUIRY = "workers.tasks.notify_repeat_inquiry"
SEND_AUTO_REPLY = "workers.tasks.send_auto_reply"
RUN_EXPORT = "workers.tasks.run_export"
READ_IMPORT = "workers.tasks.read_import"
DRY_RUN_IMPORT = "workers.tasks.dry_run_import"
IMPORT_LEADS = "workers.tasks.import_leads"
RETENTION_SWEEP = "workers.tasks.retention_sweep"
PURGE_IDEMPOTENCY_KEYS = "workers.tasks.purge_idempotency_keys"
PROCESS_LISTING_IMAGE = "workers.tasks.process_listing_image"
SWEEP_PENDING_IMAGES = "workers.tasks.sweep_pending_images"
FOLD_REPORT_ROLLUPS = "workers.tasks.fold_report_rollups"
TASK_NAMES = (ROUTE_LEAD, SWEEP_UNROUTED, SLA_SWEEP, RECOMPUTE_SLA_DEADLINES, FOLLOW_UP_REMINDERS,
              VISIT_REMINDERS, DELIVER_NOTIFICATION, DELIVER_PENDING, NOTIFY_REPEAT_INQUIRY,
              SEND_AUTO_REPLY, RUN_EXPORT, READ_IMPORT, DRY_RUN_IMPORT, IMPORT_LEADS,
              RETENTION_SWEEP, PURGE_IDEMPOTENCY_KEYS, PROCESS_LISTING_IMAGE, SWEEP_PENDING_IMAGES,
              FOLD_REPORT_ROLLUPS)


def init_celery(app: Flask) -> "Celery[Any]":  # celery-types: generic in its task class
    """Celery bound to Flask the way the Flask docs show (patterns/celery)."""
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            token = request_id_var.set(getattr(self.request, "request_id", None) or "-")
            try:
                with app.app_context():
                    return self.run(*args, **kwargs)
            finally:
                request_id_var.reset(token)

    celery = Celery(app.name, task_cls=FlaskTask)
    celery.config_from_object(app.config["CELERY"])
    celery.set_default()
    app.extensions["celery"] = celery
    if celery.conf.task_always_eager:
        celery.loader.import_default_modules()  # the task modules named in CELERY["include"]
    return celery


def enqueue(task_name: str, *args) -> bool:
    celery = current_app.extensions["celery"]
    # The request id travels as a message header, so the worker logs under it too.
    headers = {"request_id": current_request_id()}
    try:
        if celery.conf.task_always_eager:
            celery.tasks[task_name].apply_async(args=args, headers=headers)
        else:
            celery.send_task(task_name, args=args, headers=headers)
        return True
    except BrokerUnavailable as exc:
        # Redis down: expected during an outage, so one line per task, not a traceback each.
        log.warning("could not enqueue %s%r, broker unavailable (%s); the sweeper will pick it up",
                    task_name, args, exc)
        return False
    except Exception:  # anything else (eager task errors…): keep the traceback
        log.warning("could not enqueue %s%r; the sweeper will pick it up", task_name, args,
                    exc_info=True)
        return False


# --- routing: one waiting task serves a burst ---------------------------------------------
# How long a "routing task waiting" mark may outlive a task that never ran (its message
# lost with Redis): leads committed meanwhile are routed by the next inquiry's task or
# by the sweeper (CRM_SWEEP_AFTER_SECONDS).
ROUTING_MARK_SECONDS = 10


def _routing_mark(publishing: bool = True) -> tuple[redis.Redis, str] | None:
    config = current_app.config
    if config["CELERY"].get("task_always_eager"):
        return None  # in-process: each lead is routed right here, as it is committed
    if publishing and config["CRM_ROUTING_BATCH"] <= 1:
        return None  # a task routes only its own lead: every lead needs its own task
    return redis_client.for_app(config), f"{config['CELERY']['task_default_queue']}:routing-waiting"


# Delete the mark only if it is still the one this inquiry set.
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


def enqueue_routing(lead_id: int) -> bool:
    """Hand a committed lead to routing, publishing only when no routing task is waiting.

    A routing task takes the oldest unrouted leads along (engine.route_batch), and clears
    the mark *before* it looks for them (routing_task_started). So if the mark is already
    set when this lead has been committed, the task that set it has not looked yet and will
    find this lead: a burst costs one publish instead of one per lead. If Redis cannot
    say, publish (and if the broker is down too, the sweeper routes the lead later); if
    the publish fails, the mark goes, so the next inquiry tries again.
    """
    mark = _routing_mark()
    token = None
    if mark is not None:
        client, key = mark
        token = uuid.uuid4().hex
        try:
            if not client.set(key, token, nx=True, ex=ROUTING_MARK_SECONDS):
                return True
        except redis.RedisError:
            token = None
    if enqueue(ROUTE_LEAD, lead_id):
        return True
    if token is not None:
        try:
            client.eval(_RELEASE, 1, key, token)
        except redis.RedisError:
            pass  # it expires within ROUTING_MARK_SECONDS; the sweeper covers the gap
    return False


def routing_task_started() -> None:
    """Called by a routing task before it picks its batch: leads committed from now on
    may not be in it, so the next one publishes a task again. (Whatever this worker's
    batch size: a web process with another setting may have set the mark.)"""
    mark = _routing_mark(publishing=False)
    if mark is not None:
        client, key = mark
        try:
            client.delete(key)
        except redis.RedisError:
            pass  # the mark expires on its own; the sweeper covers the gap

"""Enqueue Celery tasks after a commit without ever failing the caller.

The database is the source of truth: if the broker is down the work is still
recorded (e.g. a lead with routed_at NULL) and the sweeper enqueues it later.
"""
import logging

from flask import current_app
from kombu.exceptions import OperationalError as BrokerUnavailable

from crm.observability import current_request_id

log = logging.getLogger(__name__)


def enqueue(task_name: str, *args) -> bool:
    celery = current_app.extensions["celery"]
    try:
        # The request id travels as a message header, so the worker logs under it too.
        celery.tasks[task_name].apply_async(args=args, headers={"request_id": current_request_id()})
        return True
    except BrokerUnavailable as exc:
        # Redis down: expected during an outage, so one line per task, not a traceback each.
        log.warning("could not enqueue %s%r, broker unavailable (%s); the sweeper will pick it up",
                    task_name, args, exc)
        return False
    except Exception:  # noqa: BLE001 - anything else (eager task errors…): keep the traceback
        log.warning("could not enqueue %s%r; the sweeper will pick it up", task_name, args,
                    exc_info=True)
        return False

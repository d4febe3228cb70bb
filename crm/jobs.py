"""Background work: the Celery app bound to Flask, and handing a task over after a commit.

The database is the source of truth: if the broker is down the work is still recorded
(e.g. a lead with routed_at NULL) and the sweeper enqueues it later, so `enqueue` never
fails its caller.

The tasks themselves live in `workers/` (the worker's side). The web process publishes
them by name and does not import them; only the in-process mode (no broker: demo, unit
tests) loads them, because there the task runs right here.
"""
import logging

from celery import Celery, Task
from flask import Flask, current_app
from kombu.exceptions import OperationalError as BrokerUnavailable

from crm.observability.logs import current_request_id, request_id_var

log = logging.getLogger(__name__)


def init_celery(app: Flask) -> Celery:
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
    except Exception:  # noqa: BLE001 - anything else (eager task errors…): keep the traceback
        log.warning("could not enqueue %s%r; the sweeper will pick it up", task_name, args,
                    exc_info=True)
        return False

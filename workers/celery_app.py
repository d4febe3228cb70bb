"""Celery bound to Flask the way the Flask docs show (patterns/celery)."""
from celery import Celery, Task
from flask import Flask

BEAT_SCHEDULE = {
    # Catch leads whose routing task never ran (broker down at submit time, task lost).
    "sweep-unrouted-leads": {"task": "workers.tasks.sweep_unrouted", "schedule": 60.0},
    # Reminders at half the first-contact time, alerts and reassignment at the deadline.
    "sla-sweep": {"task": "workers.tasks.sla_sweep", "schedule": 60.0},
    # Notifications whose delivery task never ran (broker down when they were queued).
    "deliver-pending-notifications": {"task": "workers.tasks.deliver_pending", "schedule": 60.0},
    "follow-up-reminders": {"task": "workers.tasks.follow_up_reminders", "schedule": 3600.0},
    # PIPL Art. 19: anonymise leads closed longer than CRM_RETENTION_DAYS.
    "retention-sweep": {"task": "workers.tasks.retention_sweep", "schedule": 86400.0},
    # Forget API Idempotency-Key answers older than CRM_IDEMPOTENCY_DAYS.
    "idempotency-purge": {"task": "workers.tasks.purge_idempotency_keys", "schedule": 86400.0},
}


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            from crm.observability import request_id_var
            token = request_id_var.set(getattr(self.request, "request_id", None) or "-")
            try:
                with app.app_context():
                    return self.run(*args, **kwargs)
            finally:
                request_id_var.reset(token)

    celery_app = Celery(app.name, task_cls=FlaskTask, include=["workers.tasks"])
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.conf.beat_schedule = BEAT_SCHEDULE
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    # Register the tasks now, so the web side can enqueue them by name.
    import workers.tasks  # noqa: F401
    return celery_app

"""Celery beat's schedule: the sweepers that make sure nothing waits forever."""
BEAT_SCHEDULE = {
    # Catch leads whose routing task never ran (broker down at submit time, task lost).
    "sweep-unrouted-leads": {"task": "workers.tasks.sweep_unrouted", "schedule": 60.0},
    # Reminders at half the first-contact time, alerts and reassignment at the deadline.
    "sla-sweep": {"task": "workers.tasks.sla_sweep", "schedule": 60.0},
    # Notifications whose delivery task never ran (broker down when they were queued).
    "deliver-pending-notifications": {"task": "workers.tasks.deliver_pending", "schedule": 60.0},
    "follow-up-reminders": {"task": "workers.tasks.follow_up_reminders", "schedule": 3600.0},
    # Site visits within CRM_VISIT_REMINDER_MINUTES and timed follow-ups: each once.
    "visit-reminders": {"task": "workers.tasks.visit_reminders", "schedule": 300.0},
    # PIPL Art. 19: anonymise leads closed longer than CRM_RETENTION_DAYS.
    "retention-sweep": {"task": "workers.tasks.retention_sweep", "schedule": 86400.0},
    # First-contact deadlines still ahead, and those computed while a year's holidays were
    # missing, checked against the calendar (the task after each edit does it at once; this
    # catches one whose enqueue was lost).
    "recompute-provisional-deadlines": {"task": "workers.tasks.recompute_sla_deadlines",
                                        "schedule": 3600.0},
    # Forget API Idempotency-Key answers older than CRM_IDEMPOTENCY_DAYS.
    "idempotency-purge": {"task": "workers.tasks.purge_idempotency_keys", "schedule": 86400.0},
    # Listing photos whose processing task was lost (broker down at upload, worker killed).
    "sweep-pending-images": {"task": "workers.tasks.sweep_pending_images", "schedule": 120.0},
}

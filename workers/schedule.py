"""Celery beat's schedule: the sweepers that make sure nothing waits forever."""
from crm import jobs

BEAT_SCHEDULE = {
    # Catch leads whose routing task never ran (broker down at submit time, task lost).
    "sweep-unrouted-leads": {"task": jobs.SWEEP_UNROUTED, "schedule": 60.0},
    # Reminders at half the first-contact time, alerts and reassignment at the deadline.
    "sla-sweep": {"task": jobs.SLA_SWEEP, "schedule": 60.0},
    # Notifications whose delivery task never ran (broker down when they were queued).
    "deliver-pending-notifications": {"task": jobs.DELIVER_PENDING, "schedule": 60.0},
    # Follow-ups due today, and those with a time of day CRM_FOLLOW_UP_REMINDER_MINUTES ahead:
    # each once (keyed by day or moment), so every 5 minutes costs no repeat.
    "follow-up-reminders": {"task": jobs.FOLLOW_UP_REMINDERS, "schedule": 300.0},
    # Site visits within CRM_VISIT_REMINDER_MINUTES: each once.
    "visit-reminders": {"task": jobs.VISIT_REMINDERS, "schedule": 300.0},
    # PIPL Art. 19: anonymise leads closed longer than CRM_RETENTION_DAYS.
    "retention-sweep": {"task": jobs.RETENTION_SWEEP, "schedule": 86400.0},
    # First-contact deadlines still ahead, and those computed while a year's holidays were
    # missing, checked against the calendar (the task after each edit does it at once; this
    # catches one whose enqueue was lost).
    "recompute-provisional-deadlines": {"task": jobs.RECOMPUTE_SLA_DEADLINES,
                                        "schedule": 3600.0},
    # Forget API Idempotency-Key answers older than CRM_IDEMPOTENCY_DAYS.
    "idempotency-purge": {"task": jobs.PURGE_IDEMPOTENCY_KEYS, "schedule": 86400.0},
    # Listing photos whose processing task was lost (broker down at upload, worker killed).
    "sweep-pending-images": {"task": jobs.SWEEP_PENDING_IMAGES, "schedule": 120.0},
    # The report rollups of the days leads changed on; until folded, those days are read
    # from the leads (exact either way), so a lost run only costs speed.
    "fold-report-rollups": {"task": jobs.FOLD_REPORT_ROLLUPS, "schedule": 60.0},
}

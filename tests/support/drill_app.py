"""The Celery app of the fault drills' workers: the real one (workers.entry), plus a pause
while routing holds its row locks, so a drill can kill a worker in the middle of routing.

`celery -A tests.support.drill_app worker`, with CRM_FAULT_ROUTE_PAUSE_SECONDS set.
"""
import os
import time

from crm.routing import engine
from workers.entry import celery_app as app

PAUSE_SECONDS = float(os.environ.get("CRM_FAULT_ROUTE_PAUSE_SECONDS", "0"))
if PAUSE_SECONDS:
    engine.LOCKS_HELD_HOOKS.append(lambda: time.sleep(PAUSE_SECONDS))

__all__ = ["app"]

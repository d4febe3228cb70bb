"""The Celery app of the fault drills' workers: the real one (workers.entry), plus a pause
while routing holds its row locks, so a drill can kill a worker in the middle of routing.

`celery -A tests.support.drill_app worker`, with CRM_FAULT_ROUTE_PAUSE_SECONDS set. With
CRM_FAULT_ROUTE_MARKER set too, the pause first appends a line to that file: a drill waits
for it to know routing is inside the pause (locks held, nothing committed) instead of guessing.
"""
import os
import time

from crm.routing import engine
from workers.entry import celery_app as app

PAUSE_SECONDS = float(os.environ.get("CRM_FAULT_ROUTE_PAUSE_SECONDS", "0"))
MARKER = os.environ.get("CRM_FAULT_ROUTE_MARKER")


def _pause() -> None:
    if MARKER:
        with open(MARKER, "a") as marker:
            marker.write(f"{os.getpid()} paused\n")
    time.sleep(PAUSE_SECONDS)


if PAUSE_SECONDS:
    engine.LOCKS_HELD_HOOKS.append(_pause)

__all__ = ["app"]

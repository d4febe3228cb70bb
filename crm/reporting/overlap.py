"""Run a report's slowest statement on a connection of its own, beside the others.

Over a long range a report is a few independent statements, each answered by one
PostgreSQL process. The exact percentiles sort every duration of the range (about 0.6 s
for 18 months at a million leads) while the counts wait behind them on the same
connection, though the server has a second core. Started first on its own connection,
the percentiles overlap the counts, and the page takes about the longer of the two
instead of their sum.

Each statement already sees its own snapshot (READ COMMITTED, no transaction spans a
report), so reading some of them on another connection changes nothing the figures
promise. The work beside reads from the same database as the report (crm.reads: the
replica or the primary), on a session of its own. SQLite (the embedded default and the
unit tests' in-memory databases, which another connection would not see) runs the work
in place.
"""
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from flask import current_app

from crm import reads
from crm.extensions import db
from crm.reporting import rollup

T = TypeVar("T")

# Two threads per process: a report starts one side statement, and the server has two
# cores. Threads start on first use, so a forked worker makes its own.
_PREFIX = "report-side"
_SIDE = ThreadPoolExecutor(max_workers=2, thread_name_prefix=_PREFIX)


def beside(work: Callable[[], T]) -> Callable[[], T]:
    """Start `work()` (database reads only, no rendering) and return a function that waits
    for its result. On PostgreSQL it runs in another thread, in an app context and
    session of its own, released when it ends; an exception is raised by the waiter."""
    if (db.session.get_bind().dialect.name != "postgresql"
            or not current_app.config["CRM_REPORT_OVERLAP"]
            # Work beside never waits for more work beside (two threads could wait on
            # each other's queue): nested, it runs in place.
            or threading.current_thread().name.startswith(_PREFIX)):
        result = work()
        return lambda: result
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy, typed as Flask
    same_database = reads.carried()
    same_exactness = rollup.carried()

    def run() -> T:
        with app.app_context():
            try:
                with same_database(), same_exactness():
                    return work()
            finally:
                db.session.remove()

    return _SIDE.submit(run).result

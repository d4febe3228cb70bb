"""Which database a read goes to: the reports replica or the primary.

The one home of that rule. Writes, and every read a user must see right after writing
(the lead page, the queue after an action, forms), use `db.session`: the primary, always.
Reports, report exports, queue exports and lead searches read through `session()`, and
their views open the block for their kind of read around the work and its rendering
(`reports()` for a report page, `exporting()` for an export, `searching(q)` for the queue,
which searches the replica and shows the plain queue from the primary): inside it,
`session()` is a session on the streaming replica of CRM_REPORTS_DATABASE_URL when that
replica answers and is close enough behind (CRM_REPORTS_MAX_LAG_SECONDS); otherwise, and
outside any block, it is `db.session`. Without a replica (and always on SQLite) nothing
changes: `session()` is `db.session` and the block says nothing about freshness.

The replica is a Flask-SQLAlchemy bind ("reports", set up by create_app) that no model
maps to: Flask-SQLAlchemy builds and disposes its engine, and `create_all()` and the
migrations (which go by the models' metadata) never touch it. Its sessions are plain
SQLAlchemy sessions bound to that engine: Flask-SQLAlchemy's own session would send every
model's statements to the default engine.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, Response, current_app, g, request
from flask import session as cookie
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from crm.extensions import db

log = logging.getLogger(__name__)

BIND = "reports"
# How long one look at the replica's health holds: a report page, its export and the
# next page within a few seconds pay for it once.
CHECK_SECONDS = 5.0
# A connection attempt to a replica that does not answer gives up after this long (the
# read then goes to the primary), instead of the OS's default of minutes.
CONNECT_TIMEOUT_SECONDS = 2
# The user's last write (epoch seconds), in their session cookie.
_WROTE_AT = "_wrote_at"
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Freshness:
    """What a report page says about its figures."""
    configured: bool            # a replica is set up (without one the page says nothing)
    replica: bool               # read from the replica (else live, from the primary)
    as_of: datetime | None      # replica: its data holds every commit up to this moment (UTC)


PRIMARY = Freshness(configured=True, replica=False, as_of=None)
NO_REPLICA = Freshness(configured=False, replica=False, as_of=None)


# --- set-up -----------------------------------------------------------------------------

def bind_options(url: str, primary: dict) -> dict:
    """SQLALCHEMY_BINDS' entry for the replica: the primary's engine options (a bind takes
    none of SQLALCHEMY_ENGINE_OPTIONS by itself; behind PgBouncer it needs the same
    prepare_threshold), with a short connect timeout so a dead replica falls back fast."""
    connect_args = {**primary.get("connect_args", {}), "connect_timeout": CONNECT_TIMEOUT_SECONDS}
    return {**primary, "url": url, "connect_args": connect_args}


def init_app(app: Flask) -> None:
    """Called once db is bound. Remembers each user's last write while a replica is in
    use: for CRM_REPORTS_MAX_LAG_SECONDS after it, their searches read the primary."""
    if BIND not in app.config.get("SQLALCHEMY_BINDS", {}):
        return
    # Flask-SQLAlchemy made an empty MetaData for the bind in db.metadatas, which every
    # app of the process shares: create_all() and drop_all() of a later app without the
    # bind would fail on it. No table belongs to the replica, so it goes.
    if not db.metadatas[BIND].tables:
        del db.metadatas[BIND]

    @app.before_request
    def note_signed_in() -> None:
        # Signed in before the request: logging in is no write a report must show.
        g.reads_signed_in = "_user_id" in cookie

    @app.after_request
    def note_write(response: Response) -> Response:
        if (request.method in _UNSAFE and response.status_code < 400
                and g.get("reads_signed_in") and not g.get("reads_nothing_written")
                and "_user_id" in cookie):
            cookie[_WROTE_AT] = int(time.time())
        return response




def configured() -> bool:
    return BIND in db.engines


# --- the session reads use ----------------------------------------------------------------

_current: ContextVar[Session | None] = ContextVar("crm_reads_session", default=None)


def session() -> Session:
    """The session a report, an export or a search reads from (see the module's doc)."""
    current = _current.get()
    return current if current is not None else db.session()


@contextmanager
def reports(*, after_write: bool | None = None) -> Iterator[Freshness]:
    """Reads of the block go to the replica when it is healthy; yields what to say about
    the figures' freshness. `after_write`: the read must show the user's own recent write
    (None: decided from their last write, see init_app)."""
    if not configured():
        yield NO_REPLICA
        return
    if after_write is None:
        after_write = wrote_recently()
    health = _health(db.engines[BIND], current_app.config["CRM_REPORTS_MAX_LAG_SECONDS"])
    if after_write or not health.usable:
        yield PRIMARY
        return
    with _replica_session() as _:
        yield Freshness(configured=True, replica=True, as_of=health.as_of)


@contextmanager
def exporting() -> Iterator[Freshness]:
    """A report's or the queue's export, a POST (audited, so no link can start one) that
    writes nothing the user will look for in a report or a search: it reads as a report
    does, and the user's next reads may still go to the replica."""
    g.reads_nothing_written = True
    with reports() as freshness:
        yield freshness


def searching(query: str | None) -> AbstractContextManager[object]:
    """The queue: a search (`query`, the words typed) reads as a report does; the plain
    queue, where an agent sees their own work as it happens, reads the primary."""
    return reports() if query is not None and query.strip() else nullcontext()


def carried() -> Callable[[], AbstractContextManager[object]]:
    """For work handed to another thread (crm.reporting.overlap): a context to enter there
    that reads from the same database as this one, on a session of that thread's own."""
    if _current.get() is None:
        return nullcontext
    return _replica_session


@contextmanager
def _replica_session() -> Iterator[Session]:
    replica = _factory()()
    token = _current.set(replica)
    try:
        yield replica
    except DBAPIError as exc:
        # The replica went away after its health check: the next request reads the primary
        # instead of failing the same way until the check runs again.
        if exc.connection_invalidated or _is_connection_error(exc):
            _forget_health(db.engines[BIND], down=True)
        raise
    finally:
        _current.reset(token)
        replica.close()


_factories: dict[Engine, sessionmaker[Session]] = {}


def _factory() -> sessionmaker[Session]:
    engine = db.engines[BIND]
    factory = _factories.get(engine)
    if factory is None:
        # Nothing is written through it (a hot standby refuses writes anyway); objects read
        # stay readable after the block for whatever the view still formats.
        factory = _factories[engine] = sessionmaker(bind=engine, autoflush=False,
                                                    expire_on_commit=False)
    return factory


def _is_connection_error(exc: DBAPIError) -> bool:
    return exc.orig is not None and type(exc.orig).__name__ == "OperationalError"


# --- after a write ------------------------------------------------------------------------

def wrote_recently() -> bool:
    """The current user wrote within CRM_REPORTS_MAX_LAG_SECONDS: the replica may not
    have their write yet (it may be that far behind and still be used)."""
    try:
        wrote_at = int(cookie.get(_WROTE_AT, 0))
    except (TypeError, ValueError, RuntimeError):
        return False
    return time.time() - wrote_at <= current_app.config["CRM_REPORTS_MAX_LAG_SECONDS"]


# --- the replica's health -----------------------------------------------------------------

@dataclass(frozen=True)
class Health:
    usable: bool
    as_of: datetime | None     # every commit up to this moment is on the replica (UTC)
    lag_seconds: float | None  # None: unknown (down, or nothing replayed yet)
    checked: float             # time.monotonic() of the check


# Caught up: everything received is replayed and a WAL receiver is running (without one,
# "received" stops moving and an idle look would pass for current). Then the replica holds
# all the primary has, whatever the age of its last replayed commit: an idle primary sends
# no commits, so now() - pg_last_xact_replay_timestamp() grows without any lag. Otherwise
# the lag is the age of the last commit replayed: pending WAL (replay behind, or paused)
# means newer commits exist on the primary. Not in recovery: a primary (or promoted copy),
# current by definition. pg_stat_wal_receiver shows its row (the pid) to every user.
HEALTH_SQL = text("""
SELECT now() AS now,
       pg_is_in_recovery() AS standby,
       pg_last_xact_replay_timestamp() AS replayed_at,
       coalesce(pg_last_wal_replay_lsn() >= pg_last_wal_receive_lsn(), false)
         AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver) AS caught_up
""")

_health_cache: dict[Engine, Health] = {}
_health_lock = threading.Lock()


def _health(engine: Engine, max_lag: float) -> Health:
    with _health_lock:
        known = _health_cache.get(engine)
        if known is not None and time.monotonic() - known.checked < CHECK_SECONDS:
            return known
        # Checked under the lock: concurrent requests of a process wait for one check
        # instead of each running its own.
        known = _health_cache[engine] = check(engine, max_lag)
        return known


def check(engine: Engine, max_lag: float) -> Health:
    """One look at the replica: does it answer, and how far behind is it?"""
    now = time.monotonic()
    try:
        with engine.connect() as conn:
            row = conn.execute(HEALTH_SQL).one()
    except DBAPIError as exc:
        log.warning("reports replica unreachable, reading the primary: %s",
                    type(exc.orig).__name__ if exc.orig is not None else exc)
        return Health(False, None, None, now)
    if not row.standby or row.caught_up:
        return Health(True, row.now, 0.0, now)
    if row.replayed_at is None:
        return Health(False, None, None, now)
    lag = (row.now - row.replayed_at).total_seconds()
    if lag > max_lag:
        log.warning("reports replica %.1f s behind (limit %s s), reading the primary",
                    lag, max_lag)
    return Health(lag <= max_lag, row.replayed_at, lag, now)


def _forget_health(engine: Engine, down: bool = False) -> None:
    with _health_lock:
        if down:
            _health_cache[engine] = Health(False, None, None, time.monotonic())
        else:
            _health_cache.pop(engine, None)


def forget() -> None:
    """Forget every health check (tests; each check is otherwise kept CHECK_SECONDS)."""
    with _health_lock:
        _health_cache.clear()

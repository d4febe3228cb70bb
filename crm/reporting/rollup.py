"""Daily and monthly rollups of the lead figures, and t-digests of their durations, for
long ranges.

Over two years the dashboard and speed to lead read about a million leads and sort their
durations (0.6 s for the percentiles alone at a million leads). Beyond ROLLUP_AFTER_DAYS
they read these instead, on PostgreSQL with the `tdigest` extension (migration
c8d1e5f7a9b3 creates the tables when the extension is there). The counts of the dashboard,
the pipeline and new and returning contacts read them from a week up (plan(counts=True));
percentiles of a range up to ROLLUP_AFTER_DAYS are always exact, from the leads:

- `report_day`: per local day, team, agent, status and furthest stage: leads and amounts
  (junk included: the dashboard counts it by status), and the latest first-contact
  deadline of those not contacted.
- `report_speed`: per local day, team and agent, the real leads' SLA counts and t-digests
  of their assignment and first-contact times.
- `report_hour`, `report_lost`: per local day and team, the hours of submission and the
  lost reasons.
- `report_source`: per local day, team, agent, channel and source site, the real leads
  (return on spend; migration f7b2d4e6a8c1) and of those the returning contacts' needs
  (new and returning contacts; a4c6e8f0b2d3).
- `report_day_month`, `report_speed_month`, `report_source_month`: the same per calendar
  month, for the whole months of a range.
- `report_dirty_day`: a row per local day a lead's change touched, written by triggers on
  `lead` in the same transaction as the change. `fold()` (a beat task every minute)
  rebuilds those days and their months from the leads.

So counts and amounts from the rollups equal the exact ones, at any moment: a report reads
the rolled days from the rollups and every other day of its range ("live": changed since
the last fold, or holding a lead whose first-contact deadline is still ahead, whose
breach is not known yet) from the leads. Only the median and p90 change: merged t-digests,
shown as "≈" (docs/reports.md states and bench/reports_bench.py measures their error). An
export and SQLite are always exact.
"""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import g, has_app_context
from sqlalchemy import (
    ColumnElement,
    Date,
    DateTime,
    Float,
    Integer,
    Numeric,
    SmallInteger,
    String,
    and_,
    case,
    column,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.sql.expression import Subquery, TableClause
from sqlalchemy.types import NullType

from crm import reads
from crm.choices import JUNK_STATUSES
from crm.leads.stages import PIPELINE
from crm.models import Lead
from crm.models.sql import contact_due, not_after, seconds_between
from crm.reporting.scope import Scope, local_day_bounds

log = logging.getLogger(__name__)

ROLLUP_AFTER_DAYS = 92  # ranges up to this many days stay exact
# Counts of a range longer than this come from the rollups too (plan(counts=True)): the
# dashboard of 30 days read 67,000 leads three times (cells, hours, lost) for 120 ms of
# its 126. A week or less is mostly live days: the leads, with no plan to look up.
SHORTEST_ROLLED = 7
ZONE = "Asia/Shanghai"  # the rollups' local day; the trigger (migration) uses the same
COMPRESSION = 500  # t-digest: 100 (its default) put a median 2.7 rank points off (bench)
# What the pages say of a merged percentile, in percentile points of rank: the error
# bench/reports_bench.py measures at a million leads (docs/reports.md), rounded up.
STATED_ERROR = 1
FOLD_DAYS = 31  # days rebuilt per transaction
MAX_SPANS = 8  # live days read from the leads in at most this many ranges
_FOLD_LOCK = 0x43465231  # pg_try_advisory_xact_lock key: one fold at a time

_DAY_COLUMNS = [column("team_id", Integer), column("agent_id", Integer), column("status", String),
                column("stage_rank", SmallInteger), column("leads", Integer),
                column("investment", Numeric), column("tax", Numeric), column("area", Numeric),
                column("open_due_max", DateTime(timezone=True))]
_SPEED_COLUMNS = [column("team_id", Integer), column("agent_id", Integer),
                  column("leads", Integer), column("assigned", Integer),
                  column("contacted", Integer), column("within", Integer),
                  column("late", Integer), column("assign_digest", NullType),
                  column("contact_digest", NullType)]


def _table(name: str, columns: list) -> TableClause:
    return table(name, column("day", Date), *[column(c.name, c.type) for c in columns])


# Per local day (and, *_month, per calendar month: `day` is its first day): the dashboard's
# cells (agent × status × furthest stage, junk included) and the real leads' speed.
report_day = _table("report_day", _DAY_COLUMNS)
report_day_month = _table("report_day_month", _DAY_COLUMNS)
report_speed = _table("report_speed", _SPEED_COLUMNS)
report_speed_month = _table("report_speed_month", _SPEED_COLUMNS)
# Per day and team only (what the hour-of-day figures and the lost reasons are read by).
report_hour = table(
    "report_hour", column("day", Date), column("hour", SmallInteger),
    column("team_id", Integer), column("leads", Integer), column("won", Integer),
    column("assigned", Integer), column("contacted", Integer), column("within", Integer),
    column("late", Integer))
report_lost = table(
    "report_lost", column("day", Date), column("team_id", Integer),
    column("lost_reason_id", Integer), column("note", String), column("leads", Integer))
# Per day (and month), team, agent and source: the real leads (return on spend, whose
# ranges are whole months).
_SOURCE_COLUMNS = [column("team_id", Integer), column("agent_id", Integer),
                   column("channel", String), column("source_site_id", Integer),
                   column("leads", Integer), column("returned", Integer)]
report_source = _table("report_source", _SOURCE_COLUMNS)
report_source_month = _table("report_source_month", _SOURCE_COLUMNS)
report_dirty_day = table("report_dirty_day", column("day", Date))
report_rollup_state = table("report_rollup_state", column("sla_minutes", Integer))
MONTHS = {report_day: report_day_month, report_speed: report_speed_month,
          report_source: report_source_month}
# The columns a month row is grouped by (the others are summed, merged or maxed).
_MONTH_KEYS = ("team_id", "agent_id", "status", "stage_rank", "channel", "source_site_id")

# The primary's scoped session (folding) or a reports session (reading).
AnySession = Session | scoped_session

_exact: ContextVar[bool] = ContextVar("rollup_exact", default=False)
_installed: dict[str, bool] = {}


@contextmanager
def exact() -> Iterator[None]:
    """Reports computed inside read the leads only (exports: exact figures)."""
    token = _exact.set(True)
    try:
        yield
    finally:
        _exact.reset(token)


def carried() -> Callable[[], AbstractContextManager[object]]:
    """What a report's work on another thread (crm.reporting.overlap) enters to read as
    exactly as the request does (context variables do not cross threads)."""
    return exact if _exact.get() else nullcontext


def installed(session: AnySession) -> bool:
    """Whether the rollup tables exist in the database `session` reads (PostgreSQL with
    tdigest; the migration skips them elsewhere). Looked up once per database."""
    engine = session.get_bind().engine
    if engine.dialect.name != "postgresql":
        return False
    key = engine.url.render_as_string(hide_password=True)
    if key not in _installed:
        _installed[key] = session.execute(
            text("SELECT to_regclass('report_day') IS NOT NULL")).scalar_one()
    return _installed[key]


def forget() -> None:
    """Look again (tests that create or drop the tables)."""
    _installed.clear()


def local_day(created_at) -> ColumnElement:
    return func.date(func.timezone(ZONE, created_at), type_=Date)


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


# -- folding: rebuild the touched days from the leads ------------------------------------

def fold(session: AnySession, sla_minutes: int, max_batches: int = 1000) -> int:
    """Rebuild the days the trigger marked, newest first, FOLD_DAYS per transaction, and
    their months; the number of days rebuilt. Committed batch by batch; another fold
    running: returns 0."""
    if not installed(session):
        return 0
    if has_app_context():
        g.pop("rollup_plans", None)  # this request's plans no longer hold
    done = 0
    for _ in range(max_batches):
        if not session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"),
                               {"k": _FOLD_LOCK}).scalar_one():
            session.rollback()
            break
        _settle_sla(session, sla_minutes)
        # Only the marks this statement sees are deleted: a change committed later keeps its
        # own mark and is folded next time (its lead may be missing from this rebuild).
        days = sorted(set(session.scalars(text(
            "DELETE FROM report_dirty_day WHERE day IN (SELECT DISTINCT day FROM "
            "report_dirty_day ORDER BY day DESC LIMIT :n) RETURNING day"), {"n": FOLD_DAYS})))
        if not days:
            session.commit()
            break
        _rebuild(session, days, sla_minutes)
        _rebuild_months(session, sorted({month_start(d) for d in days}))
        session.commit()
        done += len(days)
    if done > FOLD_DAYS:  # a backfill: the planner's statistics of the tables are stale
        for name in ("report_day", "report_day_month", "report_speed", "report_speed_month",
                     "report_hour", "report_lost", "report_source", "report_source_month"):
            session.execute(text(f"ANALYZE {name}"))
        session.commit()
    return done


def _settle_sla(session: AnySession, sla_minutes: int) -> None:
    """The SLA of leads routing gave no deadline is a setting: when it changed, every day
    is rebuilt (and read from the leads until then)."""
    stored = session.execute(select(report_rollup_state.c.sla_minutes)).scalar()
    if stored == sla_minutes:
        return
    session.execute(text("INSERT INTO report_dirty_day (day) SELECT DISTINCT day FROM report_day"))
    session.execute(text("DELETE FROM report_rollup_state"))
    session.execute(report_rollup_state.insert().values(sla_minutes=sla_minutes))


def _rebuild(session: AnySession, days: list[date], sla_minutes: int) -> None:
    lo, _ = local_day_bounds(days[0], days[0], ZONE)
    _, hi = local_day_bounds(days[-1], days[-1], ZONE)
    day = local_day(Lead.created_at)
    touched = [Lead.created_at >= lo, Lead.created_at < hi, day.in_(days)]
    due = contact_due(Lead.sla_due_at, Lead.created_at, sla_minutes * 60)
    in_sla = not_after(Lead.first_contact_at, due)
    late = and_(Lead.first_contact_at.is_not(None), ~in_sla)
    for rollup in (report_day, report_speed, report_hour, report_lost, report_source):
        session.execute(rollup.delete().where(rollup.c.day.in_(days)))
    keys = [day.label("day"), Lead.team_id, Lead.assigned_to_id, Lead.status, Lead.stage_rank]
    session.execute(report_day.insert().from_select(
        [c.name for c in report_day.c],
        select(*keys, func.count(), func.sum(Lead.investment_wan), func.sum(Lead.annual_tax_wan),
               func.sum(func.coalesce(Lead.area_max_sqm, Lead.area_min_sqm)),
               func.max(due).filter(Lead.first_contact_at.is_(None)))
        .where(*touched).group_by(*keys)))
    real = [*touched, Lead.status.notin_(JUNK_STATUSES)]
    counts = [func.count(), func.count(Lead.assigned_at), func.count(Lead.first_contact_at),
              func.count().filter(in_sla), func.count().filter(late)]
    speed_keys = [day.label("day"), Lead.team_id, Lead.assigned_to_id]
    session.execute(report_speed.insert().from_select(
        [c.name for c in report_speed.c],
        select(*speed_keys, *counts,
               digest(seconds_between(Lead.assigned_at, Lead.created_at)),
               digest(seconds_between(Lead.first_contact_at, Lead.created_at)))
        .where(*real).group_by(*speed_keys)))
    hour = func.extract("hour", func.timezone(ZONE, Lead.created_at)).cast(SmallInteger)
    hour_keys = [day.label("day"), hour.label("hour"), Lead.team_id]
    session.execute(report_hour.insert().from_select(
        [c.name for c in report_hour.c],
        select(*hour_keys, counts[0], func.count().filter(Lead.stage_rank >= len(PIPELINE) - 1),
               *counts[1:])
        .where(*real).group_by(*hour_keys)))
    # The reason's id, so a renamed reason reads under its new name; the free note only of
    # a lead lost before the list existed (crm.reporting.pipeline.lost_reason_label).
    note = case((Lead.lost_reason_id.is_(None), func.nullif(func.trim(Lead.lost_reason), "")))
    lost_keys = [day.label("day"), Lead.team_id, Lead.lost_reason_id, note.label("note")]
    session.execute(report_lost.insert().from_select(
        [c.name for c in report_lost.c],
        select(*lost_keys, func.count()).where(*real, Lead.status == "lost")
        .group_by(*lost_keys)))
    source_keys = [day.label("day"), Lead.team_id, Lead.assigned_to_id, Lead.channel,
                   Lead.source_site_id]
    session.execute(report_source.insert().from_select(
        [c.name for c in report_source.c],
        select(*source_keys, func.count(), func.count().filter(Lead.new_need))
        .where(*real).group_by(*source_keys)))


def _rebuild_months(session: AnySession, months: list[date]) -> None:
    """The month rows of `months`, summed and merged from their day rows."""
    for daily, monthly in MONTHS.items():
        session.execute(monthly.delete().where(monthly.c.day.in_(months)))
        keys = [c for c in daily.c if c.name in _MONTH_KEYS]
        figures = []
        for c in daily.c:
            if c.name in ("day", *[k.name for k in keys]):
                continue
            if c.name.endswith("_digest"):
                figures.append(merged(c))
            elif c.name == "open_due_max":
                figures.append(func.max(c))
            else:
                figures.append(func.sum(c))
        first = func.date_trunc("month", daily.c.day).cast(Date).label("day")
        in_months = or_(*[daily.c.day.between(m, next_month(m) - timedelta(days=1))
                          for m in months])
        session.execute(monthly.insert().from_select(
            ["day", *[k.name for k in keys], *[c.name for c in daily.c
                                               if c.name not in ("day", *[k.name for k in keys])]],
            select(first, *keys, *figures).where(in_months).group_by(first, *keys)))


# -- reading: which days come from the rollups, which from the leads ----------------------

@dataclass(frozen=True)
class Plan:
    """A long range split three ways: `live` scopes (sub-ranges read from the leads, as
    before), whole `months` read from the month tables, and the other days from the day
    tables."""
    scope: Scope
    live: tuple[Scope, ...]
    months: tuple[date, ...] = ()

    def day_ranges(self) -> list[tuple[date, date]]:
        """The days read from the day tables: the range less the live days and the whole
        months, as positive ranges (a NOT BETWEEN per month made PostgreSQL walk every
        day row of the range and filter: 92 ms against 12 for two years)."""
        taken = sorted([(s.start, s.end) for s in self.live]
                       + [(m, next_month(m) - timedelta(days=1)) for m in self.months])
        out, day = [], self.scope.start
        for a, b in taken:
            if a > day:
                out.append((day, min(a - timedelta(days=1), self.scope.end)))
            day = max(day, b + timedelta(days=1))
        if day <= self.scope.end:
            out.append((day, self.scope.end))
        return out

    def _days(self, rollup) -> list:
        ranges = self.day_ranges()
        return [or_(*[rollup.c.day.between(a, b) for a, b in ranges]) if ranges else false()]

    def rows(self, daily) -> Subquery:
        """The day and month rows of a rollup the scope reads, as one subquery."""
        monthly = MONTHS[daily]
        parts = [select(*daily.c).where(*self._days(daily), *who(self.scope, daily))]
        if self.months:
            parts.append(select(*monthly.c).where(monthly.c.day.in_(self.months),
                                                  *who(self.scope, monthly)))
        return (union_all(*parts) if len(parts) > 1 else parts[0]).subquery(daily.name)

    def by_team(self, rollup) -> tuple[list | None, tuple[Scope, ...]]:
        """A per-team rollup's conditions (report_hour, report_lost: they know teams, not
        agents) and the scopes read from the leads beside it: the live days, and the leads
        of the teams' members filed under another team. None: all from the leads (a scope
        by agent, or by members' ids)."""
        scope = self.scope
        if scope.agent_id is not None or scope.member_ids:
            return None, (scope,)
        # Months are not rolled up per team: whole ones read as days (a few thousand rows).
        conditions = Plan(scope, self.live)._days(rollup)
        strays: tuple[Scope, ...] = ()
        if scope.team_ids is not None:
            conditions.append(rollup.c.team_id.in_(scope.team_ids) if scope.team_ids
                              else false())
            if scope.stray_ids:
                strays = (Scope(scope.start, scope.end, scope.tz, (), None, scope.now,
                                stray_ids=scope.stray_ids),)
        # The live days by team; the strays (whole range) apart, so none is read twice.
        live = tuple(dataclasses.replace(s, stray_ids=()) for s in self.live)
        return conditions, live + strays

    @staticmethod
    def breached(rollup) -> ColumnElement:
        """Rolled days hold no pending deadline: every lead not contacted is a breach."""
        return rollup.c.late + rollup.c.leads - rollup.c.contacted


def who(scope: Scope, rollup) -> list:
    """Scope.who() on a rollup's team and agent columns."""
    conditions: list[ColumnElement[bool]] = []
    if scope.team_ids is not None:
        team: ColumnElement[bool] = (rollup.c.team_id.in_(scope.team_ids) if scope.team_ids
                                     else false())
        members = scope.member_ids or scope.rollup_members
        if members:
            team = or_(team, rollup.c.agent_id.in_(members))
        conditions.append(team)
    if scope.agent_id is not None:
        conditions.append(rollup.c.agent_id == scope.agent_id)
    return conditions


def plan(scope: Scope, sla_minutes: int | None, counts: bool = False) -> Plan | None:
    """How to read `scope` from the rollups, or None: read the leads (the range is short,
    SQLite, no tdigest, an export, another zone, a scope by lead ids without its members,
    or rollups counted with another SLA than `sla_minutes`; None: no SLA figure read).

    counts=True: a plan for counts and amounts only, which the rollups give exactly at any
    length, so a range of ROLLUP_AFTER_DAYS or fewer (but more than a week) is planned too;
    its percentiles are still read from the leads (plan() without counts is None)."""
    days = (scope.end - scope.start).days + 1
    if (_exact.get() or days <= (SHORTEST_ROLLED if counts else ROLLUP_AFTER_DAYS)
            or scope.tz != ZONE or (scope.stray_ids and not scope.rollup_members)):
        return None
    session = reads.session()
    if not installed(session):
        return None
    key = (scope, sla_minutes)
    plans = g.setdefault("rollup_plans", {}) if has_app_context() else {}
    if key not in plans:
        plans[key] = _plan(session, scope, sla_minutes)
    return plans[key]


def _plan(session: AnySession, scope: Scope, sla_minutes: int | None) -> Plan | None:
    if sla_minutes is not None and session.execute(
            select(report_rollup_state.c.sla_minutes)).scalar() != sla_minutes:
        return None
    days = set(session.scalars(
        select(report_dirty_day.c.day).where(report_dirty_day.c.day.between(scope.start, scope.end))
        .distinct()))
    # A deadline still ahead: the breach is not known yet, so the day is read from the
    # leads. Few rows: the index on open_due_max finds them.
    days |= set(session.scalars(
        select(report_day.c.day).where(
            report_day.c.open_due_max >= literal(scope.now, DateTime(timezone=True)),
            report_day.c.day.between(scope.start, scope.end)).distinct()))
    runs = spans(days)
    return Plan(scope, tuple(scope.with_range(a, b) for a, b in runs),
                whole_months(scope.start, scope.end, runs))


def whole_months(start: date, end: date, live: list[tuple[date, date]]) -> tuple[date, ...]:
    """The first days of the calendar months inside [start, end] that hold no live day."""
    months = []
    month = month_start(start)
    if month < start:
        month = next_month(month)
    while next_month(month) - timedelta(days=1) <= end:
        last = next_month(month) - timedelta(days=1)
        if not any(a <= last and b >= month for a, b in live):
            months.append(month)
        month = next_month(month)
    return tuple(months)


def spans(days: set[date], most: int = MAX_SPANS) -> list[tuple[date, date]]:
    """Runs of consecutive days, the closest joined until at most `most` remain (days
    between two joined runs are read from the leads too)."""
    runs: list[list[date]] = []
    for day in sorted(days):
        if runs and day - runs[-1][1] == timedelta(days=1):
            runs[-1][1] = day
        else:
            runs.append([day, day])
    while len(runs) > most:
        gaps = [(runs[i + 1][0] - runs[i][1], i) for i in range(len(runs) - 1)]
        _, i = min(gaps)
        runs[i:i + 2] = [[runs[i][0], runs[i + 1][1]]]
    return [(a, b) for a, b in runs]


def day_start(day: date, hour: int) -> datetime:
    """The naive local start of a rolled hour (what local_hour() gives for live rows)."""
    return datetime.combine(day, datetime.min.time()) + timedelta(hours=hour)


def percentiles(digests, ps) -> ColumnElement:
    """The percentiles `ps` of merged t-digests (an aggregate), as a float array."""
    wanted: ColumnElement = literal_column("ARRAY[" + ",".join(repr(float(p)) for p in ps) + "]::float8[]")
    return func.tdigest_percentile(digests, wanted, type_=ARRAY(Float))


def merged(digests) -> ColumnElement:
    """The t-digests of a group merged into one (an aggregate)."""
    return func.tdigest(digests, type_=NullType)


def digest(value) -> ColumnElement:
    """The t-digest of `value` over a group (an aggregate)."""
    return func.tdigest(value, COMPRESSION, type_=NullType)


def mark_all_dirty(session: AnySession) -> int:
    """Mark every local day holding a lead (`flask crm fold-reports --all`)."""
    if not installed(session):
        return 0
    result = session.execute(text(
        "INSERT INTO report_dirty_day (day) SELECT DISTINCT "
        f"(created_at AT TIME ZONE '{ZONE}')::date FROM lead"))
    return getattr(result, "rowcount", 0) or 0

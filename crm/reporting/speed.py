"""Speed to lead, for the leads created in the range.

- assignment time: lead.assigned_at - created_at; first contact: first_contact_at - created_at.
- median and p90 are percentile_cont (interpolated), over the leads that have the time;
  assignment percentiles for the whole range only (routing assigns, not the agent).
- within SLA: first contact by the lead's deadline `sla_due_at`, which routing set in
  working minutes with the rule's SLA (the same deadline the SLA sweeper alerts on); a
  lead without one (never routed, imported) falls back to CRM_SLA_MINUTES of wall clock.
- breach: contacted after the deadline, or not contacted and the deadline has passed.
  A lead not contacted before a deadline still to come is pending, neither.
- share within SLA = within / (within + breaches).
- hour of day and weekday are those of the submission, in Asia/Shanghai.
"""
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, literal, or_, select, text, tuple_, union_all

from crm import reads
from crm.models import Lead
from crm.models.sql import (
    as_float,
    contact_due,
    grouped_stats_sets,
    local_hour,
    not_after,
    ratio,
    seconds_between,
    set_masks,
    utc_hour_start,
)
from crm.models.types import UTCDateTime
from crm.reporting import dimensions, rollup
from crm.reporting.overlap import beside
from crm.reporting.scope import Scope
from crm.reporting.tables import Column, Table, minutes

WEEKDAYS = {1: _l("Monday"), 2: _l("Tuesday"), 3: _l("Wednesday"), 4: _l("Thursday"),
            5: _l("Friday"), 6: _l("Saturday"), 7: _l("Sunday")}
PS = (0.5, 0.9)
SORT_MEMORY = "64MB"


@dataclass
class SpeedRow:
    key: object
    label: str
    leads: int = 0
    assigned: int = 0
    contacted: int = 0
    within: int = 0
    breached: int = 0
    assign_p50: float | None = None  # seconds
    assign_p90: float | None = None
    contact_p50: float | None = None
    contact_p90: float | None = None

    @property
    def never_contacted(self) -> int:
        return self.leads - self.contacted

    @property
    def within_share(self) -> float | None:
        return ratio(self.within, self.within + self.breached)

    def as_dict(self) -> dict:
        return {"key": self.label, "leads": self.leads, "assigned": self.assigned,
                "contacted": self.contacted, "never_contacted": self.never_contacted,
                "within": self.within, "breached": self.breached,
                "within_share": self.within_share,
                "assign_p50": minutes(self.assign_p50), "assign_p90": minutes(self.assign_p90),
                "contact_p50": minutes(self.contact_p50), "contact_p90": minutes(self.contact_p90)}


@dataclass
class SpeedReport:
    sla_minutes: int
    overall: SpeedRow
    by_agent: list[SpeedRow] = field(default_factory=list)
    by_team: list[SpeedRow] = field(default_factory=list)
    by_hour: list[SpeedRow] = field(default_factory=list)
    by_weekday: list[SpeedRow] = field(default_factory=list)
    heatmap: list[tuple] = field(default_factory=list)  # (hour, weekday, leads, within, breached)
    # Percentiles merged from daily t-digests (a range past rollup.ROLLUP_AFTER_DAYS): "≈".
    approximate: bool = False

    def tables(self) -> list[Table]:
        timing = "approx_minutes" if self.approximate else "minutes"

        def columns(first, times=True, assignment=True):
            cols = [Column("key", first, "text"), Column("leads", _l("Leads")),
                    Column("contacted", _l("Contacted")),
                    Column("never_contacted", _l("Never contacted")),
                    Column("within", _l("Within SLA")), Column("breached", _l("SLA breaches")),
                    Column("within_share", _l("Share within SLA"), "pct")]
            if times and assignment:
                cols += [Column("assign_p50", _l("Assignment, median (min)"), timing),
                         Column("assign_p90", _l("Assignment, p90 (min)"), timing)]
            if times:
                cols += [Column("contact_p50", _l("First contact, median (clock min)"), timing),
                         Column("contact_p90", _l("First contact, p90 (clock min)"), timing)]
            return cols
        total = self.overall.as_dict() | {"key": _l("Total")}
        return [
            Table("overall", _l("Speed to lead"), columns(_l("Summary")), [total]),
            Table("by_agent", _l("SLA breaches by agent"), columns(_l("Agent"), assignment=False),
                  [r.as_dict() for r in self.by_agent]),
            Table("by_team", _l("SLA breaches by team"), columns(_l("Team"), assignment=False),
                  [r.as_dict() for r in self.by_team]),
            Table("by_hour", _l("By hour of submission"), columns(_l("Hour"), False),
                  [r.as_dict() for r in self.by_hour]),
            Table("by_weekday", _l("By weekday of submission"), columns(_l("Weekday"), False),
                  [r.as_dict() for r in self.by_weekday]),
        ]

    def hour_chart(self) -> dict:
        return _chart(self.by_hour)

    def weekday_chart(self) -> dict:
        return _chart(self.by_weekday)


def _chart(rows: list[SpeedRow]) -> dict:
    return {"kind": "bar", "categories": [r.label for r in rows],
            "series": [{"name": str(_l("Within SLA")), "data": [r.within for r in rows],
                        "stack": "sla"},
                       {"name": str(_l("SLA breaches")), "data": [r.breached for r in rows],
                        "stack": "sla"},
                       {"name": str(_l("Share within SLA")), "type": "line", "axis": 1,
                        "percent": True,
                        "data": [None if r.within_share is None else round(100 * r.within_share, 1)
                                 for r in rows]}]}


def sla_flags(now: datetime, sla_minutes: int):
    """(contacted within the SLA, breached it) as SQL booleans; NULL/false when pending."""
    due = contact_due(Lead.sla_due_at, Lead.created_at, sla_minutes * 60)
    in_sla = not_after(Lead.first_contact_at, due)
    overdue = ~not_after(literal(now, UTCDateTime()), due)
    return in_sla, or_(~in_sla, and_(Lead.first_contact_at.is_(None), overdue))


def _source(scope: Scope, sla_minutes: int, times: bool = True, local: bool = False):
    in_sla, late = sla_flags(scope.now, sla_minutes)
    columns = [Lead.team_id.label("team"), Lead.assigned_to_id.label("agent"),
               Lead.assigned_at.label("assigned_at"), Lead.first_contact_at.label("contacted_at"),
               in_sla.label("in_sla"), late.label("late")]
    if times:
        columns += [seconds_between(Lead.assigned_at, Lead.created_at).label("assign_s"),
                    seconds_between(Lead.first_contact_at, Lead.created_at).label("contact_s")]
    if local:
        columns.append(utc_hour_start(Lead.created_at).label("hour_start"))
    return select(*columns).where(*scope.leads())


def _aggregates(c):
    return [func.count().label("leads"), func.count(c.assigned_at).label("assigned"),
            func.count(c.contacted_at).label("contacted"),
            func.count().filter(c.in_sla).label("within"),
            func.count().filter(c.late).label("breached")]


def _speed_row(key, label, m) -> SpeedRow:
    return SpeedRow(key, label, int(m["leads"]), int(m["assigned"]), int(m["contacted"]),
                    int(m["within"] or 0), int(m["breached"] or 0),
                    as_float(m.get("assign_s_p50")), as_float(m.get("assign_s_p90")),
                    as_float(m["contact_s_p50"]), as_float(m["contact_s_p90"]))


def _keyed(rows, key) -> list[SpeedRow]:
    values = [r._mapping[key] for r in rows]
    dim = dimensions.get(key)
    assert dim is not None  # keys come from the report's own dimensions (agent, team)
    labels = dim.display(values)
    return sorted((_speed_row(v, str(labels.get(v, v)), r._mapping) for v, r in zip(values, rows, strict=True)),
                  key=lambda r: (-r.breached, r.label))


def room_to_sort() -> None:
    """Percentiles sort every duration of the range: PostgreSQL's default work_mem (4 MB)
    sends a year's (900,000 values) to disk. More for this transaction only."""
    session = reads.session()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL work_mem = '{SORT_MEMORY}'"))


def speed(scope: Scope, sla_minutes: int, parts=("agent", "team", "hour")) -> SpeedReport:
    plan = rollup.plan(scope, sla_minutes)
    if plan is not None:
        return _speed_rolled(plan, sla_minutes, parts)
    # The hours' counts run beside the percentiles (crm.reporting.overlap); their rows are
    # labelled here, in the request's language.
    hour_rows = beside(lambda: _hour_rows(scope, sla_minutes)) if "hour" in parts else None
    keys = [k for k in ("agent", "team") if k in parts]
    measures: dict[str, Sequence[float]] = {"contact_s": PS}
    if keys:
        # Agents and teams are shown their first-contact times only (assignment is
        # routing's): the assignment percentiles are sorted for the total alone, beside.
        # In the grouping sets below they were a third of the 30-day page (200 ms).
        assign: Callable[[], dict] = beside(
            lambda: _total_percentiles(scope, sla_minutes, {"assign_s": PS}))
    else:
        measures["assign_s"] = PS
        assign = dict
    room_to_sort()
    # The total, per agent and per team from one scan of the range (grouping sets).
    total, *keyed = grouped_stats_sets(reads.session(), _source(scope, sla_minutes),
                                       [[], *[[k] for k in keys]], _aggregates, measures)
    assigned = assign()  # waited for even when the range is empty: its errors are raised
    report = SpeedReport(sla_minutes, _speed_row(None, "", {**total[0]._mapping, **assigned})
                         if total else SpeedRow(None, ""))
    for key, rows in zip(keys, keyed, strict=True):
        setattr(report, f"by_{key}", _keyed(rows, key))
    if hour_rows is not None:
        report.by_hour, report.by_weekday, report.heatmap = _by_hour_and_weekday(hour_rows())
    return report


def _total_percentiles(scope: Scope, sla_minutes: int,
                       measures: dict[str, Sequence[float]]) -> dict:
    """The percentiles of `measures` over the whole range ({"assign_s_p50": …})."""
    room_to_sort()
    rows = grouped_stats_sets(reads.session(), _source(scope, sla_minutes), [[]],
                              lambda c: [], measures)[0]
    return {k: v for k, v in rows[0]._mapping.items() if k != "_set"} if rows else {}


def hour_and_weekday_rows(cells) -> tuple[list[SpeedRow], list[SpeedRow]]:
    """Sum (hour, weekday, leads, assigned, contacted, within, breached) cells per hour and
    per weekday (aggregated rows, not leads)."""
    hours = {h: SpeedRow(h, f"{h:02d}:00") for h in range(24)}
    days = {d: SpeedRow(d, str(WEEKDAYS[d])) for d in WEEKDAYS}
    for hour, weekday, leads, assigned, contacted, within, breached in cells:
        for row in (hours.get(hour), days.get(weekday)):
            if row is None:
                continue
            row.leads += leads
            row.assigned += assigned
            row.contacted += contacted
            row.within += within or 0
            row.breached += breached or 0
    return list(hours.values()), list(days.values())


def _hour_rows(scope: Scope, sla_minutes: int) -> list[tuple]:
    """One GROUP BY hour (at most 24 groups a day): (local hour start, leads, assigned,
    contacted, within, breached) rows."""
    src = _source(scope, sla_minutes, times=False, local=True).subquery()
    rows = reads.session().execute(select(src.c.hour_start, *_aggregates(src.c))
                                   .group_by(src.c.hour_start))
    return [(local_hour(r.hour_start, scope.tz), r.leads, r.assigned, r.contacted, r.within,
             r.breached) for r in rows]


def _by_hour_and_weekday(rows: list[tuple]):
    """The hour-of-day and weekday totals: sums of the hours' rows, in local time."""
    cells = hour_cells(rows)
    hours, days = hour_and_weekday_rows((h, d, *v) for (h, d), v in cells.items())
    return hours, days, [(h, d, v[0], v[3], v[4]) for (h, d), v in sorted(cells.items())]


def hour_cells(rows) -> dict:
    """(local hour start, leads, assigned, contacted, within, breached) rows summed into
    {(hour of day, ISO weekday): (leads, assigned, contacted, within, breached)}."""
    cells: dict = {}
    for start, *values in rows:
        key = (start.hour, start.isoweekday())
        old = cells.get(key, (0, 0, 0, 0, 0))
        cells[key] = tuple(a + (b or 0) for a, b in zip(old, values, strict=True))
    return cells


# -- a long range: the rolled days from the rollups, the live ones from the leads --------

def _speed_rolled(plan: rollup.Plan, sla_minutes: int, parts) -> SpeedReport:
    hour_rows = beside(lambda: rolled_hour_rows(plan, sla_minutes)) if "hour" in parts else None
    keys = [k for k in ("agent", "team") if k in parts]
    # Merged per agent first (one pass over the day and month digests), then per team and
    # in total from those few: grouping sets over the day digests merged each one 3 times.
    src = _rolled_cells(plan, sla_minutes).subquery("src")
    counted = ("leads", "assigned", "contacted", "within", "breached")
    cells = (select(src.c.team, src.c.agent, *[func.sum(src.c[k]).label(k) for k in counted],
                    rollup.merged(src.c.assign_d).label("assign_d"),
                    rollup.merged(src.c.contact_d).label("contact_d"))
             .group_by(src.c.team, src.c.agent).subquery("cells"))
    by = {"team": cells.c.team, "agent": cells.c.agent}
    sums = [func.sum(cells.c[k]).label(k) for k in counted]
    figures = [*sums, rollup.percentiles(cells.c.assign_d, PS).label("assign_ps"),
               rollup.percentiles(cells.c.contact_d, PS).label("contact_ps")]
    sets = [[], *[[k] for k in keys]]
    masks = set_masks(keys, sets)
    grouping = func.grouping(*[by[k] for k in keys]) if keys else literal(0)
    stmt = (select(grouping.label("_set"), *[by[k].label(k) for k in keys], *figures)
            .group_by(func.grouping_sets(*[tuple_(*[by[k] for k in s]) for s in sets])))
    grouped: list[list] = [[] for _ in sets]
    for row in reads.session().execute(stmt):
        grouped[masks.index(row._set)].append(_as_stats(row))
    total = grouped[0][0] if grouped[0] else None
    report = SpeedReport(sla_minutes, _speed_row(None, "", total) if total else SpeedRow(None, ""),
                         approximate=True)
    for key, rows in zip(keys, grouped[1:], strict=True):
        setattr(report, f"by_{key}", _keyed(rows, key))
    if hour_rows is not None:
        report.by_hour, report.by_weekday, report.heatmap = _by_hour_and_weekday(hour_rows())
    return report


class _Stats(dict):
    """A grouped row as _speed_row() and _keyed() read it."""

    @property
    def _mapping(self):
        return self


def _as_stats(row) -> _Stats:
    m = row._mapping
    assign, contact = m["assign_ps"] or (None, None), m["contact_ps"] or (None, None)
    # The total of an empty range is one row of NULL sums.
    return _Stats(team=m.get("team"), agent=m.get("agent"), leads=m["leads"] or 0,
                  assigned=m["assigned"] or 0, contacted=m["contacted"] or 0,
                  within=m["within"] or 0, breached=m["breached"] or 0,
                  assign_s_p50=assign[0], assign_s_p90=assign[1],
                  contact_s_p50=contact[0], contact_s_p90=contact[1])


def _rolled_cells(plan: rollup.Plan, sla_minutes: int):
    """Per team and agent: the counts and the duration digests of the real leads, from the
    rollups' rolled days and the leads' live ones (UNION ALL, merged by the caller)."""
    day = plan.rows(rollup.report_speed)
    parts = [select(day.c.team_id.label("team"), day.c.agent_id.label("agent"),
                    day.c.leads, day.c.assigned, day.c.contacted, day.c.within,
                    plan.breached(day).label("breached"),
                    day.c.assign_digest.label("assign_d"), day.c.contact_digest.label("contact_d"))]
    for live in plan.live:
        src = _source(live, sla_minutes).subquery()
        parts.append(select(src.c.team, src.c.agent, *_aggregates(src.c),
                            rollup.digest(src.c.assign_s), rollup.digest(src.c.contact_s))
                     .group_by(src.c.team, src.c.agent))
    return union_all(*parts) if len(parts) > 1 else parts[0]


def rolled_hour_rows(plan: rollup.Plan, sla_minutes: int) -> list[tuple]:
    """_hour_rows() of a long range: the rolled days' hours from report_hour, the rest
    from the leads."""
    hour = rollup.report_hour
    conditions, from_leads = plan.by_team(hour)
    rows = [] if conditions is None else [
        (rollup.day_start(r.day, r.hour), r.leads, r.assigned, r.contacted, r.within, r.breached)
        for r in reads.session().execute(
            select(hour.c.day, hour.c.hour, *[func.sum(hour.c[k]).label(k) for k in
                                              ("leads", "assigned", "contacted", "within")],
                   func.sum(plan.breached(hour)).label("breached"))
            .where(*conditions).group_by(hour.c.day, hour.c.hour))]
    for scope in from_leads:
        rows += _hour_rows(scope, sla_minutes)
    return rows

"""The dashboard's headline figures and charts, in as few queries as possible.

One GROUP BY agent × status × furthest stage gives the leads per status and per agent (the
first report), the funnel totals and the open pipeline at once; one GROUP BY hour gives
the daily series and the SLA by hour and weekday; speed percentiles and lost reasons add
one query each, the percentiles on a connection of their own (crm.reporting.overlap).
"""
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from crm import reads
from crm.choices import JUNK_STATUSES, OPEN_STATUSES, STATUSES
from crm.leads.stages import PIPELINE
from crm.models import Lead, User
from crm.models.sql import as_float, local_hour, utc_hour_start
from crm.reporting import deals as deals_report
from crm.reporting import pipeline as pipeline_report
from crm.reporting import rollup
from crm.reporting import speed as speed_report
from crm.reporting.funnel import FunnelReport, FunnelRow
from crm.reporting.overlap import beside
from crm.reporting.ranking import month_bounds
from crm.reporting.scope import Scope
from crm.reporting.tables import Column, Table


@dataclass
class Dashboard:
    total: int
    by_status: dict[str, int]
    funnel: FunnelReport
    speed: speed_report.SpeedReport
    pipeline: pipeline_report.PipelineReport
    days: list[tuple]  # (date, leads, won)
    by_agent: list
    # This month's (Asia/Shanghai, from `now`, whatever the range) signed deals and value.
    signed_month: tuple = (0, 0.0)

    @property
    def approximate(self) -> bool:
        """The median is merged from daily digests (a range past the rollups' limit)."""
        return self.speed.approximate

    @property
    def headline(self) -> dict:
        overall = self.funnel.overall
        return {"leads": overall.total, "won": overall.counts[-1], "win_rate": overall.win_rate,
                "within_share": self.speed.overall.within_share,
                "contact_p50": self.speed.overall.contact_p50,
                "open_investment": self.pipeline.open_total.investment,
                "signed_month_deals": self.signed_month[0],
                "signed_month_value": self.signed_month[1]}

    def daily_chart(self) -> dict:
        return {"kind": "line", "categories": [d.isoformat() for d, _, _ in self.days],
                "series": [{"name": str(_l("Leads")), "data": [n for _, n, _ in self.days]},
                           {"name": str(_l("Won")), "data": [w for _, _, w in self.days]}]}

    def tables(self) -> list[Table]:
        daily = Table("daily", _l("Leads per day"),
                      [Column("day", _l("Day"), "text"), Column("leads", _l("Leads")),
                       Column("won", _l("Won so far"))],
                      [{"day": d.isoformat(), "leads": n, "won": w} for d, n, w in self.days])
        status = Table("by_status", _l("By status"),
                       [Column("status", _l("Status"), "text"), Column("leads", _l("Leads"))],
                       [{"status": STATUSES[s], "leads": n} for s, n in self.by_status.items()],
                       footer={"status": _l("Total"), "leads": self.total})
        agents = Table("by_agent", _l("By agent"),
                       [Column("agent", _l("Agent"), "text"), Column("total", _l("Total"))]
                       + [Column(s, label) for s, label in STATUSES.items()],
                       [{"agent": r.agent_name or _l("unassigned"), "total": r.total,
                         **r.by_status} for r in self.by_agent])
        return ([self.funnel.tables()[0], daily] + self.speed.tables()[:1]
                + [self.speed.tables()[3]] + self.pipeline.tables() + [status, agents])


def _cells(scope: Scope, plan: rollup.Plan | None = None) -> list:
    """Leads and amounts per agent × status × furthest stage: one scan gives the leads per
    status and per agent, the funnel (stage_rank) and the open pipeline. A few hundred
    aggregated rows, summed in Python; no CASE per status in SQL. A long range: the rolled
    days' cells from report_day, the live days' from the leads."""
    if plan is not None:
        day = plan.rows(rollup.report_day)
        rows = list(reads.session().execute(
            select(day.c.agent_id, day.c.status, day.c.stage_rank,
                   *[func.sum(day.c[k]) for k in ("leads", "investment", "tax", "area")])
            .group_by(day.c.agent_id, day.c.status, day.c.stage_rank)))
        for live in plan.live:
            rows += _cells(live)
        return rows
    return list(reads.session().execute(
        select(Lead.assigned_to_id, Lead.status, Lead.stage_rank,
               *pipeline_report.stage_amounts())
        .where(*scope.leads(include_junk=True))
        .group_by(Lead.assigned_to_id, Lead.status, Lead.stage_rank)))


def _hours(scope: Scope, sla_minutes: int, plan: rollup.Plan | None = None) -> list[tuple]:
    """Per local hour: (start, leads, won, assigned, contacted, within, breached) of the
    real (non-junk) leads."""
    if plan is not None:
        hour = rollup.report_hour
        conditions, from_leads = plan.by_team(hour)
        rows = [] if conditions is None else [
            (rollup.day_start(r.day, r.hour), *r[2:]) for r in reads.session().execute(
                select(hour.c.day, hour.c.hour,
                       *[func.sum(hour.c[k]) for k in ("leads", "won", "assigned", "contacted",
                                                        "within")],
                       func.sum(plan.breached(hour)))
                .where(*conditions).group_by(hour.c.day, hour.c.hour))]
        for part in from_leads:
            rows += _hours(part, sla_minutes)
        return rows
    in_sla, late = speed_report.sla_flags(scope.now, sla_minutes)
    hour_start = utc_hour_start(Lead.created_at).label("hour")
    return [(local_hour(r.hour, scope.tz), *r[1:]) for r in reads.session().execute(
        select(hour_start, func.count().label("leads"),
               func.count().filter(Lead.stage_rank >= len(PIPELINE) - 1).label("won"),
               func.count(Lead.assigned_at).label("assigned"),
               func.count(Lead.first_contact_at).label("contacted"),
               func.count().filter(in_sla).label("within"),
               func.count().filter(late).label("breached"))
        .where(*scope.leads()).group_by(hour_start))]


def dashboard(scope: Scope, sla_minutes: int) -> Dashboard:
    # The percentiles are the longest statement: on PostgreSQL they run beside the rest.
    speed_figures = beside(lambda: speed_report.speed(scope, sla_minutes, parts=()))
    plan = rollup.plan(scope, sla_minutes, counts=True)
    by_status = {s: 0 for s in STATUSES}
    counts = [0] * len(PIPELINE)
    lost = open_ = 0
    stages = {s: pipeline_report.StageRow(s) for s in OPEN_STATUSES}
    agent_cells = []
    for agent_id, status, rank, leads, investment, tax, area in _cells(scope, plan):
        agent_cells.append((agent_id, status, leads))
        by_status[status] = by_status.get(status, 0) + leads
        if status in JUNK_STATUSES:
            continue
        counts = [c + (leads if rank >= i else 0) for i, c in enumerate(counts)]
        lost += leads if status == "lost" else 0
        open_ += leads if status in PIPELINE[:-1] else 0
        if status in stages:
            row = stages[status]
            row.leads += leads
            row.investment += as_float(investment) or 0.0
            row.tax += as_float(tax) or 0.0
            row.area += as_float(area) or 0.0
    days: dict = {}
    sla_rows = []
    for start, hour_leads, won, assigned, contacted, within, breached in _hours(
            scope, sla_minutes, plan):
        day_leads, day_won = days.get(start.date(), (0, 0))
        days[start.date()] = (day_leads + hour_leads, day_won + won)
        sla_rows.append((start, hour_leads, assigned, contacted, within, breached))
    funnel = FunnelReport(FunnelRow(None, "", counts, lost, open_))
    lost_rows, lost_total = pipeline_report.lost_reasons(scope, top=8)
    speed = speed_figures()
    speed.by_hour, speed.by_weekday = speed_report.hour_and_weekday_rows(
        (h, d, *values) for (h, d), values in speed_report.hour_cells(sla_rows).items())
    first, last = month_bounds(scope.today().replace(day=1))
    return Dashboard(sum(by_status.values()), by_status, funnel, speed,
                     pipeline_report.PipelineReport(list(stages.values()), lost_rows, lost_total),
                     _every_day(scope, days), agent_rows(agent_cells),
                     deals_report.signed_in(scope, first, last))


def _every_day(scope: Scope, days: dict) -> list[tuple]:
    """One point per day of the range, zero where nothing came in (a continuous axis)."""
    out, day = [], scope.start
    while day <= scope.end:
        out.append((day, *days.get(day, (0, 0))))
        day += timedelta(days=1)
    return out


@dataclass
class AgentRow:
    agent_id: int | None
    agent_name: str
    total: int
    by_status: dict[str, int]


def agent_rows(cells) -> list[AgentRow]:
    """AgentRows, most leads first, from (agent id, status, count) cells (aggregated rows,
    not leads); an agent id may come in several cells."""
    by_agent: dict = {}
    for agent_id, status, count in cells:
        counts = by_agent.setdefault(agent_id, dict.fromkeys(STATUSES, 0))
        counts[status] = counts.get(status, 0) + count
    ids = [i for i in by_agent if i is not None]
    names = dict(reads.session().execute(
        select(User.id, User.name).where(User.id.in_(ids))).tuples().all()) if ids else {}
    rows = [AgentRow(agent_id=i, agent_name=names.get(i, ""), total=sum(counts.values()),
                     by_status=counts) for i, counts in by_agent.items()]
    return sorted(rows, key=lambda r: (-r.total, r.agent_name))

"""The dashboard's headline figures and charts, in as few queries as possible.

One GROUP BY status gives the leads per status (the first report), the funnel totals and
the open pipeline at once; speed, the daily series, the agents and lost reasons add one
query each.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from crm.choices import OPEN_STATUSES, STATUSES
from crm.extensions import db
from crm.models import Lead
from crm.services import reports
from crm.services.reporting import pipeline as pipeline_report
from crm.services.reporting import speed as speed_report
from crm.services.reporting.funnel import FunnelReport, FunnelRow, stage_counts
from crm.services.reporting.scope import JUNK_STATUSES, Scope
from crm.services.reporting.sql import as_float, local_hour_start
from crm.services.reporting.tables import Column, Table
from crm.services.stages import PIPELINE


@dataclass
class Dashboard:
    total: int
    by_status: dict[str, int]
    funnel: FunnelReport
    speed: speed_report.SpeedReport
    pipeline: pipeline_report.PipelineReport
    days: list[tuple]  # (date, leads, won)
    by_agent: list

    @property
    def headline(self) -> dict:
        overall = self.funnel.overall
        return {"leads": overall.total, "won": overall.counts[-1], "win_rate": overall.win_rate,
                "within_share": self.speed.overall.within_share,
                "contact_p50": self.speed.overall.contact_p50,
                "open_investment": self.pipeline.open_total.investment}

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


def _rollup(scope: Scope, sla_minutes: int):
    """Per status and local hour: funnel stages, amounts and the SLA counts, in one scan."""
    hour = local_hour_start(Lead.created_at, scope.tz).label("hour")
    in_sla, late = speed_report.sla_flags(scope.now, sla_minutes)
    return db.session.execute(
        select(Lead.status, hour, *stage_counts(), *pipeline_report.stage_amounts(),
               func.count(Lead.assigned_at).label("assigned"),
               func.count(Lead.first_contact_at).label("contacted"),
               func.count().filter(in_sla).label("within"),
               func.count().filter(late).label("breached"))
        .where(*scope.leads(include_junk=True)).group_by(Lead.status, hour))


def dashboard(scope: Scope, sla_minutes: int) -> Dashboard:
    by_status = {s: 0 for s in STATUSES}
    counts = [0] * len(PIPELINE)
    lost = open_ = 0
    stages = {s: pipeline_report.StageRow(s) for s in OPEN_STATUSES}
    days: dict = {}
    cells: dict = {}
    for r in _rollup(scope, sla_minutes):
        m = r._mapping
        by_status[r.status] = by_status.get(r.status, 0) + m["leads"]
        if r.status in JUNK_STATUSES:
            continue
        hour = r.hour if isinstance(r.hour, datetime) else datetime.fromisoformat(r.hour)
        leads, won = days.get(hour.date(), (0, 0))
        days[hour.date()] = (leads + m["leads"], won + (m[PIPELINE[-1]] or 0))
        key = (hour.hour, hour.isoweekday())
        cell = cells.get(key, (0, 0, 0, 0, 0))
        cells[key] = tuple(a + (b or 0) for a, b in zip(
            cell, (m["leads"], m["assigned"], m["contacted"], m["within"], m["breached"])))
        counts = [c + (m[s] or 0) for c, s in zip(counts, PIPELINE)]
        lost += m["lost"] or 0
        open_ += m["open"] or 0
        if r.status in stages:
            row = stages[r.status]
            row.leads += m["leads"]
            row.investment += as_float(m["investment"]) or 0.0
            row.tax += as_float(m["tax"]) or 0.0
            row.area += as_float(m["area"]) or 0.0
    funnel = FunnelReport(FunnelRow(None, "", counts, lost, open_))
    lost_rows, lost_total = pipeline_report.lost_reasons(scope, top=8)
    speed = speed_report.speed(scope, sla_minutes, parts=())
    speed.by_hour, speed.by_weekday = speed_report.hour_and_weekday_rows(
        (h, d, *values) for (h, d), values in cells.items())
    lo, hi = scope.bounds
    by_agent = reports.leads_by_agent(lo, hi, *scope.who())
    return Dashboard(sum(by_status.values()), by_status, funnel, speed,
                     pipeline_report.PipelineReport(list(stages.values()), lost_rows, lost_total),
                     _every_day(scope, days), by_agent)


def _every_day(scope: Scope, days: dict) -> list[tuple]:
    """One point per day of the range, zero where nothing came in (a continuous axis)."""
    out, day = [], scope.start
    while day <= scope.end:
        out.append((day, *days.get(day, (0, 0))))
        day += timedelta(days=1)
    return out

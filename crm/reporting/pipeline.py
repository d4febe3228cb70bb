"""Open pipeline by stage and lost reasons, for the leads created in the range.

Amounts are totals of what prospects stated: investment and annual tax in 万元, area in
㎡ (the upper end of the range they gave, else the lower).
"""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from crm import reads
from crm.choices import OPEN_STATUSES, STATUSES
from crm.models import Lead, LostReason
from crm.models.sql import as_float, ratio
from crm.reporting import rollup
from crm.reporting.scope import Scope
from crm.reporting.tables import Column, Table

LOST_TOP = 15


def stage_amounts() -> list:
    return [func.count().label("leads"),
            func.sum(Lead.investment_wan).label("investment"),
            func.sum(Lead.annual_tax_wan).label("tax"),
            func.sum(func.coalesce(Lead.area_max_sqm, Lead.area_min_sqm)).label("area")]


@dataclass
class StageRow:
    status: str
    leads: int = 0
    investment: float = 0.0
    tax: float = 0.0
    area: float = 0.0


@dataclass
class LostCount:
    reason: str
    leads: int


@dataclass
class LostRow:
    reason: str
    leads: int
    share: float | None


@dataclass
class PipelineReport:
    stages: list[StageRow]
    lost: list[LostRow]
    lost_total: int

    @property
    def open_total(self) -> StageRow:
        total = StageRow("total")
        for row in self.stages:
            total.leads += row.leads
            total.investment += row.investment
            total.tax += row.tax
            total.area += row.area
        return total

    def tables(self) -> list[Table]:
        def stage_dict(row, label):
            return {"stage": label, "leads": row.leads, "investment": row.investment,
                    "tax": row.tax, "area": row.area}
        pipeline = Table(
            "pipeline", _l("Open pipeline by stage"),
            [Column("stage", _l("Stage"), "text"), Column("leads", _l("Open leads")),
             Column("investment", _l("Investment (10k yuan)"), "wan"),
             Column("tax", _l("Annual tax (10k yuan)"), "wan"),
             Column("area", _l("Area (㎡)"), "sqm")],
            [stage_dict(r, STATUSES[r.status]) for r in self.stages],
            footer=stage_dict(self.open_total, _l("Total")))
        lost = Table(
            "lost", _l("Lost reasons"),
            [Column("reason", _l("Reason"), "text"), Column("leads", _l("Lost leads")),
             Column("share", _l("Share"), "pct")],
            [{"reason": r.reason, "leads": r.leads, "share": r.share} for r in self.lost],
            footer={"reason": _l("Total"), "leads": self.lost_total,
                    "share": 1.0 if self.lost_total else None})
        return [pipeline, lost]

    def pipeline_chart(self) -> dict:
        return {"kind": "bar", "categories": [str(STATUSES[r.status]) for r in self.stages],
                "series": [{"name": str(_l("Open leads")), "data": [r.leads for r in self.stages]},
                           {"name": str(_l("Investment (10k yuan)")), "type": "line", "axis": 1,
                            "data": [round(r.investment, 2) for r in self.stages]}]}

    def lost_chart(self) -> dict:
        return {"kind": "pie", "categories": [r.reason for r in self.lost],
                "series": [{"name": str(_l("Lost reasons")), "data": [r.leads for r in self.lost]}]}


def open_stages(scope: Scope) -> list[StageRow]:
    """Open leads and their amounts per stage; a long range from the rollups' rolled days
    (crm.reporting.rollup) and the leads' other days, summed here."""
    plan = rollup.plan(scope, None, counts=True)
    statements = [select(Lead.status, *stage_amounts())
                  .where(*part.leads(), Lead.status.in_(OPEN_STATUSES)).group_by(Lead.status)
                  for part in (plan.live if plan else (scope,))]
    if plan is not None:
        day = plan.rows(rollup.report_day)
        statements.append(select(day.c.status, *[func.sum(day.c[k]) for k in
                                                 ("leads", "investment", "tax", "area")])
                          .where(day.c.status.in_(OPEN_STATUSES)).group_by(day.c.status))
    have = {s: StageRow(s) for s in OPEN_STATUSES}
    for stmt in statements:
        for status, leads, investment, tax, area in reads.session().execute(stmt):
            row = have[status]
            row.leads += int(leads)
            row.investment += as_float(investment) or 0.0
            row.tax += as_float(tax) or 0.0
            row.area += as_float(area) or 0.0
    return list(have.values())


def lost_reason_label():
    """The reason the agent picked from the list; the free-text note is detail, used only
    for a lead lost before the list existed (no reason picked)."""
    return func.coalesce(LostReason.name, func.nullif(func.trim(Lead.lost_reason), ""), "")


def _lost_counts(scope: Scope) -> list[tuple[str, int]]:
    """(reason, lost leads) of the range: a long one from the rollups' rolled days
    (crm.reporting.rollup) and the leads' other days, summed here."""
    plan = rollup.plan(scope, None, counts=True)
    conditions, from_leads = plan.by_team(rollup.report_lost) if plan else (None, (scope,))
    counts: dict[str, int] = {}
    parts = []
    if conditions is not None:
        lost = rollup.report_lost
        label = func.coalesce(LostReason.name, lost.c.note, "").label("reason")
        parts.append(select(label, func.sum(lost.c.leads).label("leads"))
                     .select_from(lost).outerjoin(LostReason, LostReason.id == lost.c.lost_reason_id)
                     .where(*conditions).group_by(label))
    reason = lost_reason_label().label("reason")
    parts += [select(reason, func.count().label("leads"))
              .select_from(Lead).outerjoin(LostReason, LostReason.id == Lead.lost_reason_id)
              .where(*part.leads(), Lead.status == "lost").group_by(reason)
              for part in from_leads]
    for stmt in parts:
        for name, leads in reads.session().execute(stmt):
            counts[name] = counts.get(name, 0) + int(leads)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def lost_reasons(scope: Scope, top: int = LOST_TOP) -> tuple[list[LostRow], int]:
    rows = [LostCount(name, leads) for name, leads in _lost_counts(scope)]
    total = sum(r.leads for r in rows)
    out = [LostRow(r.reason or str(_l("(no reason given)")), r.leads, ratio(r.leads, total))
           for r in rows[:top]]
    rest = sum(r.leads for r in rows[top:])
    if rest:
        out.append(LostRow(str(_l("(others)")), rest, ratio(rest, total)))
    return out, total


def pipeline(scope: Scope) -> PipelineReport:
    lost, total = lost_reasons(scope)
    return PipelineReport(open_stages(scope), lost, total)

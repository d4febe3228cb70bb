"""Conversion funnel by cohort: the leads created in the range, and how far each got.

A lead counts at a stage if it ever reached it or any later one (lead.stage_rank, see
crm.leads.stages): a lead that jumped new → qualified counts as contacted, and a
reopened lead counts once. Spam and duplicates are not leads and are left out.
"""
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from crm import reads
from crm.choices import STATUSES
from crm.leads.stages import PIPELINE
from crm.models import Lead
from crm.models.sql import ratio
from crm.reporting import dimensions
from crm.reporting.scope import Scope
from crm.reporting.tables import Column, Table


def stage_counts() -> list:
    """COUNT(*) FILTER (WHERE stage_rank >= i) for each pipeline stage, plus lost and open."""
    counts = [func.count().filter(Lead.stage_rank >= i).label(stage)
              for i, stage in enumerate(PIPELINE)]
    return counts + [func.count().filter(Lead.status == "lost").label("lost"),
                     func.count().filter(Lead.status.in_(PIPELINE[:-1])).label("open")]


@dataclass
class FunnelRow:
    key: object
    label: str
    counts: list[int]
    lost: int = 0
    open: int = 0

    @property
    def total(self) -> int:
        return self.counts[0]

    @property
    def step_rates(self) -> list[float | None]:
        """Stage-to-stage conversion: share of the previous stage that reached this one."""
        return [None] + [ratio(self.counts[i], self.counts[i - 1])
                         for i in range(1, len(self.counts))]

    @property
    def win_rate(self) -> float | None:
        return ratio(self.counts[-1], self.counts[0])

    def as_dict(self) -> dict:
        out = {"key": self.label, "lost": self.lost, "open": self.open,
               "win_rate": self.win_rate}
        for stage, n, rate in zip(PIPELINE, self.counts, self.step_rates, strict=True):
            out[stage] = n
            out[f"{stage}_rate"] = rate
        return out


@dataclass
class FunnelReport:
    overall: FunnelRow
    dimension: dimensions.Dimension | None = None
    rows: list[FunnelRow] = field(default_factory=list)
    others: FunnelRow | None = None  # what the top-N breakdown leaves out

    def tables(self) -> list[Table]:
        columns = [Column("stage", _l("Stage"), "text"), Column("count", _l("Leads"), "int"),
                   Column("rate", _l("From previous stage"), "pct"),
                   Column("share", _l("Of all leads"), "pct")]
        overall = Table("funnel", _l("Funnel"), columns, [
            {"stage": STATUSES[stage], "count": n, "rate": rate,
             "share": ratio(n, self.overall.total)}
            for stage, n, rate in zip(PIPELINE, self.overall.counts, self.overall.step_rates, strict=True)])
        out = [overall]
        if self.dimension is not None:
            cols = [Column("key", self.dimension.label, "text")]
            for stage in PIPELINE:
                cols.append(Column(stage, STATUSES[stage], "int"))
                if stage != PIPELINE[0]:
                    cols.append(Column(f"{stage}_rate", "%", "pct"))
            cols += [Column("win_rate", _l("Won / leads"), "pct"), Column("lost", STATUSES["lost"]),
                     Column("open", _l("Open"))]
            rows = [r.as_dict() for r in self.rows + ([self.others] if self.others else [])]
            out.append(Table("breakdown", _l("By %(dimension)s", dimension=self.dimension.label),
                             cols, rows, footer=self.overall.as_dict() | {"key": _l("Total")}))
        return out

    def chart(self) -> dict:
        return {"kind": "funnel", "categories": [str(STATUSES[s]) for s in PIPELINE],
                "series": [{"name": str(_l("Leads")), "data": self.overall.counts}]}

    def breakdown_chart(self) -> dict | None:
        if self.dimension is None or not self.rows:
            return None
        top = self.rows[:12]
        return {"kind": "bar", "stack": False, "horizontal": True,
                "categories": [r.label for r in top],
                "series": [{"name": str(STATUSES[s]), "data": [r.counts[i] for r in top]}
                           for i, s in ((0, "new"), (1, "contacted"), (3, "site_visit"),
                                        (5, "won"))]}


def _row(key, label, mapping) -> FunnelRow:
    return FunnelRow(key, label, [int(mapping[s] or 0) for s in PIPELINE],
                     int(mapping["lost"] or 0), int(mapping["open"] or 0))


def overall(scope: Scope) -> FunnelRow:
    row = reads.session().execute(select(*stage_counts()).where(*scope.leads())).one()
    return _row(None, "", row._mapping)


def funnel(scope: Scope, dimension_key: str | None = None, limit: int | None = 50) -> FunnelReport:
    dim = dimensions.get(dimension_key)
    if dim is None:
        return FunnelReport(overall(scope))
    expr = dim.expression().label("key")
    counts = stage_counts()
    # The totals over every group, beside each of the top N (a window over the groups,
    # computed before the LIMIT): the range is read once even when the groups are cut (the
    # funnel by source page over two years: 651 ms with a second scan for the totals).
    totals = [func.sum(c.element).over().label(f"all_{c.name}") for c in counts]
    stmt = (select(expr, *counts, *totals).where(*scope.leads())
            .group_by(expr).order_by(func.count().desc(), expr))
    if limit:
        stmt = stmt.limit(limit)
    rows = list(reads.session().execute(stmt))
    names = dim.display([r.key for r in rows])
    shown = [_row(r.key, names[r.key], r._mapping) for r in rows]
    complete = not limit or len(rows) < limit
    # Every group is shown (the empty key is a group too): the totals are their sums.
    report = FunnelReport(_sum(shown) if complete else _row(
        None, "", {c.name: rows[0]._mapping[f"all_{c.name}"] for c in counts}), dim, shown)
    if not complete:
        # Everything past the top N, by difference from the totals (still no lead loaded).
        counts = [report.overall.counts[i] - sum(r.counts[i] for r in shown)
                  for i in range(len(PIPELINE))]
        if counts[0] > 0:
            report.others = FunnelRow("__others__", str(_l("(others)")), counts,
                                      report.overall.lost - sum(r.lost for r in shown),
                                      report.overall.open - sum(r.open for r in shown))
    return report


def _sum(rows: list[FunnelRow]) -> FunnelRow:
    return FunnelRow(None, "", [sum(r.counts[i] for r in rows) for i in range(len(PIPELINE))],
                     sum(r.lost for r in rows), sum(r.open for r in rows))

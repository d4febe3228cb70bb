"""What the signed deals are worth: value (万元) and count by month, agent, team, source site,
channel, region or industry, and the days from the first inquiry to signing.

- A deal counts on its signed_on day, if its status is "signed": a contract that fell through
  is out, and the need signed again is a new row counted once (docs/deals.md).
- Who: the leads of the scope (crm.reporting.scope.Scope.signed_deals, the one access
  policy); agent and team are the ones credited on the deal (deal.agent_id / team_id);
  source, channel, region and industry are the need's (lead).
- Days to signing: signed_on minus the Shanghai day the need came in (lead.created_at);
  median (interpolated, as the speed report's) and mean.
"""
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from crm import reads
from crm.models import Deal, Lead
from crm.models.sql import as_float, days_after_local, grouped_stats_sets, month_of, ratio
from crm.reporting import dimensions
from crm.reporting.dimensions import Dimension, fk_names
from crm.reporting.scope import Scope
from crm.reporting.tables import Column, Table

DEFAULT = "month"


def _lead_dimension(key: str) -> Dimension | None:
    return dimensions.get(key)


def _available() -> list[Dimension]:
    own = [Dimension("month", _l("Month"), lambda: month_of(Deal.signed_on)),
           Dimension("agent", _l("Agent"), lambda: Deal.agent_id, fk_names(Deal.agent_id)),
           Dimension("team", _l("Team"), lambda: Deal.team_id, fk_names(Deal.team_id))]
    need = [d for d in (_lead_dimension(k) for k in ("source_site", "channel", "region", "industry"))
            if d is not None]
    return own + need


def available() -> list[Dimension]:
    """The breakdowns of this report (the filter's choices)."""
    return _available()


def get(key: str | None) -> Dimension:
    dims = _available()
    return next((d for d in dims if d.key == key), dims[0])


@dataclass
class DealRow:
    key: object
    label: str
    deals: int = 0
    value: float = 0.0
    days_p50: float | None = None
    days_mean: float | None = None

    def as_dict(self, total_value: float) -> dict:
        return {"key": self.label, "deals": self.deals, "value": self.value,
                "share": ratio(self.value, total_value),
                "average": None if not self.deals else round(self.value / self.deals, 4),
                "days_p50": self.days_p50, "days_mean": self.days_mean}


@dataclass
class DealsReport:
    dimension: Dimension
    rows: list[DealRow]
    total: DealRow

    def tables(self) -> list[Table]:
        cols = [Column("key", self.dimension.label, "text"), Column("deals", _l("Deals signed")),
                Column("value", _l("Contract value (10k yuan)"), "wan"),
                Column("share", _l("Share of value"), "pct"),
                Column("average", _l("Average contract value (10k yuan)"), "wan"),
                Column("days_p50", _l("Days from first inquiry to signing, median"), "days"),
                Column("days_mean", _l("Days from first inquiry to signing, mean"), "days")]
        total = self.total.value
        return [Table("deals", _l("Signed deals"), cols, [r.as_dict(total) for r in self.rows],
                      footer=self.total.as_dict(total) | {"key": _l("Total")})]

    def chart(self) -> dict:
        rows = self.rows if self.dimension.key == "month" else self.rows[:12]
        return {"kind": "bar", "horizontal": self.dimension.key != "month",
                "categories": [r.label for r in rows],
                "series": [{"name": str(_l("Contract value (10k yuan)")),
                            "data": [round(r.value, 2) for r in rows]},
                           {"name": str(_l("Deals signed")), "data": [r.deals for r in rows]}]}


def _source(scope: Scope, dim: Dimension):
    return (select(dim.expression().label("key"), Deal.value_wan.label("value"),
                   days_after_local(Deal.signed_on, Lead.created_at, scope.tz).label("days"))
            .select_from(Deal).join(Lead, Lead.id == Deal.lead_id)
            .where(*scope.signed_deals()))


def _aggregates(c):
    return [func.count().label("deals"), func.sum(c.value).label("value"),
            func.avg(c.days).label("days_mean")]


def _row(key, label: str, m) -> DealRow:
    mean = as_float(m["days_mean"])
    median = as_float(m["days_p50"])
    return DealRow(key, label, int(m["deals"]), round(as_float(m["value"]) or 0.0, 4),
                   None if median is None else round(median, 1),
                   None if mean is None else round(mean, 1))


def deals(scope: Scope, dimension_key: str | None = DEFAULT, limit: int | None = 50) -> DealsReport:
    """One scan of the range's signed deals (PostgreSQL: grouping sets for the total and
    the rows; SQLite: a statement each)."""
    dim = get(dimension_key)
    total_rows, keyed = grouped_stats_sets(reads.session(), _source(scope, dim), [[], ["key"]],
                                                _aggregates, {"days": (0.5,)})
    total = _row(None, "", total_rows[0]._mapping) if total_rows else DealRow(None, "")
    found = {r._mapping["key"]: r._mapping for r in keyed}
    if dim.key == "month":
        keys = _months(scope.start, scope.end)
    else:
        keys = sorted(found, key=lambda k: (-(as_float(found[k]["value"]) or 0.0),
                                            -found[k]["deals"], str(k or "")))
        if limit:
            keys = keys[:limit]
    names = dim.display(keys) if dim.key != "month" else {k: k for k in keys}
    rows = [_row(k, str(names[k]), found[k]) if k in found else DealRow(k, str(names[k]))
            for k in keys]
    return DealsReport(dim, rows, total)


def _months(start: date, end: date) -> list[str]:
    """'YYYY-MM' of every month the range touches, in order (a continuous axis)."""
    out, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = year + month // 12, month % 12 + 1
    return out


def signed_in(scope: Scope, start: date, end: date) -> tuple[int, float]:
    """(deals, value in 万元) signed from start to end within the scope: the dashboard's
    'this month'."""
    ranged = scope.with_range(start, end)
    n, value = reads.session().execute(
        ranged.deals(select(func.count(), func.sum(Deal.value_wan)).select_from(Deal))).one()
    return int(n or 0), round(as_float(value) or 0.0, 4)

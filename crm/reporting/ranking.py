"""The monthly ranking (每月晒晒比拼): one row per agent for a month, the month before beside it.

- received: leads created in the month and assigned to the agent (spam/duplicates aside);
- within SLA: of those, first contact by the deadline (see speed.sla_flags);
- site visits / won: leads of the agent that FIRST reached that stage in the month
  (lead_stage.reached_at), so a reopened deal signed again is not counted twice;
- investment / tax: totals over the leads won in the month;
- conversion: won in the month / received in the month;
- signed value: the contract value (万元) of the deals credited to the agent (deal.agent_id)
  signed in the month (deal.signed_on), of the leads within the scope; a contract that fell
  through is out (crm.reporting.deals).
Ordered by won, then investment, then received ("count", the default); or by signed value,
then won ("value"). The toggle changes the order only, never what a figure counts.
"""
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Result, and_, func, select
from sqlalchemy.orm import joinedload

from crm import reads
from crm.choices import JUNK_STATUSES
from crm.models import Deal, Lead, LeadStage, Role, User
from crm.models.sql import ratio
from crm.reporting.overlap import beside
from crm.reporting.scope import Scope, local_day_bounds
from crm.reporting.speed import sla_flags
from crm.reporting.tables import Column, Table

FIGURES = ("received", "within", "site_visits", "won", "investment", "tax", "value")
ORDERS = {"count": _l("By deals won"), "value": _l("By signed value")}


def month_bounds(first: date) -> tuple[date, date]:
    nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, date.fromordinal(nxt.toordinal() - 1)


def previous_month(first: date) -> date:
    return date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)


@dataclass
class Figures:
    received: int = 0
    within: int = 0
    site_visits: int = 0
    won: int = 0
    investment: float = 0.0
    tax: float = 0.0
    value: float = 0.0

    @property
    def conversion(self) -> float | None:
        return ratio(self.won, self.received)


@dataclass
class RankRow:
    agent_id: int
    name: str
    team: str
    this: Figures = field(default_factory=Figures)
    prev: Figures = field(default_factory=Figures)
    rank: int = 0

    def as_dict(self) -> dict:
        out = {"rank": self.rank, "agent": self.name, "team": self.team}
        for prefix, figures in (("", self.this), ("prev_", self.prev)):
            for name in FIGURES:
                out[prefix + name] = getattr(figures, name)
            out[prefix + "conversion"] = figures.conversion
        return out


@dataclass
class Ranking:
    month: date
    prev_month: date
    rows: list[RankRow]
    order: str = "count"

    def tables(self) -> list[Table]:
        this, prev = f"{self.month:%Y-%m}", f"{self.prev_month:%Y-%m}"
        cols = [Column("rank", "#"), Column("agent", _l("Agent"), "text"),
                Column("team", _l("Team"), "text")]
        for prefix, label in (("", this), ("prev_", prev)):
            cols += [Column(prefix + "received", _l("Received %(month)s", month=label)),
                     Column(prefix + "within", _l("Within SLA %(month)s", month=label)),
                     Column(prefix + "site_visits", _l("Site visits %(month)s", month=label)),
                     Column(prefix + "won", _l("Won %(month)s", month=label)),
                     Column(prefix + "conversion", _l("Conversion %(month)s", month=label), "pct"),
                     Column(prefix + "investment", _l("Investment won %(month)s", month=label),
                            "wan"),
                     Column(prefix + "tax", _l("Annual tax won %(month)s", month=label), "wan"),
                     Column(prefix + "value", _l("Signed value %(month)s", month=label), "wan")]
        return [Table("ranking", _l("Monthly ranking"), cols, [r.as_dict() for r in self.rows])]

    def chart(self) -> dict:
        rows = self.rows[:20]
        if self.order == "value":
            return {"kind": "bar", "categories": [r.name for r in rows], "series": [
                {"name": str(_l("Signed value %(month)s", month=f"{m:%Y-%m}")),
                 "data": [round(getattr(r, part).value, 2) for r in rows]}
                for m, part in ((self.month, "this"), (self.prev_month, "prev"))]}
        return {"kind": "bar", "categories": [r.name for r in rows],
                "series": [{"name": str(_l("Received %(month)s", month=f"{self.month:%Y-%m}")),
                            "data": [r.this.received for r in rows]},
                           {"name": str(_l("Won %(month)s", month=f"{self.month:%Y-%m}")),
                            "data": [r.this.won for r in rows]},
                           {"name": str(_l("Won %(month)s", month=f"{self.prev_month:%Y-%m}")),
                            "data": [r.prev.won for r in rows]}]}


def ranking(scope: Scope, month: date, sla_minutes: int, order: str | None = "count") -> Ranking:
    """`scope` gives who (its dates are ignored); `month` is the first day of the month;
    `order` one of ORDERS."""
    order = order if order in ORDERS else "count"
    prev = previous_month(month)
    months = _Months(*local_day_bounds(*month_bounds(month), scope.tz),
                     *local_day_bounds(*month_bounds(prev), scope.tz))
    who = scope.who()
    # Three independent statements: the stages reached (a join per stage row, the
    # longest) on a connection of its own, beside the other two (crm.reporting.overlap).
    reached = beside(lambda: list(_reached(months, who)))
    received = list(_received(months, who, scope, sla_minutes))
    signed = list(_signed(scope, month, prev))
    rows = _rows_of(scope, ((received, ("received", "within")),
                            (reached(), ("site_visits", "won", "investment", "tax")),
                            (signed, ("value",))))
    _name(rows)
    return Ranking(month, prev, _ranked(rows, order), order)


@dataclass(frozen=True)
class _Months:
    """The month ranked and the month before it, as UTC bounds of their Shanghai days."""
    this_lo: datetime
    this_hi: datetime
    prev_lo: datetime
    prev_hi: datetime

    def this(self, col):
        return and_(col >= self.this_lo, col < self.this_hi)

    def prev(self, col):
        return and_(col >= self.prev_lo, col < self.prev_hi)


def _received(months: _Months, who: list, scope: Scope, sla_minutes: int) -> Result:
    """Per agent: leads received in each month, and of those the ones contacted within SLA."""
    in_sla, _ = sla_flags(scope.now, sla_minutes)
    return reads.session().execute(
        select(Lead.assigned_to_id,
               func.count().filter(months.this(Lead.created_at)).label("received"),
               func.count().filter(months.prev(Lead.created_at)).label("prev_received"),
               func.count().filter(months.this(Lead.created_at), in_sla).label("within"),
               func.count().filter(months.prev(Lead.created_at), in_sla).label("prev_within"))
        .where(Lead.created_at >= months.prev_lo, Lead.created_at < months.this_hi,
               Lead.assigned_to_id.is_not(None), Lead.status.notin_(JUNK_STATUSES), *who)
        .group_by(Lead.assigned_to_id))


def _reached(months: _Months, who: list) -> Result:
    """Per agent, in each month: leads that first reached a site visit, or won, with the
    investment and tax of those won."""
    visit, won = LeadStage.stage == "site_visit", LeadStage.stage == "won"
    this, prev = months.this(LeadStage.reached_at), months.prev(LeadStage.reached_at)
    return reads.session().execute(
        select(Lead.assigned_to_id,
               func.count().filter(visit, this).label("site_visits"),
               func.count().filter(visit, prev).label("prev_site_visits"),
               func.count().filter(won, this).label("won"),
               func.count().filter(won, prev).label("prev_won"),
               func.sum(Lead.investment_wan).filter(won, this).label("investment"),
               func.sum(Lead.investment_wan).filter(won, prev).label("prev_investment"),
               func.sum(Lead.annual_tax_wan).filter(won, this).label("tax"),
               func.sum(Lead.annual_tax_wan).filter(won, prev).label("prev_tax"))
        .select_from(LeadStage).join(Lead, Lead.id == LeadStage.lead_id)
        .where(LeadStage.stage.in_(("site_visit", "won")), LeadStage.reached_at >= months.prev_lo,
               LeadStage.reached_at < months.this_hi, Lead.assigned_to_id.is_not(None),
               Lead.status.notin_(JUNK_STATUSES), *who)
        .group_by(Lead.assigned_to_id))


def _signed(scope: Scope, month: date, prev: date) -> Result:
    """Per credited agent: the value of the deals signed in each month (Scope.signed_deals
    over both months: the deal index by status and day)."""
    both = scope.with_range(prev, month_bounds(month)[1])
    this = Deal.signed_on >= month
    stmt = (select(Deal.agent_id.label("assigned_to_id"),
                   func.sum(Deal.value_wan).filter(this).label("value"),
                   func.sum(Deal.value_wan).filter(~this).label("prev_value"))
            .select_from(Deal).where(Deal.agent_id.is_not(None)).group_by(Deal.agent_id))
    return reads.session().execute(both.deals(stmt))


def _rows_of(scope: Scope, results) -> dict[int, RankRow]:
    """One row per agent with figures, and per agent of the scope with none."""
    rows: dict[int, RankRow] = {}
    agent_ids = _agents_in_scope(scope)
    for result, names in results:
        for r in result:
            m = r._mapping
            row = rows.setdefault(r.assigned_to_id, RankRow(r.assigned_to_id, "", ""))
            for name in names:
                setattr(row.this, name, _num(m[name]))
                setattr(row.prev, name, _num(m["prev_" + name]))
    for agent_id in agent_ids:
        rows.setdefault(agent_id, RankRow(agent_id, "", ""))
    if scope.team_ids is not None or scope.agent_id is not None:
        # Only the agents of the scope take part (not whoever holds a lead of the pool).
        rows = {k: v for k, v in rows.items() if k in set(agent_ids)}
    return rows


def _name(rows: dict[int, RankRow]) -> None:
    """Each row's agent and team names, in one statement."""
    people = {u.id: u for u in reads.session().scalars(
        select(User).options(joinedload(User.team)).where(User.id.in_(list(rows))))}
    for row in rows.values():
        user = people.get(row.agent_id)
        row.name = user.name if user else str(row.agent_id)
        row.team = user.team.name if user and user.team else ""


def _ranked(rows: dict[int, RankRow], order: str = "count") -> list[RankRow]:
    """By won, then investment, then received (then name), numbered from 1; by signed
    value first with order "value"."""
    def key(r: RankRow):
        count = (-r.this.won, -r.this.investment, -r.this.received, r.name)
        return (-r.this.value, *count) if order == "value" else count
    ordered = sorted(rows.values(), key=key)
    for i, row in enumerate(ordered, 1):
        row.rank = i
    return ordered


def _agents_in_scope(scope: Scope) -> list[int]:
    """Agents who take part even with nothing to show (active, in the scope's teams)."""
    stmt = select(User.id).where(User.role == Role.AGENT, User.active.is_(True))
    if scope.agent_id is not None:
        stmt = stmt.where(User.id == scope.agent_id)
    if scope.team_ids is not None:
        stmt = stmt.where(User.team_id.in_(scope.team_ids))
    return list(reads.session().scalars(stmt))


def _num(value):
    if value is None:
        return 0
    return value if isinstance(value, int) else float(value)

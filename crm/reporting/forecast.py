"""The weighted pipeline and the forecast (预测) by month.

- Weighted pipeline: the needs open now within the scope (whenever they came in), by stage,
  team and agent: how many, their expected value (预计金额) and that value × their team's
  probability for the stage (赢单概率, crm.leads.pipeline): 加权金额. A need without an
  expected value is counted, and adds nothing to either sum.
- Forecast: the open needs whose expected close date (预计成交日期) falls in the range, by
  month, weighted and unweighted; beside them what was signed in the month (deals with status
  signed, by signed_on; a contract that fell through is never counted).

Amounts in 万元. Every figure is one grouped query (no row is read into Python); the open
needs are read once, grouped by stage, team and agent, from ix_lead_open_pipeline alone; the
forecast walks it too (or ix_lead_expected_close), the deals ix_deal_status_signed.
"""
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import extract, func, select

from crm import reads
from crm.choices import OPEN_STATUSES, STATUSES
from crm.leads.pipeline import probability_of
from crm.models import Deal, Lead, Team, User
from crm.models.sql import as_float
from crm.reporting.scope import Scope
from crm.reporting.tables import Column, Table


def _wan(value) -> float:
    return round(as_float(value) or 0.0, 4)


@dataclass
class PipelineRow:
    key: object
    label: str
    needs: int = 0
    valued: int = 0       # needs with an expected value
    value: float = 0.0    # 预计金额, 万元
    weighted: float = 0.0  # 加权金额, 万元

    def add(self, other: "PipelineRow") -> None:
        self.needs += other.needs
        self.valued += other.valued
        self.value = round(self.value + other.value, 4)
        self.weighted = round(self.weighted + other.weighted, 4)


@dataclass
class MonthRow:
    month: date
    needs: int = 0
    valued: int = 0
    value: float = 0.0
    weighted: float = 0.0
    signed: int = 0
    signed_value: float = 0.0

    @property
    def label(self) -> str:
        return f"{self.month:%Y-%m}"


@dataclass
class ForecastReport:
    stages: list[PipelineRow]
    teams: list[PipelineRow]
    agents: list[PipelineRow]
    months: list[MonthRow]
    totals: PipelineRow = field(init=False)

    def __post_init__(self):
        self.totals = PipelineRow("total", str(_l("Total")))
        for row in self.stages:
            self.totals.add(row)

    def month_total(self) -> MonthRow:
        total = MonthRow(date.min)
        for r in self.months:
            total.needs += r.needs
            total.valued += r.valued
            total.value = round(total.value + r.value, 4)
            total.weighted = round(total.weighted + r.weighted, 4)
            total.signed += r.signed
            total.signed_value = round(total.signed_value + r.signed_value, 4)
        return total

    def tables(self) -> list[Table]:
        def columns(first: Column) -> list[Column]:
            return [first, Column("needs", _l("Open needs")),
                    Column("valued", _l("With an expected value")),
                    Column("value", _l("Expected value (10k yuan)"), "wan"),
                    Column("weighted", _l("Weighted value (10k yuan)"), "wan")]

        def row(r: PipelineRow) -> dict:
            return {"name": r.label, "needs": r.needs, "valued": r.valued, "value": r.value,
                    "weighted": r.weighted}

        def table(name, title, first, rows):
            return Table(name, title, columns(first), [row(r) for r in rows],
                         footer=row(self.totals))

        month_total = self.month_total()

        def month(r: MonthRow, label) -> dict:
            return {"month": label, "needs": r.needs, "valued": r.valued, "value": r.value,
                    "weighted": r.weighted, "signed": r.signed, "signed_value": r.signed_value}
        months = Table(
            "forecast", _l("Forecast by expected close month"),
            [Column("month", _l("Month"), "text"), Column("needs", _l("Open needs")),
             Column("valued", _l("With an expected value")),
             Column("value", _l("Expected value (10k yuan)"), "wan"),
             Column("weighted", _l("Weighted value (10k yuan)"), "wan"),
             Column("signed", _l("Deals signed")),
             Column("signed_value", _l("Signed value (10k yuan)"), "wan")],
            [month(r, r.label) for r in self.months], footer=month(month_total, _l("Total")))
        return [table("stages", _l("Weighted pipeline by stage"),
                      Column("name", _l("Stage"), "text"), self.stages),
                table("teams", _l("Weighted pipeline by team"),
                      Column("name", _l("Team"), "text"), self.teams),
                table("agents", _l("Weighted pipeline by agent"),
                      Column("name", _l("Agent"), "text"), self.agents),
                months]

    def stage_chart(self) -> dict:
        return {"kind": "bar", "categories": [r.label for r in self.stages],
                "series": [{"name": str(_l("Expected value (10k yuan)")),
                            "data": [r.value for r in self.stages]},
                           {"name": str(_l("Weighted value (10k yuan)")),
                            "data": [r.weighted for r in self.stages]}]}

    def month_chart(self) -> dict:
        return {"kind": "bar", "categories": [r.label for r in self.months],
                "series": [{"name": str(_l("Expected value (10k yuan)")),
                            "data": [r.value for r in self.months]},
                           {"name": str(_l("Weighted value (10k yuan)")),
                            "data": [r.weighted for r in self.months]},
                           {"name": str(_l("Signed value (10k yuan)")), "type": "line",
                            "data": [r.signed_value for r in self.months]}]}


def _weighted_groups(keys: list, conditions: list):
    """The open needs meeting `conditions`, grouped by `keys` and by team and stage, each
    group's value weighted by its (team, stage) probability: the sums are taken first, the
    probability joined to each group after."""
    groups = (select(*keys, Lead.team_id.label("team_id"), Lead.status.label("status"),
                     func.count().label("needs"),
                     func.count(Lead.expected_value_wan).label("valued"),
                     func.sum(Lead.expected_value_wan).label("value"))
              .where(*conditions, Lead.status.in_(OPEN_STATUSES))
              .group_by(*keys, Lead.team_id, Lead.status).subquery("groups"))
    p = probability_of(groups.c.team_id, groups.c.status)
    return groups, p.apply(select(groups, p.weighted(groups.c.value).label("weighted"))
                           .select_from(groups))


def _pipeline_row(key, label: str, r) -> PipelineRow:
    return PipelineRow(key, label, int(r.needs), int(r.valued), _wan(r.value), _wan(r.weighted))


def _largest_first(rows: dict) -> list[PipelineRow]:
    return sorted(rows.values(), key=lambda r: (-r.weighted, -r.needs, r.label))


def open_pipeline(scope: Scope) -> tuple[list[PipelineRow], list[PipelineRow], list[PipelineRow]]:
    """By stage, by team and by agent, from one pass over the open needs grouped by all three
    (a few rows per agent: each breakdown is a sum of these groups)."""
    groups, stmt = _weighted_groups([Lead.assigned_to_id.label("agent_id")], scope.who())
    stmt = (stmt.add_columns(Team.name.label("team"), User.name.label("agent"))
            .outerjoin(Team, Team.id == groups.c.team_id)
            .outerjoin(User, User.id == groups.c.agent_id))
    stages = {s: PipelineRow(s, str(STATUSES[s])) for s in OPEN_STATUSES}
    teams: dict = {}
    agents: dict = {}
    for r in reads.session().execute(stmt):
        part = _pipeline_row(None, "", r)
        stages[r.status].add(part)
        teams.setdefault(r.team_id, PipelineRow(r.team_id, r.team or str(_l("(no team)")))).add(part)
        agents.setdefault(r.agent_id, PipelineRow(
            r.agent_id, r.agent or str(_l("(unassigned)")))).add(part)
    return list(stages.values()), _largest_first(teams), _largest_first(agents)


def _next_month(day: date, months: int = 1) -> date:
    """The first day of the month `months` after day's."""
    years, month = divmod(day.month - 1 + months, 12)
    return date(day.year + years, month + 1, 1)


def _months(start: date, end: date) -> list[date]:
    out, month = [], start.replace(day=1)
    while month <= end:
        out.append(month)
        month = _next_month(month)
    return out


def forecast_months(today: date, count: int = 6) -> tuple[date, date]:
    """The forecast's range when none is asked for: this month and the next five."""
    return today.replace(day=1), _next_month(today, count) - timedelta(days=1)


def by_month(scope: Scope) -> list[MonthRow]:
    """Open needs by the month of their expected close date in the range; deals signed."""
    year, month = (extract("year", Lead.expected_close_on).label("y"),
                   extract("month", Lead.expected_close_on).label("m"))
    _groups, expected = _weighted_groups(
        [year, month], [*scope.who(), Lead.expected_close_on >= scope.start,
                        Lead.expected_close_on <= scope.end])
    signed_year, signed_month = (extract("year", Deal.signed_on).label("y"),
                                 extract("month", Deal.signed_on).label("m"))
    signed = reads.session().execute(
        select(signed_year, signed_month, func.count().label("deals"),
               func.sum(Deal.value_wan).label("value"))
        .select_from(Deal).join(Lead, Lead.id == Deal.lead_id)
        .where(Deal.status == "signed", Deal.signed_on >= scope.start,
               Deal.signed_on <= scope.end, *scope.who())
        .group_by(signed_year, signed_month))
    rows = {m: MonthRow(m) for m in _months(scope.start, scope.end)}
    for r in reads.session().execute(expected):  # a row per month, team and stage
        row = rows[date(int(r.y), int(r.m), 1)]
        row.needs += int(r.needs)
        row.valued += int(r.valued)
        row.value = round(row.value + _wan(r.value), 4)
        row.weighted = round(row.weighted + _wan(r.weighted), 4)
    for r in signed:
        row = rows[date(int(r.y), int(r.m), 1)]
        row.signed, row.signed_value = int(r.deals), _wan(r.value)
    return list(rows.values())


def forecast(scope: Scope, limit: int | None = 50) -> ForecastReport:
    stages, teams, agents = open_pipeline(scope)
    if limit is not None and len(agents) > limit:
        rest = PipelineRow(None, str(_l("(others)")))
        for row in agents[limit:]:
            rest.add(row)
        agents = agents[:limit] + [rest]
    return ForecastReport(stages, teams, agents, by_month(scope))

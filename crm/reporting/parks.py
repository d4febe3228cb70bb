"""For a park's 招商 team: what the companies signed in the range commit to, by industry
(investment, annual tax, jobs, 亩均税收), and the milestones after signing that are overdue.

- Committed figures: the signed deals of the range within the scope (Scope.signed_deals);
  the industry is the need's (lead.industry). Tax per 亩: the tax of the deals that give one,
  over their area in 亩 (1 亩 = 666.67 ㎡).
- Overdue: a milestone of a signed deal within the scope, due before today (Asia/Shanghai),
  not done; whenever the deal was signed (not limited to the range).
"""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from crm import choices, reads
from crm.choices import SQM_PER_MU
from crm.inputs.deal_terms import MILESTONES
from crm.models import Deal, DealMilestone, Lead, User
from crm.models.sql import as_float
from crm.reporting.scope import Scope
from crm.reporting.tables import Column, Table


@dataclass
class IndustryRow:
    key: str | None
    label: str
    deals: int = 0
    investment: float = 0.0
    tax: float = 0.0
    jobs: int = 0
    taxed_sqm: float = 0.0

    @property
    def tax_per_mu(self) -> float | None:
        return None if not self.taxed_sqm else round(self.tax / (self.taxed_sqm / SQM_PER_MU), 4)

    def as_dict(self) -> dict:
        return {"key": self.label, "deals": self.deals, "investment": self.investment,
                "tax": self.tax, "tax_per_mu": self.tax_per_mu, "jobs": self.jobs}


@dataclass
class ParksReport:
    rows: list[IndustryRow]
    total: IndustryRow
    overdue: list[dict]
    overdue_total: int

    def tables(self) -> list[Table]:
        industry = Table("by_industry", _l("Committed investment and tax by industry"), [
            Column("key", _l("Industry track"), "text"), Column("deals", _l("Deals signed")),
            Column("investment", _l("Committed investment (10k yuan)"), "wan"),
            Column("tax", _l("Annual tax (10k yuan)"), "wan"),
            Column("tax_per_mu", _l("Tax per mu (10k yuan)"), "wan"),
            Column("jobs", _l("Jobs"))],
            [r.as_dict() for r in self.rows], footer=self.total.as_dict() | {"key": _l("Total")})
        overdue = Table("overdue", _l("Milestones overdue"), [
            Column("reference", _l("Reference"), "text"), Column("company", _l("Company"), "text"),
            Column("milestone", _l("Milestone"), "text"), Column("due_on", _l("Due"), "text"),
            Column("days_late", _l("Days overdue")), Column("agent", _l("Agent"), "text")],
            self.overdue)
        return [industry, overdue]

    def chart(self) -> dict:
        rows = self.rows[:12]
        return {"kind": "bar", "horizontal": True, "categories": [r.label for r in rows],
                "series": [{"name": str(_l("Committed investment (10k yuan)")),
                            "data": [round(r.investment, 2) for r in rows]},
                           {"name": str(_l("Annual tax (10k yuan)")),
                            "data": [round(r.tax, 2) for r in rows]}]}


def _by_industry(scope: Scope):
    taxed = Deal.annual_tax_wan.is_not(None)
    return reads.session().execute(
        select(Lead.industry, func.count(), func.sum(Deal.investment_wan),
               func.sum(Deal.annual_tax_wan), func.sum(Deal.jobs),
               func.sum(Deal.area_sqm).filter(taxed))
        .select_from(Deal).join(Lead, Lead.id == Deal.lead_id)
        .where(*scope.signed_deals()).group_by(Lead.industry))


def overdue_milestones(scope: Scope, limit: int | None = 100) -> tuple[list[dict], int]:
    """The overdue milestones, longest overdue first (at most `limit`), and how many in all."""
    today = scope.today()
    where = [DealMilestone.done_on.is_(None), DealMilestone.due_on < today,
             Deal.status == "signed", *scope.who()]
    base = (select(DealMilestone.kind, DealMilestone.due_on, Lead.reference, Lead.company,
                   User.name.label("agent"))
            .select_from(DealMilestone).join(Deal, Deal.id == DealMilestone.deal_id)
            .join(Lead, Lead.id == Deal.lead_id).outerjoin(User, User.id == Deal.agent_id)
            .where(*where).order_by(DealMilestone.due_on, DealMilestone.id))
    if limit:
        base = base.limit(limit)
    rows = [{"reference": r.reference, "company": r.company or "",
             "milestone": choices.label(MILESTONES, r.kind), "due_on": r.due_on.isoformat(),
             "days_late": (today - r.due_on).days, "agent": r.agent or ""}
            for r in reads.session().execute(base)]
    total = reads.session().scalar(
        select(func.count()).select_from(DealMilestone).join(Deal, Deal.id == DealMilestone.deal_id)
        .join(Lead, Lead.id == Deal.lead_id).where(*where)) or 0
    return rows, int(total)


def parks(scope: Scope, limit: int | None = 100) -> ParksReport:
    rows, total = [], IndustryRow(None, "")
    for industry, n, investment, tax, jobs, taxed_sqm in _by_industry(scope):
        row = IndustryRow(industry, str(choices.label(choices.INDUSTRIES, industry)
                                        if industry else _l("(none)")),
                          int(n), as_float(investment) or 0.0, as_float(tax) or 0.0,
                          int(jobs or 0), as_float(taxed_sqm) or 0.0)
        rows.append(row)
        total.deals += row.deals
        total.investment += row.investment
        total.tax += row.tax
        total.jobs += row.jobs
        total.taxed_sqm += row.taxed_sqm
    rows.sort(key=lambda r: (-r.investment, -r.tax, r.label))
    overdue, overdue_total = overdue_milestones(scope, limit)
    return ParksReport(rows, total, overdue, overdue_total)

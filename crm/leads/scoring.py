"""An explainable 0-100 lead score: each factor gives points up to its weight (config)."""
from dataclasses import dataclass, field
from decimal import Decimal

from flask import current_app
from flask_babel import lazy_gettext as gettext  # reasons are rendered only when shown
from sqlalchemy import func, select

from crm.choices import SQM_PER_MU
from crm.extensions import db
from crm.models import InquiryRepeat, Lead, Recommendation, VisitRequest, repeat_window
from crm.models.types import utcnow

# (threshold in 万元, share of the factor's weight); the first threshold reached counts.
TAX_TIERS = ((1000, 1.0), (300, 0.8), (100, 0.6), (30, 0.35), (0.01, 0.15))
# DOMAIN.md tiers: ≥ 20亿, 10–20亿, ≥ 3亿 total investment.
INVESTMENT_TIERS = ((200000, 1.0), (100000, 0.9), (30000, 0.75), (5000, 0.5), (1000, 0.3), (0.01, 0.1))
TAX_PER_MU_TIERS = ((50, 1.0), (30, 0.7), (15, 0.4), (0.01, 0.1))  # 万元/亩/年
COMPLETENESS_FIELDS = ("deal_type", "property_type", "region_code", "area", "industry",
                       "annual_tax_wan", "investment_wan", "company", "credit_code", "usage")


@dataclass
class Factor:
    name: str
    points: float
    weight: int
    reason: str


@dataclass
class Score:
    factors: list[Factor] = field(default_factory=list)

    @property
    def value(self) -> int:
        applicable = sum(f.weight for f in self.factors)
        if not applicable:
            return 0
        return max(0, min(100, round(100 * sum(f.points for f in self.factors) / applicable)))


def _tier(value, tiers) -> float:
    if value is None:
        return 0.0
    for threshold, share in tiers:
        if value >= Decimal(str(threshold)):
            return share
    return 0.0


def repeat_count(lead: Lead) -> int:
    """How often the prospect asked again about this need within the repeat window: its
    repeat inquiries. The contact's other needs are needs, not repeats."""
    if lead.id is None:
        return 0
    since = utcnow() - repeat_window()
    return db.session.scalar(select(func.count()).select_from(InquiryRepeat).where(
        InquiryRepeat.original_lead_id == lead.id, InquiryRepeat.created_at >= since)) or 0


def tax_per_mu(lead: Lead) -> Decimal | None:
    area = lead.area_max_sqm if lead.area_max_sqm is not None else lead.area_min_sqm
    if lead.annual_tax_wan is None or not area:
        return None
    return (lead.annual_tax_wan / (area / Decimal(str(SQM_PER_MU)))).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class _Given:
    """What factors read besides the lead: the park's leading tracks, and the repeat count
    when the caller knows it (None: counted now)."""
    tracks: list[str]
    repeats: int | None


# A factor: (lead, its weight, what is given) → (points, reason), or None when it does not
# apply to this lead (then its weight does not count either).
Points = tuple[float, str] | None


def _tax(lead: Lead, w: int, given: _Given) -> Points:
    return (w * _tier(lead.annual_tax_wan, TAX_TIERS),
            gettext("Annual tax %(tax)s ten-thousand yuan", tax=f"{lead.annual_tax_wan:,.0f}")
            if lead.annual_tax_wan is not None else gettext("No annual tax stated"))


def _investment(lead: Lead, w: int, given: _Given) -> Points:
    return (w * _tier(lead.investment_wan, INVESTMENT_TIERS),
            gettext("Investment %(inv)s ten-thousand yuan", inv=f"{lead.investment_wan:,.0f}")
            if lead.investment_wan is not None else gettext("No investment stated"))


def _tax_per_mu(lead: Lead, w: int, given: _Given) -> Points:
    if lead.property_type != "land":  # 亩均税收 only means something for land
        return None
    per_mu = tax_per_mu(lead)
    return (w * _tier(per_mu, TAX_PER_MU_TIERS),
            gettext("Tax per mu %(v)s ten-thousand yuan a mu a year", v=per_mu)
            if per_mu is not None else gettext("Tax per mu unknown (tax or area missing)"))


def _completeness(lead: Lead, w: int, given: _Given) -> Points:
    filled = [name for name in COMPLETENESS_FIELDS if _filled(lead, name)]
    return (w * len(filled) / len(COMPLETENESS_FIELDS),
            gettext("%(n)d of %(total)d details given", n=len(filled),
                    total=len(COMPLETENESS_FIELDS)))


def _industry_fit(lead: Lead, w: int, given: _Given) -> Points:
    if lead.industry in given.tracks:
        return w, gettext("Industry is one of the park's leading tracks")
    if lead.industry:
        return w * 0.3, gettext("Industry outside the leading tracks")
    return 0, gettext("Industry not stated")


def _repeat(lead: Lead, w: int, given: _Given) -> Points:
    repeats = repeat_count(lead) if given.repeats is None else given.repeats
    if repeats:
        return w, gettext("Asked %(n)d more time(s) in %(days)d days", n=repeats,
                          days=repeat_window().days)
    return 0, gettext("First inquiry from this prospect")


def _engagement(lead: Lead, w: int, given: _Given) -> Points:
    """Only once listings were sent: a lead nobody sent anything to is not marked down."""
    sent, opened, asked = engagement(lead)
    if not (sent and w):
        return None
    if asked:
        return w, gettext("Asked to visit a listing sent")
    if opened:
        return w * 0.6, gettext("Opened the listings sent")
    return 0, gettext("Has not opened the listings sent yet")


# Each factor by its name in CRM_SCORE_WEIGHTS, in the order the lead page explains them.
FACTORS = {"tax": _tax, "investment": _investment, "tax_per_mu": _tax_per_mu,
           "completeness": _completeness, "industry_fit": _industry_fit, "repeat": _repeat,
           "engagement": _engagement}


def compute(lead: Lead, repeats: int | None = None) -> Score:
    weights = current_app.config["CRM_SCORE_WEIGHTS"]
    given = _Given(tracks=current_app.config["CRM_LEADING_TRACKS"], repeats=repeats)
    score = Score()
    for name, factor in FACTORS.items():
        points = factor(lead, weights[name], given)
        if points is not None:
            score.factors.append(Factor(name, points[0], weights[name], points[1]))
    return score


def engagement(lead: Lead) -> tuple[int, int, int]:
    """Pages sent to the lead, pages opened, visit requests: one round trip."""
    if lead.id is None:
        return 0, 0, 0
    of_lead = Recommendation.lead_id == lead.id
    row = db.session.execute(select(
        select(func.count()).select_from(Recommendation).where(of_lead).scalar_subquery(),
        select(func.count()).select_from(Recommendation)
        .where(of_lead, Recommendation.open_count > 0).scalar_subquery(),
        select(func.count()).select_from(VisitRequest)
        .where(VisitRequest.lead_id == lead.id).scalar_subquery())).one()
    return row[0] or 0, row[1] or 0, row[2] or 0


def _filled(lead: Lead, name: str) -> bool:
    if name == "area":
        return lead.area_min_sqm is not None or lead.area_max_sqm is not None
    if name == "credit_code":
        return bool(lead.credit_code) and lead.credit_code_valid is not False
    value = getattr(lead, name)
    return value not in (None, "")


def refresh(lead: Lead, repeats: int | None = None) -> int:
    """Store the score on the lead (the caller commits); `repeats` when the caller knows it."""
    lead.score = compute(lead, repeats).value
    return lead.score

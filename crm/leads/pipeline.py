"""The weighted pipeline's rules: how likely a need at each stage is to be signed, per team
(赢单概率), and a need's expected value and close date (预计金额, 预计成交日期).

One home for the probability a need reads: its team's row for the stage, else the default
row (team NULL), else DEFAULT_PCT. `probability_of()` says it in SQL for the reports
(crm.reporting.forecast), `probabilities()` in Python for the pages.
"""
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext
from sqlalchemy import and_, case, delete, func, select
from sqlalchemy.orm import aliased

from crm import access
from crm.choices import OPEN_STATUSES
from crm.extensions import db
from crm.i18n import default_locale
from crm.inputs.deal_terms import TermsError, contract_value_wan
from crm.inputs.pipeline import Expectation, StageProbabilities
from crm.models import Activity, Lead, Listing, StageProbability, User
from crm.privacy import audit

# 新 5 %, 已联系 10 %, 已确认 25 %, 看厂 40 %, 洽谈 60 % (the migration writes these as the
# default rows; they also answer for a stage whose default row an admin never had).
DEFAULT_PCT = {"new": 5, "contacted": 10, "qualified": 25, "site_visit": 40, "negotiating": 60}


@dataclass(frozen=True)
class StagePct:
    stage: str
    pct: int
    own: bool  # the team's own figure (not the default)
    default: int


def probabilities(team_id: int | None) -> list[StagePct]:
    """Each open stage's probability for a team (None: the defaults), in stage order."""
    rows = db.session.execute(
        select(StageProbability.team_id, StageProbability.stage, StageProbability.pct)
        .where(StageProbability.stage.in_(OPEN_STATUSES),
               (StageProbability.team_id.is_(None) | (StageProbability.team_id == team_id))
               if team_id is not None else StageProbability.team_id.is_(None))).all()
    defaults = {**DEFAULT_PCT, **{r.stage: r.pct for r in rows if r.team_id is None}}
    own = {r.stage: r.pct for r in rows if r.team_id is not None}
    return [StagePct(s, own.get(s, defaults[s]), s in own, defaults[s]) for s in OPEN_STATUSES]


def save_probabilities(team_id: int | None, data: StageProbabilities, actor: User) -> bool:
    """Write a team's probabilities (team None: the defaults). A team's figure equal to the
    default is not kept as its own, so a later change of the default reaches it. False when
    nothing changed; PermissionError when the actor may not edit this team's."""
    if not access.can_edit_stage_probabilities(actor, team_id):
        raise PermissionError("may not edit these stage probabilities")
    before = {p.stage: p.pct for p in probabilities(team_id)}
    defaults = {p.stage: p.default for p in probabilities(None)}
    wanted = data.as_dict()
    old = {s: before[s] for s in wanted if before[s] != wanted[s]}
    if not old:
        return False
    owner = (StageProbability.team_id.is_(None) if team_id is None
             else StageProbability.team_id == team_id)
    db.session.execute(delete(StageProbability).where(owner, StageProbability.stage.in_(list(wanted))))
    for stage, pct in wanted.items():
        if team_id is None or pct != defaults[stage]:
            db.session.add(StageProbability(team_id=team_id, stage=stage, pct=pct))
    audit.record(actor, "stage_probability_edit", "team", team_id, old,
                 {s: wanted[s] for s in old})
    db.session.commit()
    return True


@dataclass(frozen=True)
class ProbabilityJoin:
    """The two outer joins that find the probability of a (team, stage), and the percent they
    give. The columns are a lead's, or those of a query of leads grouped by team and stage
    (the reports weigh each group's sum: one join per group, not per need)."""
    team: type[StageProbability]
    default: type[StageProbability]
    team_id: Any
    stage: Any

    def apply(self, stmt):
        return (stmt.outerjoin(self.team, and_(self.team.team_id == self.team_id,
                                               self.team.stage == self.stage))
                .outerjoin(self.default, and_(self.default.team_id.is_(None),
                                              self.default.stage == self.stage)))

    @property
    def pct(self):
        return func.coalesce(self.team.pct, self.default.pct,
                             case(DEFAULT_PCT, value=self.stage, else_=0))

    def weighted(self, value_wan):
        """加权金额: an expected value (万元) × the probability."""
        return value_wan * self.pct / 100.0


def probability_of(team_id=Lead.team_id, stage=Lead.status) -> ProbabilityJoin:
    return ProbabilityJoin(aliased(StageProbability), aliased(StageProbability), team_id, stage)


SUGGESTED_TERM_MONTHS = 36


def suggested_value(lead: Lead) -> Decimal | None:
    """A hint, never stored: what the need would be worth at the listing it asked about — a
    lease at its price per ㎡ and day on the area the prospect wants (else the listing's)
    over 36 months, a sale at its price. None when there is nothing to go on."""
    listing = db.session.get(Listing, lead.listing_id) if lead.listing_id else None
    if listing is None or listing.price is None or listing.price_negotiable:
        return None
    try:
        if listing.deal_type == "rent":
            area = lead.area_max_sqm or lead.area_min_sqm or listing.area_sqm
            return contract_value_wan(listing.price, "yuan_sqm_day", area, SUGGESTED_TERM_MONTHS)
        return contract_value_wan(listing.price, "wan_total")
    except TermsError:
        return None


def set_expectation(lead: Lead, data: Expectation, actor: User) -> bool:
    """Record an open need's expected value and close date; audited, on its timeline.
    False when nothing changed; PermissionError for someone who may not work the need."""
    if not access.can_work(actor, lead):
        raise PermissionError("may not work this lead")
    old, new = audit.diff(lead, ("expected_value_wan", "expected_close_on"), data.lead_columns())
    if not new:
        return False
    for name, value in new.items():
        setattr(lead, name, value)
    db.session.add(Activity(lead_id=lead.id, kind="edit", author_id=actor.id,
                            body=_expectation_note(data)))
    audit.record(actor, "lead_expectation", "lead", lead.id, old, new)
    db.session.commit()
    return True


def _expectation_note(data: Expectation) -> str:
    """The timeline's line, in the CRM's language (as every stored note)."""
    value = (f"{data.value_wan:,.4f}".rstrip("0").rstrip(".") + " 万元"
             if data.value_wan is not None else "—")
    day = data.close_on.isoformat() if data.close_on else "—"
    with default_locale():
        return gettext("Expected value: %(value)s; expected close: %(day)s", value=value, day=day)

"""What was signed for a need (docs/deals.md): the one way a need is won, its later edits,
and a contract that falls through.

- sign(): builds the Deal (value, commission and 亩均税收 from crm.inputs.deal_terms), the
  listing it took, the commission shares, the milestones (签约 done on the day signed, the
  others with their due dates) and the credit (the need's owner and team then), and moves
  the need to won through crm.leads.followup.change_status, in one transaction.
- edit(): the same terms again; each changed field is kept in a DealRevision (was, now).
- fall_through(): the deal is fallen_through (kept, out of every report), the need is
  re-opened to negotiating (its history kept) and the listings it took are released.
Listings follow through crm.listings.occupancy.
"""
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from crm.extensions import db
from crm.inputs import deal_terms
from crm.inputs.deal import DealInput
from crm.leads import followup, stages
from crm.listings import occupancy
from crm.models import Deal, DealListing, DealMilestone, DealRevision, DealShare, Lead, Listing, User
from crm.models.types import utcnow
from crm.privacy import audit


class DealError(ValueError):
    """Terms that cannot be signed; `field` names the form field the message belongs to."""

    def __init__(self, field: str, message):
        super().__init__(str(message))
        self.field, self.message = field, message


@dataclass(frozen=True)
class Figures:
    value_wan: Decimal
    commission_wan: Decimal | None
    tax_per_mu_wan: Decimal | None


# Far above any real contract, and below what a money column holds (Numeric(16, 4)).
MAX_WAN = Decimal("100000000000")

# The columns a revision compares (the terms as stored), in the form's order.
TERMS = ("signed_on", "listing_id", "property_text", "area_value", "area_unit", "area_sqm",
         "price", "price_unit", "term_months", "start_on", "rent_free_months", "deposit_wan",
         "value_wan", "commission_kind", "commission_rate", "commission_wan",
         "commission_due_on", "commission_received_wan", "commission_received_on",
         "investment_wan", "annual_tax_wan", "tax_per_mu_wan", "jobs", "note")


def signed_deal(lead: Lead) -> Deal | None:
    """The need's signed deal (at most one), or None."""
    return db.session.scalars(select(Deal).where(Deal.lead_id == lead.id,
                                                 Deal.status == "signed")).first()


def deals_of(lead: Lead) -> list[Deal]:
    """Every deal of the need, the fallen-through ones too, newest first."""
    return list(db.session.scalars(select(Deal).where(Deal.lead_id == lead.id)
                                   .order_by(Deal.id.desc())))


def of_lead(lead: Lead) -> dict:
    """What the lead page's deal section shows: the need's deals (newest first, with their
    listing, milestones and shares) and the signed one's revisions."""
    rows = list(db.session.scalars(
        select(Deal).options(selectinload(Deal.milestones), selectinload(Deal.shares)
                             .joinedload(DealShare.user), joinedload(Deal.listing))
        .where(Deal.lead_id == lead.id).order_by(Deal.id.desc())))
    signed = next((d for d in rows if d.status == "signed"), None)
    return {"deals": rows, "signed_deal": signed,
            "deal_revisions": revisions_of(signed) if signed is not None else []}


def revisions_of(deal: Deal) -> list[DealRevision]:
    return list(db.session.scalars(select(DealRevision).where(DealRevision.deal_id == deal.id)
                                   .order_by(DealRevision.id.desc())))


def figures(terms: DealInput, deal_type: str | None) -> Figures:
    """The value, commission and 亩均税收 of `terms`, or a DealError on the field at fault."""
    if deal_type and terms.price_unit not in deal_terms.units_for(deal_type):
        raise DealError("price_unit", _l("Please pick a price unit of this kind of deal."))
    if terms.price_unit not in deal_terms.PRICE_UNITS:
        raise DealError("price_unit", _l("Please pick a price unit."))
    rent = terms.price_unit in deal_terms.RENT_UNITS
    area = terms.area_sqm
    if terms.price_unit not in ("wan_year", "wan_total") and not area:
        raise DealError("area", _l("Please give the area: the price is per ㎡ or per 亩."))
    if rent and not terms.term_months:
        raise DealError("term_months", _l("Please give the term in months."))
    if terms.rent_free_months and terms.term_months and \
            terms.rent_free_months > terms.term_months:
        raise DealError("rent_free_months", _l("More rent-free months than the term."))
    if terms.listing_id is None and not terms.property_text:
        raise DealError("listing_id", _l("Please pick the listing, or describe the property."))
    if terms.shares_pct > 100:
        raise DealError("shares", _l("The shares of the commission add up to more than 100 %."))
    if len({s.user_id for s in terms.shares}) != len(terms.shares):
        raise DealError("shares", _l("Each person shares the commission once."))
    kind, rate = terms.commission_kind, terms.commission_rate
    if bool(kind) != (rate is not None):
        raise DealError("commission_rate", _l("Please give both the kind of commission and its figure."))
    if kind == "months_rent" and not rent:
        raise DealError("commission_kind", _l("Months of rent apply to a lease only."))
    try:
        value = deal_terms.contract_value_wan(terms.price, terms.price_unit, area,
                                              terms.term_months, terms.rent_free_months)
        commission = (deal_terms.commission_wan(kind, rate, terms.price, terms.price_unit, area,
                                                value) if kind and rate is not None else None)
    except deal_terms.TermsError:
        raise DealError("price", _l("These terms give no contract value; please check them.")) from None
    tax_per_mu = deal_terms.tax_per_mu_wan(terms.annual_tax_wan, area)
    if value > MAX_WAN or (commission or 0) > MAX_WAN:
        raise DealError("price", _l("These terms give a value too large; please check them."))
    if (tax_per_mu or 0) > MAX_WAN:
        raise DealError("annual_tax_wan", _l("This figure is too large; please check it."))
    return Figures(value, commission, tax_per_mu)


def _columns(terms: DealInput, numbers: Figures) -> dict:
    return {
        "signed_on": terms.signed_on, "listing_id": terms.listing_id,
        "property_text": terms.property_text, "area_value": terms.area,
        "area_unit": terms.area_unit or "sqm", "area_sqm": terms.area_sqm,
        "price": terms.price, "price_unit": terms.price_unit,
        "deal_type": "rent" if terms.price_unit in deal_terms.RENT_UNITS else "buy",
        "term_months": terms.term_months, "start_on": terms.start_on,
        "rent_free_months": terms.rent_free_months, "deposit_wan": terms.deposit_wan,
        "value_wan": numbers.value_wan, "commission_kind": terms.commission_kind or None,
        "commission_rate": terms.commission_rate, "commission_wan": numbers.commission_wan,
        "commission_due_on": terms.commission_due_on,
        "commission_received_wan": terms.commission_received_wan,
        "commission_received_on": terms.commission_received_on,
        "investment_wan": terms.investment_wan, "annual_tax_wan": terms.annual_tax_wan,
        "tax_per_mu_wan": numbers.tax_per_mu_wan, "jobs": terms.jobs, "note": terms.note,
    }


def _listing(terms: DealInput, deal: Deal | None = None) -> Listing | None:
    """The listing taken, if it can be: not let or sold to another deal, and for a divisible
    one no more area than remains (what this deal took before counts as free)."""
    if terms.listing_id is None:
        return None
    listing = db.session.get(Listing, terms.listing_id)
    if listing is None:
        raise DealError("listing_id", _l("This listing no longer exists."))
    seen = occupancy.of_listing(listing)
    own = sum((dl.area_sqm if dl.area_sqm is not None else Decimal(listing.area_sqm or 0)
               for dl in (deal.listings if deal is not None else [])
               if dl.listing_id == listing.id), Decimal(0))
    free = seen.remaining_sqm + own
    if seen.deals and (free <= 0 or (not listing.divisible and not own)):
        raise DealError("listing_id", _l("This listing is let or sold already."))
    if seen.deals and terms.area_sqm is not None and terms.area_sqm > free:
        raise DealError("area", _l("Only %(area)s ㎡ of this listing remain.",
                                   area=format(free.normalize(), "f")))
    return listing


def _sync(rows: list, key: str, wanted: dict, make) -> None:
    """Bring a child collection to `wanted` ({key: {column: value}}) in place: a row whose
    key stays is updated (a delete and insert of the same key would meet the unique index
    in the wrong order), the others removed or added."""
    for row in list(rows):
        values = wanted.pop(getattr(row, key), None)
        if values is None:
            rows.remove(row)
        else:
            for name, value in values.items():
                setattr(row, name, value)
    rows.extend(make(**{key: k, **values}) for k, values in wanted.items())


def _children(deal: Deal, terms: DealInput, listing: Listing | None) -> None:
    """The listing taken, the shares and the milestones, from the terms."""
    _sync(deal.listings, "listing_id",
          {listing.id: {"area_sqm": terms.area_sqm}} if listing is not None else {}, DealListing)
    _sync(deal.shares, "user_id", {s.user_id: {"share_pct": s.pct} for s in terms.shares},
          DealShare)
    done = {m.kind: m.done_on for m in deal.milestones}
    _sync(deal.milestones, "kind", {
        kind: {"due_on": terms.signed_on if kind == "signed" else terms.milestones_due.get(kind),
               "done_on": terms.signed_on if kind == "signed" else done.get(kind)}
        for kind in deal_terms.MILESTONES
        if kind == "signed" or terms.milestones_due.get(kind) or done.get(kind)}, DealMilestone)


def sign(lead: Lead, terms: DealInput, actor: User) -> Deal:
    """Record what was signed and move the need to won (the only way to won)."""
    if signed_deal(lead) is not None:
        raise DealError("listing_id", _l("This need has a signed deal already: edit it instead."))
    if not stages.can_move(lead.status, "won"):
        raise DealError("listing_id", _l("A need is won from a site visit or negotiation."))
    numbers = figures(terms, lead.deal_type)
    listing = _listing(terms)
    now = utcnow()
    deal = Deal(lead_id=lead.id, status="signed", created_at=now, updated_at=now,
                agent_id=lead.assigned_to_id, team_id=lead.team_id,
                property_type=lead.property_type, channel=lead.channel,
                source_site_id=lead.source_site_id, **_columns(terms, numbers))
    _children(deal, terms, listing)
    db.session.add(deal)
    db.session.flush()
    occupancy.follow([listing.id] if listing else [], actor)
    audit.record(actor, "deal_sign", "deal", deal.id, None,
                 {"lead_id": lead.id, "value_wan": str(deal.value_wan)})
    followup.change_status(lead, actor, "won", deal=deal)  # commits it all
    return deal


def _plain(value) -> str:
    """A stored or typed value as a revision keeps it: 2000.00 and 2000 are the same."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return "" if value is None else str(value)


def edit(deal: Deal, terms: DealInput, actor: User) -> DealRevision | None:
    """Change a signed deal's terms; the changed fields (was, now) go in a revision.
    None when nothing changed."""
    if deal.status != "signed":
        raise DealError("listing_id", _l("This contract fell through; it cannot be edited."))
    numbers = figures(terms, deal.lead.deal_type)
    listing = _listing(terms, deal)
    new = _columns(terms, numbers)
    changes = {name: [_plain(getattr(deal, name)), _plain(new[name])] for name in TERMS
               if _plain(getattr(deal, name)) != _plain(new[name])}
    old_shares = sorted((s.user_id, _plain(s.share_pct)) for s in deal.shares)
    new_shares = sorted((s.user_id, _plain(s.pct)) for s in terms.shares)
    if old_shares != new_shares:
        changes["shares"] = [_plain(old_shares), _plain(new_shares)]
    old_due = {m.kind: _plain(m.due_on) for m in deal.milestones if m.kind != "signed"}
    new_due = {k: _plain(v) for k, v in terms.milestones_due.items() if v}
    if old_due != new_due:
        changes["milestones"] = [_plain(old_due), _plain(new_due)]
    if not changes:
        return None
    released = [dl.listing_id for dl in deal.listings]
    for name, value in new.items():
        setattr(deal, name, value)
    deal.updated_at = utcnow()
    _children(deal, terms, listing)
    revision = DealRevision(deal_id=deal.id, actor_id=actor.id, created_at=deal.updated_at,
                            changes=changes)
    db.session.add(revision)
    db.session.flush()
    occupancy.follow(released + ([listing.id] if listing else []), actor)
    audit.record(actor, "deal_edit", "deal", deal.id, {k: v[0] for k, v in changes.items()},
                 {k: v[1] for k, v in changes.items()})
    db.session.commit()
    return revision


def fall_through(deal: Deal, actor: User, reason: str) -> None:
    """The contract fell through: the deal leaves "signed", the need is re-opened to
    negotiating with the reason in its history, the listings it took are released."""
    if deal.status != "signed":
        raise DealError("reason", _l("This contract fell through already."))
    reason = (reason or "").strip()[:200]
    deal.status = "fallen_through"
    deal.fell_through_at = deal.updated_at = utcnow()
    deal.fell_through_reason = reason
    occupancy.follow([dl.listing_id for dl in deal.listings], actor)
    audit.record(actor, "deal_fell_through", "deal", deal.id, {"status": "signed"},
                 {"status": "fallen_through", "reason": reason})
    lead = deal.lead
    if lead.status == "won":
        followup.change_status(lead, actor, "negotiating", reason)  # commits it all
    else:
        db.session.commit()

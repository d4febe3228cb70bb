"""Listings follow the deals: what signed deals took of a listing, and its status from it.

One rule (`follow`): a listing some signed deal took is let or sold, unless it is divisible
and area remains (then it stays on offer with the rest); a listing no signed deal takes any
more (the contract fell through) is available again. The area taken is read from the
signed deals' deal_listing rows (never stored twice). Reserving while negotiating is asked,
never done silently (`reserve`). The caller commits.
"""
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Deal, DealListing, Lead, Listing, User
from crm.privacy import audit


@dataclass(frozen=True)
class Occupancy:
    taken_sqm: Decimal
    remaining_sqm: Decimal
    deals: list[tuple[int, str]]   # (need id, need reference) of the signed deals on it


def _taken(listing_ids: list[int]) -> dict[int, Decimal]:
    """Area taken by signed deals, per listing (a row without an area takes all of it)."""
    if not listing_ids:
        return {}
    rows = db.session.execute(
        select(DealListing.listing_id,
               func.sum(func.coalesce(DealListing.area_sqm, Listing.area_sqm)))
        .join(Deal, Deal.id == DealListing.deal_id)
        .join(Listing, Listing.id == DealListing.listing_id)
        .where(DealListing.listing_id.in_(listing_ids), Deal.status == "signed")
        .group_by(DealListing.listing_id))
    return {listing_id: Decimal(total or 0) for listing_id, total in rows}


def of_listing(listing: Listing) -> Occupancy:
    """What the listing page shows: the signed deals on it and the area that remains (one
    statement: a listing is taken by few deals)."""
    rows = db.session.execute(
        select(Lead.id, Lead.reference, DealListing.area_sqm).select_from(DealListing)
        .join(Deal, Deal.id == DealListing.deal_id).join(Lead, Lead.id == Deal.lead_id)
        .where(DealListing.listing_id == listing.id, Deal.status == "signed")
        .order_by(Deal.id)).all()
    whole = Decimal(listing.area_sqm or 0)
    taken = sum((Decimal(area) if area is not None else whole for _i, _r, area in rows),
                Decimal(0))
    return Occupancy(taken, max(whole - taken, Decimal(0)),
                     [(lead_id, ref) for lead_id, ref, _a in rows])


def follow(listing_ids, actor: User | None) -> None:
    """Set each listing's status from the signed deals that take it (module docstring)."""
    ids = sorted(set(listing_ids))
    if not ids:
        return
    db.session.flush()
    taken = _taken(ids)
    for listing in db.session.scalars(select(Listing).where(Listing.id.in_(ids))):
        used = taken.get(listing.id)
        if used is None:
            status = "available" if listing.status == "let_or_sold" else listing.status
        elif listing.divisible and used < Decimal(listing.area_sqm or 0):
            status = "available"
        else:
            status = "let_or_sold"
        if status != listing.status:
            audit.record(actor, "listing_status", "listing", listing.id,
                         {"status": listing.status}, {"status": status})
            listing.status = status


def reserve(listing: Listing, actor: User) -> bool:
    """Mark an available listing reserved (the agent ticked the box); False if it was not
    available."""
    if listing.status != "available":
        return False
    audit.record(actor, "listing_status", "listing", listing.id, {"status": listing.status},
                 {"status": "reserved"})
    listing.status = "reserved"
    return True

"""Per listing: how often it was sent to prospects, opened, asked to visit, visited and
liked, counted in SQL over the leads a manager may report on (crm.access.lead_scope)."""
from dataclasses import dataclass

from sqlalchemy import distinct, func, select

from crm import access, reads
from crm.choices import JUNK_STATUSES
from crm.models import (
    Lead,
    Listing,
    Recommendation,
    SiteVisit,
    SiteVisitListing,
    User,
    VisitRequest,
)
from crm.models.visit import recommendation_listing, visit_request_listing


@dataclass
class ListingStats:
    listing_id: int
    sent: int = 0
    opened: int = 0
    requested: int = 0
    visited: int = 0
    liked: int = 0


def _scoped(stmt, user: User):
    """The user's leads, real ones only (no spam, no lead merged into another)."""
    stmt = stmt.where(Lead.status.not_in(JUNK_STATUSES))
    scope = access.lead_scope(user)
    return stmt if scope is None else stmt.where(scope)


def stats(user: User, listing_ids: list[int] | None = None) -> dict[int, ListingStats]:
    """{listing id: counts} for the listings given (all when None); a page sent to one
    lead counts once per listing, an open once per page however often it was opened, a
    request once per page however often the prospect asked, a visit and a like once per
    lead however often they went."""
    if not access.has_role(user, access.Role.MANAGER):
        return {}
    rl = recommendation_listing.c
    sent = _scoped(
        select(rl.listing_id, func.count(), func.count().filter(Recommendation.open_count > 0))
        .join(Recommendation, Recommendation.id == rl.recommendation_id)
        .join(Lead, Lead.id == Recommendation.lead_id).group_by(rl.listing_id), user)
    vl = visit_request_listing.c
    requested = _scoped(
        select(vl.listing_id, func.count(distinct(VisitRequest.recommendation_id)))
        .join(VisitRequest, VisitRequest.id == vl.visit_request_id)
        .join(Lead, Lead.id == VisitRequest.lead_id).group_by(vl.listing_id), user)
    visited = _scoped(
        select(SiteVisitListing.listing_id, func.count(distinct(SiteVisit.lead_id)),
               func.count(distinct(SiteVisit.lead_id)).filter(SiteVisitListing.liked.is_(True)))
        .join(SiteVisit, SiteVisit.id == SiteVisitListing.site_visit_id)
        .join(Lead, Lead.id == SiteVisit.lead_id)
        .where(SiteVisit.status == "done").group_by(SiteVisitListing.listing_id), user)
    if listing_ids is not None:
        sent = sent.where(rl.listing_id.in_(listing_ids))
        requested = requested.where(vl.listing_id.in_(listing_ids))
        visited = visited.where(SiteVisitListing.listing_id.in_(listing_ids))
    out: dict[int, ListingStats] = {}

    def row(listing_id: int) -> ListingStats:
        return out.setdefault(listing_id, ListingStats(listing_id))

    for listing_id, n_sent, n_opened in reads.session().execute(sent):
        row(listing_id).sent, row(listing_id).opened = n_sent, n_opened
    for listing_id, n in reads.session().execute(requested):
        row(listing_id).requested = n
    for listing_id, n_visited, n_liked in reads.session().execute(visited):
        row(listing_id).visited, row(listing_id).liked = n_visited, n_liked
    return out


def ranked(user: User, limit: int = 100) -> list[tuple[Listing, ListingStats]]:
    """The listings with any activity, most sent first (the manager's report)."""
    numbers = stats(user)
    listings = {x.id: x for x in reads.session().scalars(
        select(Listing).where(Listing.id.in_(list(numbers))))} if numbers else {}
    rows = [(listings[i], s) for i, s in numbers.items() if i in listings]
    rows.sort(key=lambda r: (-r[1].sent, -r[1].visited, r[0].id))
    return rows[:limit]

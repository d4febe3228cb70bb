"""A contact's and a company's pages, read for one user: the needs they may view and what
hangs off those needs (repeats, visits, recommendations, the timeline across needs).

Every list is one statement (by the ids of the visible needs) and bounded, so a contact
with hundreds of needs costs the page as many statements as one with a single need.
Nothing here reads a need the user may not view: the hidden needs are only counted.
"""
from dataclasses import dataclass, field

from sqlalchemy import false, func, not_, select
from sqlalchemy.orm import joinedload, selectinload

from crm import access
from crm.choices import JUNK_STATUSES
from crm.extensions import db
from crm.models import (
    Activity,
    Company,
    Contact,
    InquiryRepeat,
    Lead,
    Recommendation,
    SiteVisit,
    SiteVisitListing,
    User,
)

# How many rows of each kind a page lists (newest first); each need's own page has the rest.
NEEDS_SHOWN = 100
ROWS_SHOWN = 50
# A company can have tens of thousands of needs (a group, a park's anchor tenant): its page
# counts the hidden ones up to here ("more than 1000"), so it never reads them all.
COUNT_CAP = 1000


@dataclass
class ContactPage:
    contact: Contact
    needs: list[Lead]
    hidden: int                      # needs of this contact the user may not view
    full_mobile: bool                # the number in full without a reveal
    repeats: list[InquiryRepeat] = field(default_factory=list)
    visits: list[SiteVisit] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)
    timeline: list[Activity] = field(default_factory=list)

    @property
    def reference_of(self) -> dict[int, str]:
        return {lead.id: lead.reference for lead in self.needs}


@dataclass
class CompanyPage:
    company: Company
    contacts: list[Contact]
    needs: list[Lead]                # the newest NEEDS_SHOWN visible ones
    hidden: int                      # up to COUNT_CAP + 1: "more than COUNT_CAP"
    more: bool = False               # more visible needs than listed

    @property
    def hidden_over_cap(self) -> bool:
        return self.hidden > COUNT_CAP


@dataclass
class OtherNeeds:
    """The lead page's "此联系人还有 N 个其他需求": the visible ones listed, the rest counted."""
    needs: list[Lead]                # the newest of the visible ones
    visible: int
    hidden: int

    @property
    def total(self) -> int:
        return self.visible + self.hidden


def _needs(where: list, scope, limit: int = NEEDS_SHOWN) -> tuple[list[Lead], int, int]:
    """The newest visible needs matching `where` with their owners, how many are visible and
    how many there are in all: one statement (a window count and a scalar subquery), and a
    second only when none is visible."""
    where = [*where, Lead.status.not_in(JUNK_STATUSES)]
    total = select(func.count()).select_from(Lead).where(*where).correlate(None)
    rows = db.session.execute(
        select(Lead, func.count().over(), total.scalar_subquery())
        .where(*where, *([scope] if scope is not None else []))
        .options(joinedload(Lead.assigned_to))
        .order_by(Lead.created_at.desc(), Lead.id.desc()).limit(limit)).all()
    if rows:
        return [row[0] for row in rows], int(rows[0][1]), int(rows[0][2])
    return [], 0, int(db.session.scalar(total) or 0)


def contact_page(user: User, contact_id: int) -> ContactPage | None:
    """None when the user may view none of the contact's needs (the view answers 404)."""
    contact = db.session.get(Contact, contact_id, options=[joinedload(Contact.company)])
    if contact is None:
        return None
    needs, visible, total = _needs([Lead.contact_id == contact_id], access.viewable_leads(user))
    if not needs:
        return None
    page = ContactPage(contact, needs, hidden=total - visible,
                       full_mobile=access.can_see_contact_mobile(user, needs))
    ids = [lead.id for lead in needs]
    page.repeats = list(db.session.scalars(
        select(InquiryRepeat).options(joinedload(InquiryRepeat.source_site))
        .where(InquiryRepeat.original_lead_id.in_(ids))
        .order_by(InquiryRepeat.created_at.desc(), InquiryRepeat.id.desc()).limit(ROWS_SHOWN)))
    page.visits = list(db.session.scalars(
        select(SiteVisit).options(selectinload(SiteVisit.stops).joinedload(SiteVisitListing.listing))
        .where(SiteVisit.lead_id.in_(ids))
        .order_by(SiteVisit.starts_at.desc(), SiteVisit.id.desc()).limit(ROWS_SHOWN)))
    page.recommendations = list(db.session.scalars(
        select(Recommendation).options(selectinload(Recommendation.listings))
        .where(Recommendation.lead_id.in_(ids))
        .order_by(Recommendation.created_at.desc(), Recommendation.id.desc()).limit(ROWS_SHOWN)))
    # The newest activities across the needs; older ones are on each need's page.
    page.timeline = list(db.session.scalars(
        select(Activity).options(joinedload(Activity.author))
        .where(Activity.lead_id.in_(ids))
        .order_by(Activity.created_at.desc(), Activity.id.desc()).limit(ROWS_SHOWN)))
    return page


def company_page(user: User, company_id: int) -> CompanyPage | None:
    """The company with its contacts and needs the user may view; None when neither."""
    company = db.session.get(Company, company_id)
    if company is None:
        return None
    scope = access.viewable_leads(user)
    where = [Lead.company_id == company_id, Lead.status.not_in(JUNK_STATUSES)]
    # Bounded whatever the company's size: the newest needs on ix_lead_company_created,
    # one more than shown to know there are more, and the hidden ones counted to a cap.
    needs = list(db.session.scalars(
        select(Lead).where(*where, *([scope] if scope is not None else []))
        .options(joinedload(Lead.assigned_to))
        .order_by(Lead.created_at.desc(), Lead.id.desc()).limit(NEEDS_SHOWN + 1)))
    more = len(needs) > NEEDS_SHOWN
    needs = needs[:NEEDS_SHOWN]
    hidden = 0 if scope is None else _capped_count(
        [*where, not_(func.coalesce(scope, false()))])
    # A contact of the company shows when one of their needs (for any company) is visible.
    seen = select(Lead.id).where(Lead.contact_id == Contact.id,
                                 Lead.status.not_in(JUNK_STATUSES))
    if scope is not None:
        seen = seen.where(scope)
    contacts = list(db.session.scalars(
        select(Contact).where(Contact.company_id == company_id, seen.exists())
        .order_by(Contact.created_at, Contact.id).limit(ROWS_SHOWN)))
    if not needs and not contacts:
        return None
    return CompanyPage(company, contacts, needs, hidden=hidden, more=more)


def _capped_count(where: list) -> int:
    """How many leads match, counted to COUNT_CAP + 1 at most."""
    return int(db.session.scalar(select(func.count()).select_from(
        select(Lead.id).where(*where).limit(COUNT_CAP + 1).subquery())) or 0)


def other_needs(user: User, lead: Lead, limit: int = 20) -> OtherNeeds:
    """The lead's contact's other needs: those the user may view (newest first), and how
    many more there are. Nothing for a lead without a contact (made outside intake)."""
    if lead.contact_id is None or lead.erased_at is not None:
        return OtherNeeds([], 0, 0)
    needs, visible, total = _needs([Lead.contact_id == lead.contact_id, Lead.id != lead.id],
                                   access.viewable_leads(user), limit)
    return OtherNeeds(needs, visible, total - visible)

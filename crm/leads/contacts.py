"""A contact's and a company's pages, read for one user: the needs they may view and what
hangs off those needs (repeats, visits, recommendations, the timeline across needs).

Every list is one statement (by the ids of the visible needs) and bounded, so a contact
with hundreds of needs costs the page as many statements as one with a single need.
Whoever looks, the needs come from a window of the newest ones (need_list) and a company's
contacts from its first ones, so an agent who may see few of a group's needs reads no more
than an admin; only when nothing visible falls in them is the exact access question asked
(a page is a 404 exactly when the user may view none of its needs, as before).
Nothing here reads a need the user may not view: the hidden needs are only counted.
"""
from dataclasses import dataclass, field

from sqlalchemy import case, false, func, select, true
from sqlalchemy.orm import aliased, joinedload, selectinload

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
# A contact or a company can have tens of thousands of needs (a 同行, a group, a park's anchor
# tenant): its page counts the hidden ones up to here ("more than 1000"), so it never reads
# them all.
COUNT_CAP = 1000


@dataclass(frozen=True)
class NeedList:
    """A page's list of needs, the one rule of the contact page, the company page and the lead
    page's other needs: the newest visible ones and how many more there are, read from a window
    of the newest needs (enough rows to list the visible ones and count the hidden ones to the
    cap), so the work is bounded whoever looks, an agent who sees few of them included."""
    needs: list[Lead]                # the newest of the visible ones
    visible: int                     # visible needs in the window
    hidden: int                      # needs in the window the user may not view, to COUNT_CAP + 1
    window_full: bool = False        # older needs exist that were not read

    @property
    def total(self) -> int:
        return self.visible + self.hidden

    @property
    def more(self) -> bool:
        """More visible needs than listed (their own search finds the older ones)."""
        return self.visible > len(self.needs)

    @property
    def hidden_over_cap(self) -> bool:
        """"More than COUNT_CAP needs are followed by other teams"."""
        return self.hidden > COUNT_CAP

    @property
    def hidden_at_least(self) -> bool:
        """The hidden count is a floor: the window filled up with visible needs before it
        reached the cap, and older needs were not read."""
        return self.window_full and not self.hidden_over_cap


class _ListsNeeds:
    """A page whose needs are a NeedList: what its template and callers read of it."""
    listed: NeedList

    @property
    def needs(self) -> list[Lead]:
        return self.listed.needs

    @property
    def hidden(self) -> int:
        """Needs the user may not view (to COUNT_CAP + 1)."""
        return self.listed.hidden


@dataclass
class ContactPage(_ListsNeeds):
    contact: Contact
    listed: NeedList
    full_mobile: bool                # the number in full without a reveal
    repeats: list[InquiryRepeat] = field(default_factory=list)
    visits: list[SiteVisit] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)
    timeline: list[Activity] = field(default_factory=list)

    @property
    def reference_of(self) -> dict[int, str]:
        return {lead.id: lead.reference for lead in self.needs}


@dataclass
class CompanyPage(_ListsNeeds):
    company: Company
    contacts: list[Contact]
    listed: NeedList


def need_list(where: list, scope, shown: int | None = None) -> NeedList:
    """The newest `shown` (NEEDS_SHOWN) needs matching `where` that `scope` (a viewable_leads()
    clause; None: all) lets the user view, with their owners, and the counts a page shows.

    One statement: a window of the newest shown +
    COUNT_CAP + 1 needs on the caller's index (ix_lead_contact_status, ix_lead_company_created),
    each marked visible or not, then the visible ones of the window and its two counts. The
    window is the bound: a scope that lets the user see few needs filters those rows instead
    of walking the index until it finds enough."""
    shown = NEEDS_SHOWN if shown is None else shown
    size = shown + COUNT_CAP + 1
    visible = true() if scope is None else func.coalesce(scope, false())
    window = (select(Lead.id, Lead.created_at, case((visible, 1), else_=0).label("visible"))
              .where(*where, Lead.status.not_in(JUNK_STATUSES))
              .order_by(Lead.created_at.desc(), Lead.id.desc()).limit(size)
              .cte("need_window"))
    counts = select(func.count().label("read"),
                    func.coalesce(func.sum(window.c.visible), 0).label("seen")) \
        .select_from(window).subquery()
    # The rows to list picked from the window first: only they are read in full. Joined to
    # the counts' one row, so there is a row (and one statement) when none is visible.
    listed = (select(window.c.id, window.c.created_at).where(window.c.visible == 1)
              .order_by(window.c.created_at.desc(), window.c.id.desc()).limit(shown).subquery())
    rows = db.session.execute(
        select(counts.c.read, counts.c.seen, Lead).select_from(counts)
        .outerjoin(listed, true()).outerjoin(Lead, Lead.id == listed.c.id)
        .options(joinedload(Lead.assigned_to))
        .order_by(listed.c.created_at.desc(), listed.c.id.desc())).all()
    needs = [row[2] for row in rows if row[2] is not None]
    walked, visible_n = int(rows[0][0]), int(rows[0][1])
    return NeedList(needs, visible=visible_n, hidden=min(walked - visible_n, COUNT_CAP + 1),
                    window_full=walked >= size)


def contact_page(user: User, contact_id: int) -> ContactPage | None:
    """None when the user may view none of the contact's needs (the view answers 404)."""
    contact = db.session.get(Contact, contact_id, options=[joinedload(Contact.company)])
    if contact is None:
        return None
    listed = need_list([Lead.contact_id == contact_id], access.viewable_leads(user))
    # Nothing visible in the window: the page is there only if an older need is.
    if not listed.needs and not (listed.window_full and access.can_view_contact(user, contact_id)):
        return None
    needs = listed.needs
    page = ContactPage(contact, listed, full_mobile=access.can_see_contact_mobile(user, needs))
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
    # The newest needs on ix_lead_company_created, bounded whatever the company's size.
    listed = need_list([Lead.company_id == company_id], scope)
    # A contact of the company shows when one of their needs (for any company) is visible;
    # the first ones on ix_contact_company_created, no more of them looked at than the
    # window of needs, however few the user may see.
    walk = ROWS_SHOWN + COUNT_CAP
    walked = (select(Contact).where(Contact.company_id == company_id)
              .order_by(Contact.created_at, Contact.id).limit(walk).subquery())
    person = aliased(Contact, walked)
    contacts = list(db.session.scalars(
        select(person)
        .where(_viewable(select(Lead.id).where(Lead.contact_id == person.id), scope).exists())
        .order_by(person.created_at, person.id).limit(ROWS_SHOWN)))
    if not listed.needs and not contacts:
        # Nothing visible in either window: the page is there only if something older is.
        cut = listed.window_full or db.session.scalar(
            select(func.count()).select_from(walked)) == walk
        if not (cut and _may_view_company(company_id, scope)):
            return None
    return CompanyPage(company, contacts, listed)


def _viewable(stmt, scope):
    """`stmt` on Lead kept to the needs (spam and merged rows are none) `scope` lets one view."""
    stmt = stmt.where(Lead.status.not_in(JUNK_STATUSES))
    return stmt if scope is None else stmt.where(scope)


def _may_view_company(company_id: int, scope) -> bool:
    """The exact question the windows could not answer (nothing visible among the newest
    rows of a big company): a visible need of the company or of one of its contacts."""
    of_company = _viewable(select(Lead.id).where(Lead.company_id == company_id), scope)
    of_contacts = _viewable(select(Lead.id).join(Contact, Contact.id == Lead.contact_id)
                            .where(Contact.company_id == company_id), scope)
    return bool(db.session.scalar(select(of_company.exists() | of_contacts.exists())))


def other_needs(user: User, lead: Lead, limit: int = 20) -> NeedList:
    """The lead's contact's other needs: those the user may view (newest first), and how
    many more there are. Nothing for a lead without a contact (made outside intake)."""
    if lead.contact_id is None or lead.erased_at is not None:
        return NeedList([], 0, 0)
    return need_list([Lead.contact_id == lead.contact_id, Lead.id != lead.id],
                     access.viewable_leads(user), limit)

"""Site visits (看厂): schedule one, remind the agents going, take the prospect's verdict.

Scheduling moves the lead to the site_visit stage when the stage rules allow it; feedback
marks the visit done, records each listing as visited, and moves the lead on to
negotiating when something was liked. Every step lands on the lead's timeline.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from crm.extensions import db, rows_changed
from crm.formatting import local_time
from crm.i18n import default_locale
from crm.leads import followup, recommend, scoring
from crm.listings import inventory, matching
from crm.models import (
    Activity,
    Lead,
    LeadListing,
    Listing,
    Role,
    SiteVisit,
    SiteVisitListing,
    User,
    VisitRequest,
)
from crm.models.types import utcnow
from crm.notifications import outbox


@dataclass
class Plan:
    starts_at: datetime
    duration_minutes: int
    meeting_point: str
    map_url: str
    listings: list[Listing]
    attendees: list[User]


@dataclass(frozen=True)
class Candidates:
    """What a site-visit form offers for one lead."""
    listings: list[Listing]
    attendees: list[User]


def candidates(lead: Lead, user: User) -> Candidates:
    """The listings a visit may take the prospect to: those recommended, those linked, and
    while the lead is open its five best matches, each once, in that order. Who may go:
    the active agents and managers of the lead's team, the owner's and `user`'s, with
    `user` and the owner first (even from another team or inactive)."""
    seen: dict[int, Listing] = {}
    for rec in recommend.of_lead(lead):
        for x in rec.listings:
            seen.setdefault(x.id, x)
    for link in inventory.links_of_lead(lead):
        seen.setdefault(link.listing_id, link.listing)
    for m in matching.rank(lead)[:5] if lead.is_open else []:
        seen.setdefault(m.listing.id, m.listing)
    owner = lead.assigned_to
    team_ids = {lead.team_id, user.team_id, owner.team_id if owner else None} - {None}
    people = list(db.session.scalars(
        select(User).where(User.active.is_(True), User.team_id.in_(team_ids),
                           User.role.in_((Role.AGENT, Role.MANAGER))).order_by(User.name)))
    for person in (user, owner):
        if person is not None and person not in people:
            people.insert(0, person)
    return Candidates(listings=list(seen.values()), attendees=people)


def _titles(listings) -> str:
    return "; ".join(f"#{x.id} {x.title}" for x in listings)


def schedule(lead: Lead, author: User, plan: Plan,
             request: VisitRequest | None = None) -> SiteVisit:
    now = utcnow()
    visit = SiteVisit(lead_id=lead.id, starts_at=plan.starts_at,
                      duration_minutes=plan.duration_minutes,
                      meeting_point=plan.meeting_point.strip()[:200],
                      map_url=plan.map_url.strip()[:500], created_by_id=author.id,
                      created_at=now, attendees=list(dict.fromkeys(plan.attendees)))
    visit.stops = [SiteVisitListing(listing_id=x.id, position=i)
                   for i, x in enumerate(dict.fromkeys(plan.listings))]
    db.session.add(visit)
    db.session.flush()
    if request is not None:
        request.site_visit_id = visit.id
    with default_locale():
        body = gettext("Site visit on %(when)s, meet at %(where)s: %(titles)s",
                       when=local_time(visit.starts_at), where=visit.meeting_point or "—",
                       titles=_titles(plan.listings))
    db.session.add(Activity(lead_id=lead.id, kind="visit_scheduled", author_id=author.id,
                            body=body, created_at=now))
    followup.advance(lead, author, "site_visit", now)
    scoring.refresh(lead)
    db.session.commit()
    return visit


def cancel(visit: SiteVisit, author: User) -> bool:
    if visit.status != "scheduled":
        return False
    visit.status = "cancelled"
    with default_locale():
        body = gettext("Site visit of %(when)s cancelled", when=local_time(visit.starts_at))
    db.session.add(Activity(lead_id=visit.lead_id, kind="visit_scheduled", author_id=author.id,
                            body=body, created_at=utcnow()))
    db.session.commit()
    return True


def record_feedback(visit: SiteVisit, author: User,
                    verdicts: dict[int, tuple[bool | None, str]]) -> bool:
    """The prospect's verdict per listing seen (liked or not, and why): the visit is done,
    the listings count as visited, and a liked one moves the lead on to negotiating."""
    now = utcnow()
    if visit.status == "cancelled" or visit.starts_at > now:   # nobody has seen anything yet
        return False
    lead = visit.lead
    lines = []
    for stop in visit.stops:
        liked, reason = verdicts.get(stop.listing_id, (None, ""))
        stop.liked, stop.reason = liked, (reason or "").strip()[:300]
        with default_locale():
            verdict = gettext("liked") if liked else (
                gettext("not liked") if liked is False else gettext("no verdict"))
        lines.append(f"#{stop.listing_id} {stop.listing.title}: {verdict}"
                     + (f" ({stop.reason})" if stop.reason else ""))
    visit.status, visit.feedback_at = "done", now
    dialect = db.session.get_bind().dialect.name
    insert_once = postgresql.insert if dialect == "postgresql" else sqlite.insert
    if visit.stops:
        db.session.execute(
            insert_once(LeadListing).values([
                {"lead_id": lead.id, "listing_id": s.listing_id, "kind": "site_visit",
                 "author_id": author.id, "created_at": now} for s in visit.stops])
            .on_conflict_do_nothing(index_elements=["lead_id", "listing_id", "kind"]))
    with default_locale():
        body = gettext("Site visit of %(when)s done", when=local_time(visit.starts_at))
    db.session.add(Activity(lead_id=lead.id, kind="visit_feedback", author_id=author.id,
                            body="\n".join([body, *lines]), created_at=now))
    if any(s.liked for s in visit.stops):
        followup.advance(lead, author, "negotiating", now)
    scoring.refresh(lead)
    db.session.commit()
    return True


def of_lead(lead: Lead) -> list[SiteVisit]:
    return list(db.session.scalars(
        select(SiteVisit).options(selectinload(SiteVisit.stops).joinedload(SiteVisitListing.listing),
                                  selectinload(SiteVisit.attendees))
        .where(SiteVisit.lead_id == lead.id).order_by(SiteVisit.starts_at.desc())))


# --- reminders (beat) --------------------------------------------------------------------

def send_reminders(now: datetime | None = None) -> int:
    """Remind the agents going on each visit starting within CRM_VISIT_REMINDER_MINUTES.
    Each visit is claimed with one conditional UPDATE (reminder_sent_at IS NULL), so two
    beat runs or two workers never remind twice."""
    now = now or utcnow()
    ahead = now + timedelta(minutes=current_app.config["CRM_VISIT_REMINDER_MINUTES"])
    ids = list(db.session.scalars(
        select(SiteVisit.id).where(SiteVisit.reminder_sent_at.is_(None),
                                   SiteVisit.status == "scheduled",
                                   SiteVisit.starts_at <= ahead, SiteVisit.starts_at > now)
        .order_by(SiteVisit.starts_at).limit(500)))
    done = 0
    for visit_id in ids:
        claimed = rows_changed(db.session.execute(
            update(SiteVisit).where(SiteVisit.id == visit_id, SiteVisit.reminder_sent_at.is_(None))
            .values(reminder_sent_at=now).execution_options(synchronize_session=False)))
        if not claimed:
            db.session.rollback()
            continue
        visit = db.session.get_one(SiteVisit, visit_id)
        lead = visit.lead
        people = visit.attendees or [u for u in (lead.assigned_to,) if u is not None]
        with default_locale():
            extra = gettext("Site visit at %(when)s, meet at %(where)s: %(titles)s",
                            when=local_time(visit.starts_at, "%m-%d %H:%M"),
                            where=visit.meeting_point or "—",
                            titles=_titles(s.listing for s in visit.stops))
        notes = outbox.queue_event(lead, "visit_reminder", [u for u in people if u.active],
                                   extra=extra, key=str(visit.id))
        db.session.commit()
        outbox.send_soon(notes)
        done += 1
    return done


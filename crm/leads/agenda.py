"""An agent's agenda (site visits and follow-ups, in time order) and their private
iCalendar feed. A manager's agenda holds their team's (crm.access.managed_users_clause).

The feed names a lead by its reference and company, never the prospect's mobile or name.
Its URL carries a random token; only the token's SHA-256 is stored, so a leaked database
does not open anyone's feed, and regenerating it ends the old URL.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload

from crm import access
from crm.choices import OPEN_STATUSES
from crm.extensions import db
from crm.i18n import default_locale
from crm.inputs import tokens
from crm.models import Lead, Role, SiteVisit, SiteVisitListing, User
from crm.models.types import utcnow
from crm.models.visit import site_visit_attendee


@dataclass
class Item:
    kind: str  # "visit" or "follow_up"
    at: datetime | None  # None: a follow-up with a day only
    day: date
    lead: Lead
    visit: SiteVisit | None = None

    @property
    def sort_key(self):
        return (self.day, self.at is None, self.at.timestamp() if self.at else 0, self.lead.id)


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["CRM_TIMEZONE"])


def _people(user: User):
    """The ids whose agenda `user` sees, as a subquery (admin: everyone)."""
    if user.role in (Role.MANAGER, Role.ADMIN):
        return select(User.id).where(access.managed_users_clause(user)).scalar_subquery()
    return select(User.id).where(User.id == user.id).scalar_subquery()


def _visits(user: User, start: datetime, end: datetime, statuses=("scheduled", "done")):
    goes = select(site_visit_attendee.c.site_visit_id).where(
        site_visit_attendee.c.user_id.in_(_people(user)))
    return list(db.session.scalars(
        select(SiteVisit).join(Lead, Lead.id == SiteVisit.lead_id)
        .options(selectinload(SiteVisit.stops).joinedload(SiteVisitListing.listing),
                 selectinload(SiteVisit.attendees), joinedload(SiteVisit.lead))
        .where(SiteVisit.starts_at >= start, SiteVisit.starts_at < end,
               SiteVisit.status.in_(statuses),
               or_(SiteVisit.id.in_(goes), Lead.assigned_to_id.in_(_people(user))))
        .order_by(SiteVisit.starts_at)))


def _follow_ups(user: User, first: date, last: date) -> list[Lead]:
    return list(db.session.scalars(
        select(Lead).where(Lead.assigned_to_id.in_(_people(user)),
                           Lead.status.in_(OPEN_STATUSES),
                           Lead.next_follow_up_on >= first, Lead.next_follow_up_on <= last)
        .options(joinedload(Lead.assigned_to))
        .order_by(Lead.next_follow_up_on, Lead.next_follow_up_at)))


def agenda(user: User, first: date, days: int) -> dict[date, list[Item]]:
    """Every day from `first` for `days` days, each with its visits and follow-ups in time
    order (follow-ups with no time after the timed ones). Overdue follow-ups of earlier
    days come first, under `first`."""
    tz = _tz()
    last = first + timedelta(days=days - 1)
    start = datetime.combine(first, time.min, tz)
    end = datetime.combine(last + timedelta(days=1), time.min, tz)
    items = [Item("visit", v.starts_at, v.starts_at.astimezone(tz).date(), v.lead, v)
             for v in _visits(user, start, end)]
    overdue_from = first - timedelta(days=60)
    for lead in _follow_ups(user, overdue_from, last):
        assert lead.next_follow_up_on is not None  # the query's day range leaves NULL out
        items.append(Item("follow_up", lead.next_follow_up_at,
                          max(lead.next_follow_up_on, first), lead))
    out: dict[date, list[Item]] = {first + timedelta(days=i): [] for i in range(days)}
    for item in sorted(items, key=lambda i: i.sort_key):
        out[item.day].append(item)
    return out


# --- the calendar feed -------------------------------------------------------------------

def regenerate_feed_token(user: User) -> str:
    """A new feed URL token for `user` (the old one stops working); shown once."""
    token = tokens.new_token()
    user.calendar_token_hash = tokens.digest(token)
    db.session.commit()
    return token


def revoke_feed_token(user: User) -> None:
    user.calendar_token_hash = None
    db.session.commit()


def user_for_feed(token: str) -> User | None:
    if not token or len(token) > 100:
        return None
    user = db.session.scalars(select(User).where(User.calendar_token_hash == tokens.digest(token))).first()
    return user if user is not None and user.active else None


# The feed's alarms: a visit needs the drive to the park, a follow-up a moment's notice.
VISIT_REMINDER, FOLLOW_UP_REMINDER = timedelta(hours=1), timedelta(minutes=10)


def feed(user: User, host: str) -> bytes:
    """The user's visits (from 30 days ago on) and timed follow-ups as iCalendar."""
    from icalendar import Alarm, Calendar, Event  # only for a calendar app fetching the feed

    def remind(event: Event, before: timedelta, text: str) -> None:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", text)
        alarm.add("trigger", -before)
        event.add_component(alarm)

    now = utcnow()
    tz = _tz()
    cal = Calendar()
    cal.add("prodid", "-//Changfang CRM//visits//ZH")
    cal.add("version", "2.0")
    cal.add("x-wr-timezone", str(tz))
    with default_locale():
        cal.add("x-wr-calname", gettext("Changfang CRM: %(name)s", name=user.name))
        for visit in _visits(user, now - timedelta(days=30), now + timedelta(days=366)):
            lead = visit.lead
            event = Event()
            event.add("uid", f"site-visit-{visit.id}@{host}")
            event.add("dtstamp", now)
            event.add("dtstart", visit.starts_at.astimezone(tz))
            event.add("dtend", visit.ends_at.astimezone(tz))
            event.add("summary", gettext("Site visit: %(company)s (%(ref)s)",
                                         company=lead.company or "—", ref=lead.reference))
            if visit.meeting_point:
                event.add("location", visit.meeting_point)
            lines = [f"#{s.listing_id} {s.listing.title}" for s in visit.stops]
            if visit.map_url:
                lines.append(visit.map_url)
            lines.append(f"{current_app.config['CRM_BASE_URL'].rstrip('/')}/agent/leads/{lead.id}")
            event.add("description", "\n".join(lines))
            event.add("status", "CONFIRMED")
            remind(event, VISIT_REMINDER, str(event["summary"]))  # time to drive there
            cal.add_component(event)
        timed = db.session.scalars(
            select(Lead).where(Lead.assigned_to_id.in_(_people(user)),
                               Lead.status.in_(OPEN_STATUSES),
                               Lead.next_follow_up_at >= now - timedelta(days=7),
                               # the visits' horizon; also keeps a far-stored moment out
                               Lead.next_follow_up_at < now + timedelta(days=366))
            .order_by(Lead.next_follow_up_at))
        for lead in timed:
            assert lead.next_follow_up_at is not None  # the query's range leaves NULL out
            event = Event()
            # One per lead: a lead has one next follow-up, so moving it moves the event.
            event.add("uid", f"follow-up-{lead.id}@{host}")
            event.add("dtstamp", now)
            event.add("dtstart", lead.next_follow_up_at.astimezone(tz))
            event.add("dtend", lead.next_follow_up_at.astimezone(tz) + timedelta(minutes=15))
            event.add("summary", gettext("Follow up: %(company)s (%(ref)s)",
                                         company=lead.company or "—", ref=lead.reference))
            event.add("description",
                      f"{current_app.config['CRM_BASE_URL'].rstrip('/')}/agent/leads/{lead.id}")
            remind(event, FOLLOW_UP_REMINDER, str(event["summary"]))
            cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()

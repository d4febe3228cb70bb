"""First-contact discipline: half-time reminders, breach alerts, reassignment."""
import logging
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext
from sqlalchemy import ColumnElement, and_, func, or_, select

from crm.choices import OPEN_STATUSES
from crm.extensions import db
from crm.i18n import default_locale
from crm.models import Activity, Lead
from crm.models.types import utcnow
from crm.notifications import outbox
from crm.routing import engine
from crm.workdays import days

log = logging.getLogger(__name__)


def _uncontacted():
    return select(Lead.id).where(Lead.first_contact_at.is_(None), Lead.sla_due_at.is_not(None),
                                 Lead.assigned_to_id.is_not(None), Lead.status.in_(OPEN_STATUSES))


def _locked(lead_id: int) -> Lead | None:
    return db.session.scalars(
        select(Lead).where(Lead.id == lead_id).with_for_update(skip_locked=True)).first()


def remind_half_time(now: datetime | None = None) -> int:
    def remind(lead: Lead) -> tuple[list[int], None]:
        return outbox.queue_event(lead, "sla_half", [lead.assigned_to]), None
    return _claim_each(Lead.sla_reminded_at, Lead.sla_half_at, now or utcnow(), remind)


def handle_breaches(now: datetime | None = None) -> int:
    now = now or utcnow()

    def breach(lead: Lead) -> tuple[list[int], Callable[[], None] | None]:
        agent = lead.assigned_to
        with default_locale():
            note = gettext("First-contact deadline passed without contact (%(agent)s).",
                           agent=agent.name if agent else "—")
        db.session.add(Activity(lead_id=lead.id, kind="note", body=note, created_at=now))
        managers = engine.team_managers(lead.team) if lead.team else []
        notes = outbox.queue_event(lead, "sla_breach", managers, team=lead.team)
        if lead.rule is None or not lead.rule.reassign_on_breach:
            return notes, None

        def reassign() -> None:
            with default_locale():
                reason = gettext("first-contact deadline passed")
            engine.reassign(lead, reason)
        return notes, reassign
    return _claim_each(Lead.sla_breached_at, Lead.sla_due_at, now, breach)


def _claim_each(stamp, deadline, now: datetime,
                act: Callable[[Lead], tuple[list[int], Callable[[], None] | None]]) -> int:
    """Each uncontacted lead whose `deadline` has passed and `stamp` is unset: locked, checked
    again under the lock (another worker may have claimed or a contact logged), stamped, and
    `act` queues its notifications; committed one lead at a time, then sent, then `act`'s
    follow-up (if any) runs outside that transaction."""
    ids = list(db.session.scalars(_uncontacted().where(stamp.is_(None), deadline <= now).limit(500)))
    done = 0
    for lead_id in ids:
        lead = _locked(lead_id)
        if lead is None or getattr(lead, stamp.key) is not None or lead.first_contact_at is not None:
            db.session.rollback()
            continue
        setattr(lead, stamp.key, now)
        notes, then = act(lead)
        db.session.commit()
        outbox.send_soon(notes)
        if then is not None:
            then()
        done += 1
    return done


_DEADLINE = ("sla_half_at", "sla_due_at", "sla_provisional")


def recompute_deadlines(changed: list[date] | None = None, now: datetime | None = None) -> int:
    """The working calendar changed (`changed`: the days whose meaning changed). Leads still
    waiting for their first contact whose deadline window touches a changed day, or whose
    deadline was provisional, get deadlines recomputed from the same start.

    With no days (the hourly beat run) every deadline still ahead and every provisional one
    is checked, so a change whose task was lost (broker down) is caught within the hour.
    Idempotent: a lead whose deadlines come out the same is not written; contacted or
    closed leads are never touched."""
    days.forget()  # this process may hold an older copy of the calendar
    now = now or utcnow()
    tz = ZoneInfo(current_app.config["CRM_TIMEZONE"])
    started = func.coalesce(Lead.sla_started_at, Lead.assigned_at, Lead.created_at)
    touched: ColumnElement[bool] = Lead.sla_provisional.is_(True)
    if changed:
        # A calendar day at the edge of what a date holds (year 1, 9999: stored before far
        # days were refused) must not overflow the window; no deadline lies out there.
        lo = datetime.combine(max(min(changed), date.min + timedelta(days=1)), time.min, tz)
        hi = datetime.combine(min(max(changed), date.max - timedelta(days=1))
                              + timedelta(days=1), time.min, tz)
        touched = or_(touched, and_(Lead.sla_due_at >= lo, started < hi))
    else:
        touched = or_(touched, Lead.sla_due_at >= now)
    ids = list(db.session.scalars(_uncontacted().where(touched).order_by(Lead.id)))
    moved = 0
    for lead_id in ids:
        if not _differs(db.session.get(Lead, lead_id)):
            continue  # read without a lock; most leads come out the same
        lead = _locked(lead_id)
        if lead is None or lead.first_contact_at is not None or lead.sla_due_at is None:
            db.session.rollback()
            continue
        new = _deadlines(lead)
        old_due = lead.sla_due_at
        lead.sla_started_at = lead.sla_started_at or new["sla_started_at"]
        for name in _DEADLINE:
            setattr(lead, name, new[name])
        if lead.sla_breached_at is not None and new["sla_due_at"] > now:
            lead.sla_breached_at = None   # the breach was counted on a holiday that was not
        if lead.sla_reminded_at is not None and new["sla_half_at"] > now:
            lead.sla_reminded_at = None
        if new["sla_due_at"] != old_due:
            with default_locale():
                note = gettext("Working calendar changed: first-contact deadline moved from "
                               "%(old)s to %(new)s.", old=_local(old_due, tz),
                               new=_local(new["sla_due_at"], tz))
            db.session.add(Activity(lead_id=lead.id, kind="note", body=note, created_at=now))
        db.session.commit()
        moved += 1
    if moved:
        log.info("calendar check moved %d first-contact deadlines", moved)
    return moved


def _deadlines(lead: Lead) -> dict:
    start = lead.sla_started_at or lead.assigned_at or lead.created_at
    return engine.sla_deadlines(start, engine.lead_sla_minutes(lead), lead.team)


def _differs(lead: Lead | None) -> bool:
    if lead is None or lead.sla_due_at is None:
        return False
    new = _deadlines(lead)
    return any(getattr(lead, name) != new[name] for name in _DEADLINE)


def _local(at: datetime, tz) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M")

"""What agents do to a lead: log a follow-up, move its stage; the follow-up reminders."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from crm.choices import CONTACT_KINDS, JUNK_STATUSES, OPEN_STATUSES, UNREACHED_OUTCOMES
from crm.extensions import db
from crm.formatting import local_date, local_time
from crm.i18n import default_locale
from crm.leads import scoring, stages
from crm.listings import occupancy
from crm.models import Activity, Deal, Lead, Listing, LostReason, User
from crm.models.types import utcnow
from crm.notifications import outbox
from crm.privacy import audit


class StageError(ValueError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def log_follow_up(lead: Lead, author: User, kind: str, body: str,
                  next_follow_up: date | None = None, outcome: str | None = None,
                  next_follow_up_at: datetime | None = None) -> Activity:
    """`next_follow_up` is the local day of the next follow-up; `next_follow_up_at` its
    moment, when a time of day was given (the day is then taken from it)."""
    now = utcnow()
    if next_follow_up_at is not None:
        next_follow_up = local_date(next_follow_up_at)
    activity = Activity(lead_id=lead.id, kind=kind, author_id=author.id, body=body,
                        outcome=outcome or None, next_follow_up=next_follow_up,
                        next_follow_up_at=next_follow_up_at, created_at=now)
    db.session.add(activity)
    if next_follow_up is not None:
        lead.next_follow_up_on = next_follow_up
        lead.next_follow_up_at = next_follow_up_at
    if kind in CONTACT_KINDS and lead.first_contact_at is None:
        # The first-contact clock measures the agent's reaction, so an attempt counts.
        lead.first_contact_at = now
    # Reaching the prospect moves a new lead along without an extra click.
    if kind in CONTACT_KINDS and lead.status == "new" and outcome not in UNREACHED_OUTCOMES:
        _record_status(lead, author, "contacted", now)
    scoring.refresh(lead)
    db.session.commit()
    return activity


# A need is won by recording what was signed (crm.leads.deals.sign), never by a bare move.
WON_NEEDS_DEAL = _l("A need is marked won by recording its deal: please use the deal form.")


# A need with a signed deal leaves won only when its contract falls through (the deal page).
SIGNED_DEAL_KEEPS_WON = _l("This need has a signed deal: if the contract fell through, "
                           "record it on the deal form.")


def _has_signed_deal(lead: Lead) -> bool:
    return db.session.scalar(select(Deal.id).where(Deal.lead_id == lead.id,
                                                   Deal.status == "signed").limit(1)) is not None


def change_status(lead: Lead, author: User, new_status: str, lost_reason: str | None = "",
                  lost_reason_id: int | None = None, *, deal: Deal | None = None,
                  reserve: Listing | None = None) -> None:
    """Move a need to `new_status`. Won only with the `deal` that crm.leads.deals.sign()
    has just built (in this transaction); negotiating may reserve a listing the agent chose
    to reserve (`reserve`, asked on the form, never silent)."""
    note = (lost_reason or "").strip()[:200]
    if new_status == "won" and deal is None:
        raise StageError(WON_NEEDS_DEAL)
    if lead.status == "won" and _has_signed_deal(lead):
        raise StageError(SIGNED_DEAL_KEEPS_WON)
    if not stages.can_move(lead.status, new_status):
        raise StageError(_l("A lead cannot move from this stage to the one chosen."))
    reason = None
    if new_status == "lost":
        reason = db.session.get(LostReason, lost_reason_id) if lost_reason_id else None
        if reason is None or not reason.active:
            raise StageError(_l("Please give the reason the lead was lost."))
    now = utcnow()
    old = {"status": lead.status, "lost_reason_id": lead.lost_reason_id}
    reopening = stages.is_reopen(lead.status, new_status)
    body = note  # the note typed with the move is kept in the history, whatever the stage
    if new_status == "lost":
        assert reason is not None  # checked above: a lost lead names an active reason
        lead.lost_reason_id = reason.id
        lead.lost_reason = note
        body = reason.name + (f": {note}" if note else "")
    elif reopening:
        lead.lost_reason_id = None
        lead.lost_reason = ""
        with default_locale():
            body = gettext("Reopened") + (f": {note}" if note else "")
    _record_status(lead, author, new_status, now, body=body)
    audit.record(author, "reopen" if reopening else "status_change", "lead", lead.id, old,
                 {"status": new_status, "lost_reason_id": lead.lost_reason_id})
    if reserve is not None and new_status == "negotiating":
        occupancy.reserve(reserve, author)
    scoring.refresh(lead)
    db.session.commit()


def advance(lead: Lead, author: User, new_status: str, when: datetime, body: str = "") -> bool:
    """Move the lead to `new_status` if the stage rules allow it from where it is (a visit
    scheduled, a listing liked); otherwise leave it. The caller commits."""
    if new_status == "won" or lead.status == new_status \
            or not stages.can_move(lead.status, new_status):
        return False  # won: only with its deal (change_status)
    old = lead.status
    _record_status(lead, author, new_status, when, body=body)
    audit.record(author, "status_change", "lead", lead.id, {"status": old},
                 {"status": new_status})
    return True


def _record_status(lead: Lead, author: User, new_status: str, when, body: str = "") -> None:
    db.session.add(Activity(lead_id=lead.id, kind="status_change", author_id=author.id,
                            from_status=lead.status, to_status=new_status, body=body,
                            created_at=when))
    counted = (lead.status in JUNK_STATUSES) != (new_status in JUNK_STATUSES)
    lead.status = new_status
    stages.record(lead, new_status, when)
    if counted and lead.contact_id is not None:
        # Spam released, or a need taken for spam: it counts among its contact's needs
        # now, or no longer, so they are numbered again (never two with one number).
        renumber(lead.contact_id)


def renumber(contact_id: int) -> None:
    """contact_seq of a contact's needs again: 1 + the non-junk needs before each (by time),
    as capture and the migration number them. A contact has few needs: read whole."""
    before = 0
    for need in db.session.scalars(select(Lead).where(Lead.contact_id == contact_id)
                                   .order_by(Lead.created_at, Lead.id)):
        if need.contact_seq != before + 1:
            need.contact_seq = min(before + 1, 32767)
        if need.status not in JUNK_STATUSES:
            before += 1


def remind_follow_ups(now: datetime | None = None, today: date | None = None) -> int:
    """Tell each owner of a follow-up coming due, once per day or moment set: a date-only
    one on its (local) day, one with a time of day CRM_FOLLOW_UP_REMINDER_MINUTES before it."""
    now = now or utcnow()
    today = today or now.astimezone(ZoneInfo(current_app.config["CRM_TIMEZONE"])).date()
    ids = []
    for lead in _due_on(today):
        assert lead.next_follow_up_on is not None  # _due_on() selects the leads that have one
        ids += outbox.queue_event(lead, "follow_up_due", [lead.assigned_to],
                                  key=lead.next_follow_up_on.isoformat())
    for lead in _due_at(now):
        assert lead.next_follow_up_at is not None  # _due_at() selects the leads that have one
        with default_locale():
            extra = gettext("Follow-up at %(when)s", when=local_time(lead.next_follow_up_at))
        ids += outbox.queue_event(lead, "follow_up_due", [lead.assigned_to], extra=extra,
                                  key=lead.next_follow_up_at.isoformat())
    db.session.commit()
    outbox.send_soon(ids)
    return len(ids)


def _owned_open():
    return select(Lead).where(Lead.status.in_(OPEN_STATUSES), Lead.assigned_to_id.is_not(None))


def _due_on(today: date) -> list[Lead]:
    # One with a time of day is reminded before its moment instead (_due_at).
    return list(db.session.scalars(_owned_open().where(
        Lead.next_follow_up_on <= today, Lead.next_follow_up_at.is_(None)).limit(1000)))


def _due_at(now: datetime) -> list[Lead]:
    ahead = now + timedelta(minutes=current_app.config["CRM_FOLLOW_UP_REMINDER_MINUTES"])
    # Only what comes due now: follow-ups long overdue are in the queue's overdue tab, and
    # without a lower bound they would fill every run's batch and starve the new ones.
    since = now - timedelta(hours=1)
    return list(db.session.scalars(_owned_open().where(
        Lead.next_follow_up_at > since, Lead.next_follow_up_at <= ahead)
        .order_by(Lead.next_follow_up_at).limit(1000)))

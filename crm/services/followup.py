"""What agents do to a lead: log a follow-up, move its stage."""
from datetime import date

from flask_babel import lazy_gettext as _l

from crm.choices import CONTACT_KINDS
from crm.extensions import db
from crm.models import Activity, Lead, User
from crm.models.types import utcnow
from crm.services import stage_history, stages


class StageError(ValueError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def log_follow_up(lead: Lead, author: User, kind: str, body: str,
                  next_follow_up: date | None = None) -> Activity:
    now = utcnow()
    activity = Activity(lead_id=lead.id, kind=kind, author_id=author.id, body=body,
                        next_follow_up=next_follow_up, created_at=now)
    db.session.add(activity)
    if next_follow_up is not None:
        lead.next_follow_up_on = next_follow_up
    if kind in CONTACT_KINDS and lead.first_contact_at is None:
        lead.first_contact_at = now
        # Reaching the prospect moves a new lead along without an extra click.
        if lead.status == "new":
            _record_status(lead, author, "contacted", now)
    db.session.commit()
    return activity


def change_status(lead: Lead, author: User, new_status: str, lost_reason: str | None = "") -> None:
    lost_reason = lost_reason or ""
    if not stages.can_move(lead.status, new_status):
        raise StageError(_l("A lead cannot move from this stage to the one chosen."))
    if new_status == "lost" and not lost_reason.strip():
        raise StageError(_l("Please give the reason the lead was lost."))
    now = utcnow()
    if new_status == "lost":
        lead.lost_reason = lost_reason.strip()[:200]
    _record_status(lead, author, new_status, now, body=lead.lost_reason if new_status == "lost" else "")
    db.session.commit()


def _record_status(lead: Lead, author: User, new_status: str, when, body: str = "") -> None:
    db.session.add(Activity(lead_id=lead.id, kind="status_change", author_id=author.id,
                            from_status=lead.status, to_status=new_status, body=body,
                            created_at=when))
    lead.status = new_status
    stage_history.record(lead, new_status, when)

"""A prospect calls and quotes their reference number: whoever answers finds the lead by
that exact number, sees a card without the contact details (owner, stage, need), and can
tell the owner, who calls back. A reference is only ever matched whole, so the card cannot
be used to browse other people's leads."""
import re

from flask_babel import gettext
from sqlalchemy import select

from crm.extensions import db
from crm.i18n import default_locale
from crm.models import Activity, InquiryRepeat, Lead, User
from crm.models.types import utcnow
from crm.notifications import outbox
from crm.privacy import audit
from crm.routing import engine

# The shape of every reference ever issued (older ones and imports used digits too).
REFERENCE = re.compile(r"CF\d{6}-[0-9A-Z]{5}")


def by_reference(typed: str) -> Lead | None:
    """The lead a reference names (a repeat inquiry's own reference leads to its first
    lead; a merged lead to the one it was merged into), or None."""
    ref = re.sub(r"\s", "", typed or "").upper()
    if not REFERENCE.fullmatch(ref):
        return None
    lead = db.session.scalars(select(Lead).where(Lead.reference == ref)).first()
    if lead is None:
        original = db.session.scalars(select(InquiryRepeat.original_lead_id)
                                      .where(InquiryRepeat.reference == ref)).first()
        lead = db.session.get(Lead, original) if original else None
    if lead is not None and lead.merged_into_id:
        lead = db.session.get(Lead, lead.merged_into_id) or lead
    return None if lead is None or lead.erased_at is not None else lead


def tell_owner(lead: Lead, caller: User) -> bool:
    """Note on the lead that the prospect called `caller`, and notify the owner (or, for a
    lead nobody holds, the team's managers). False when there is nobody to tell."""
    people = [lead.assigned_to] if lead.assigned_to is not None else (
        engine.team_managers(lead.team) if lead.team else [])
    if not people:
        return False
    now = utcnow()
    with default_locale():
        note = gettext("The prospect called %(agent)s and quoted %(ref)s; the owner was told "
                       "to call back.", agent=caller.name, ref=lead.reference)
    db.session.add(Activity(lead_id=lead.id, kind="note", author_id=caller.id, body=note,
                            created_at=now))
    ids = outbox.queue_event(lead, "caller_waiting", people, extra=note,
                             key=str(int(now.timestamp())))
    audit.record(caller, "tell_owner", "lead", lead.id)
    db.session.commit()
    outbox.send_soon(ids)
    return True

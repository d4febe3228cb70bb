"""Listings sent to a prospect on a private page (/r/<token>): send, revoke, count opens,
take visit requests. Each counted open and each request lands on the lead's timeline,
raises its score and tells the agent (crm.notifications.outbox).

The page names the listings and the agent, never the prospect: its token is the only key,
unguessable and ending at `expires_at` or when revoked. The token is not stored: the row
keeps its SHA-256 (to find the page) and a random nonce; the token is the nonce's HMAC under
the SECRET_KEY, so staff can copy the link again, and a copy of the database alone opens none.
"""
import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext
from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from crm import access
from crm.extensions import db, rows_changed
from crm.formatting import local_time
from crm.i18n import default_locale
from crm.inputs import tokens
from crm.leads import scoring
from crm.models import Activity, Lead, LeadListing, Listing, Recommendation, User, VisitRequest
from crm.models.types import utcnow
from crm.models.visit import recommendation_listing, visit_request_listing
from crm.notifications import outbox

MAX_LISTINGS = 12


class RecommendError(ValueError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def _derive(nonce: str) -> str:
    key = current_app.secret_key
    key = key if isinstance(key, bytes) else str(key).encode()
    mac = hmac.new(key, f"recommendation-link:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def link_token(rec: Recommendation) -> str | None:
    """The token of the page's link, for staff to copy again; None for a link made before
    tokens were hashed (shown once when sent) or under another SECRET_KEY."""
    if not rec.token_nonce:
        return None
    token = _derive(rec.token_nonce)
    return token if hmac.compare_digest(tokens.digest(token), rec.token_hash) else None


def send(lead: Lead, agent: User, listings: list[Listing]) -> Recommendation:
    """A private page with these listings (in this order) for the lead's prospect; each is
    recorded as recommended to the lead too."""
    if not listings:
        raise RecommendError(gettext("Please pick at least one listing."))
    now = utcnow()
    days = current_app.config["CRM_RECOMMENDATION_DAYS"]
    nonce = secrets.token_hex(16)
    rec = Recommendation(lead_id=lead.id, agent_id=agent.id, token_nonce=nonce,
                         token_hash=tokens.digest(_derive(nonce)), created_at=now,
                         expires_at=now + timedelta(days=days))
    db.session.add(rec)
    db.session.flush()
    listings = list(dict.fromkeys(listings))[:MAX_LISTINGS]
    db.session.execute(insert(recommendation_listing), [
        {"recommendation_id": rec.id, "listing_id": listing.id, "position": i}
        for i, listing in enumerate(listings)])
    dialect = db.session.get_bind().dialect.name
    insert_once = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert_once(LeadListing).values([
            {"lead_id": lead.id, "listing_id": listing.id, "kind": "recommended",
             "author_id": agent.id, "created_at": now} for listing in listings])
        .on_conflict_do_nothing(index_elements=["lead_id", "listing_id", "kind"]))
    with default_locale():
        body = gettext("Sent %(n)d listing(s) to the prospect: %(titles)s", n=len(listings),
                       titles="; ".join(f"#{x.id} {x.title}" for x in listings))
    db.session.add(Activity(lead_id=lead.id, kind="recommendation", author_id=agent.id,
                            body=body, created_at=now))
    scoring.refresh(lead)
    db.session.commit()
    return rec


def by_token(token: str) -> Recommendation | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalars(
        select(Recommendation).options(selectinload(Recommendation.listings),
                                       selectinload(Recommendation.agent))
        .where(Recommendation.token_hash == tokens.digest(token))).first()


def of_lead(lead: Lead) -> list[Recommendation]:
    return list(db.session.scalars(
        select(Recommendation).options(selectinload(Recommendation.listings))
        .where(Recommendation.lead_id == lead.id)
        .order_by(Recommendation.created_at.desc(), Recommendation.id.desc())))


def revoke(rec: Recommendation, actor: User) -> bool:
    if rec.revoked_at is not None:
        return False
    now = utcnow()
    rec.revoked_at = now
    with default_locale():
        body = gettext("Recommendation page withdrawn (sent %(when)s)",
                       when=local_time(rec.created_at))
    db.session.add(Activity(lead_id=rec.lead_id, kind="recommendation", author_id=actor.id,
                            body=body, created_at=now))
    db.session.commit()
    return True


def _agents(rec: Recommendation, lead: Lead) -> list[User]:
    """Who hears about it: whoever holds the lead now, and the agent who sent the page while
    they may still work it (not after the lead moved to another team or agent)."""
    people = [lead.assigned_to, rec.agent]
    return [u for i, u in enumerate(people) if u is not None and u.active
            and u not in people[:i] and access.can_work(u, lead)]


def record_open(rec: Recommendation, now: datetime | None = None) -> bool:
    """Count an open of a live page (the caller decides it is a new one: another browser,
    or after the window). On the timeline each time; the agent is told of the first."""
    now = now or utcnow()
    counted = rows_changed(db.session.execute(
        update(Recommendation).where(Recommendation.id == rec.id,
                                     Recommendation.revoked_at.is_(None),
                                     Recommendation.expires_at > now)
        .values(open_count=Recommendation.open_count + 1,
                first_opened_at=func.coalesce(Recommendation.first_opened_at, now),
                last_opened_at=now)
        .execution_options(synchronize_session=False)))
    if not counted:
        db.session.rollback()
        return False
    db.session.refresh(rec)
    lead = db.session.get_one(Lead, rec.lead_id)
    with default_locale():
        body = gettext("The prospect opened the listings sent on %(when)s (%(n)d time(s) so far)",
                       when=local_time(rec.created_at), n=rec.open_count)
    db.session.add(Activity(lead_id=lead.id, kind="recommendation_open", body=body,
                            created_at=now))
    scoring.refresh(lead)
    # The agent hears of the first open only: the open that made the count 1 (two first opens
    # at once are serialised by the UPDATE above, so only one of them is it).
    notes = outbox.queue_event(lead, "recommendation_opened", _agents(rec, lead),
                               key=str(rec.id)) if rec.open_count == 1 else []
    db.session.commit()
    outbox.send_soon(notes)
    return True


def request_visit(rec: Recommendation, preferred_at: datetime, listings: list[Listing],
                  note: str) -> VisitRequest:
    now = utcnow()
    lead = db.session.get_one(Lead, rec.lead_id)
    request = VisitRequest(recommendation_id=rec.id, lead_id=lead.id, preferred_at=preferred_at,
                           note=note.strip()[:1000], created_at=now)
    db.session.add(request)
    db.session.flush()
    if listings:
        db.session.execute(insert(visit_request_listing), [
            {"visit_request_id": request.id, "listing_id": x.id} for x in listings])
    with default_locale():
        body = gettext("The prospect asks to visit on %(when)s: %(titles)s",
                       when=local_time(preferred_at),
                       titles="; ".join(f"#{x.id} {x.title}" for x in listings))
    note_line = f"\n{request.note}" if request.note else ""
    db.session.add(Activity(lead_id=lead.id, kind="visit_request", body=body + note_line,
                            created_at=now))
    scoring.refresh(lead)
    # Messages may reach a chat group: the prospect's note goes with its contacts masked.
    notes = outbox.queue_event(lead, "visit_requested", _agents(rec, lead),
                               extra=body + access.mask_note(note_line), key=str(request.id))
    db.session.commit()
    outbox.send_soon(notes)
    return request


def open_requests(lead: Lead) -> list[VisitRequest]:
    """The prospect's visit requests no visit was scheduled from yet."""
    return list(db.session.scalars(
        select(VisitRequest).options(selectinload(VisitRequest.listings))
        .where(VisitRequest.lead_id == lead.id, VisitRequest.site_visit_id.is_(None))
        .order_by(VisitRequest.created_at.desc())))

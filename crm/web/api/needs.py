"""GET /api/v1/inquiries/<reference>/contact-needs: the needs of the person behind an inquiry,
for a partner's integration.

A key is a source site's, so it sees only what came in through that site: the reference
must be one of the site's leads or repeat inquiries, and the list holds only the contact's
needs captured through the site (never spam or merged ones). Anything else is "not found",
so a key cannot learn that a reference or a need exists elsewhere. No personal data: the
partner sent the person's details; the answer says what each need asks for and whether it
is open, won or lost. Keyset-paginated on (created_at, id), oldest first.
"""
import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select

from crm.choices import JUNK_STATUSES
from crm.extensions import db
from crm.models import InquiryRepeat, Lead

DEFAULT_LIMIT, MAX_LIMIT = 20, 100
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR = re.compile(r"[A-Za-z0-9_-]{4,64}")
_CURSOR_TEXT = re.compile(r"(\d{1,16}):(\d{1,19})")
_MAX_ID = 2**63 - 1
# Every reference drawn (crm.intake.reference) has this shape; nothing else is looked up.
REFERENCE = re.compile(r"[A-Za-z0-9-]{1,20}")


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class Page:
    needs: list[dict]
    next_cursor: str | None


def encode_cursor(created_at: datetime, lead_id: int) -> str:
    micros = (created_at - _EPOCH) // timedelta(microseconds=1)
    return base64.urlsafe_b64encode(f"{micros}:{lead_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (created_at, id) a page starts after; BadCursor for anything not made here."""
    if not _CURSOR.fullmatch(cursor):
        raise BadCursor(cursor)
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise BadCursor(cursor) from exc
    found = _CURSOR_TEXT.fullmatch(text)
    if found is None:
        raise BadCursor(cursor)
    lead_id = int(found[2])
    if lead_id > _MAX_ID:  # beyond any id; PostgreSQL would refuse to compare it
        raise BadCursor(cursor)
    try:
        return _EPOCH + timedelta(microseconds=int(found[1])), lead_id
    except OverflowError as exc:
        raise BadCursor(cursor) from exc


def _who(site_id: int, reference: str) -> tuple[int | None, int] | None:
    """(contact id, lead id) behind one of the site's references: a lead's, else a repeat's
    (its contact, else the lead it repeats). None when the site has no such reference."""
    row = db.session.execute(select(Lead.contact_id, Lead.id).where(
        Lead.reference == reference, Lead.source_site_id == site_id)).first()
    if row is None:
        row = db.session.execute(select(InquiryRepeat.contact_id, InquiryRepeat.original_lead_id)
                                 .where(InquiryRepeat.reference == reference,
                                        InquiryRepeat.source_site_id == site_id)).first()
    return None if row is None else (row[0], row[1])


def _state(status: str) -> str:
    return status if status in ("won", "lost") else "open"


def _number(value) -> float | None:
    return None if value is None else float(value)


def contact_needs(site_id: int, reference: str, limit: int = DEFAULT_LIMIT,
                  after: tuple[datetime, int] | None = None) -> Page | None:
    """One page of the needs; None when the reference is not the site's (→ 404)."""
    who = _who(site_id, reference) if REFERENCE.fullmatch(reference) else None
    if who is None:
        return None
    contact_id, lead_id = who
    # A lead made before contacts (no contact_id) is a person of one need.
    mine = Lead.contact_id == contact_id if contact_id is not None else Lead.id == lead_id
    stmt = (select(Lead.id, Lead.reference, Lead.created_at, Lead.status, Lead.new_need,
                   Lead.deal_type, Lead.property_type, Lead.region_code, Lead.area_min_sqm,
                   Lead.area_max_sqm)
            .where(mine, Lead.source_site_id == site_id, Lead.status.not_in(JUNK_STATUSES))
            .order_by(Lead.created_at, Lead.id).limit(limit + 1))
    if after is not None:
        at, last_id = after
        stmt = stmt.where(or_(Lead.created_at > at, and_(Lead.created_at == at, Lead.id > last_id)))
    rows = db.session.execute(stmt).all()
    more = len(rows) > limit
    rows = rows[:limit]
    needs = [{"reference": r.reference, "created_at": r.created_at.isoformat(),
              "state": _state(r.status),
              "new_need": r.new_need,
              "deal_type": r.deal_type, "property_type": r.property_type,
              "region": r.region_code, "area_min_sqm": _number(r.area_min_sqm),
              "area_max_sqm": _number(r.area_max_sqm)} for r in rows]
    cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more else None
    return Page(needs, cursor)

"""Repeat inquiries: the same contact asking again about one of their open needs (which one,
crm.intake.match decides for every channel). A repeat is not a second lead: it is an
InquiryRepeat row on that need, whose owner is told (an activity, once) and whose score
counts it. Another need of the same contact is a lead of its own.
"""
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from flask_babel import gettext
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from crm import choices
from crm.extensions import db, rows_changed
from crm.i18n import default_locale
from crm.inputs.building import REQUIREMENTS
from crm.intake import policy
from crm.leads import scoring
from crm.models import Activity, InquiryRepeat, Lead
from crm.models.types import utcnow


class Original(NamedTuple):
    """The need an inquiry repeats."""
    id: int
    reference: str
    matched_on: str      # "listing" (the listing named was this need's) | "need"
    created_at: datetime | None = None


def protected_until(lead: Lead) -> datetime | None:
    """Until when a lead an agent brought in stays theirs (客户保护期); None if it is not
    protected (routed, protection off, or run out)."""
    days = policy.current().protection_days
    if lead.sourced_by_id is None or not days:
        return None
    until = lead.created_at + timedelta(days=days)
    return until if until > utcnow() else None


def _details(lead: Lead) -> dict:
    """What else this submission said, as JSON-safe values."""
    names = ("deal_type", "property_type", "region_code", "region_text", "area_min_sqm",
             "area_max_sqm", "area_unit", "industry", "usage", "needs_eia", "annual_tax_wan",
             "investment_wan", "credit_code", "wechat_id", "email", "mobile_note",
             "contact_preference", "consent_version", *REQUIREMENTS)
    out = {}
    for name in names:
        value = getattr(lead, name)
        if value is None or value == "":
            continue
        out[name] = str(value) if isinstance(value, Decimal) else value
    return out


def repeat_from(lead: Lead, original: Original, matched_on: str) -> InquiryRepeat:
    """The repeat row; `matched_on`: how the person was known ("mobile", "wechat", "company")."""
    return InquiryRepeat(
        original_lead_id=original.id, created_at=lead.created_at, matched_on=matched_on,
        channel=lead.channel, source_site_id=lead.source_site_id, listing_id=lead.listing_id,
        contact_name=lead.contact_name, mobile_e164=lead.mobile_e164 or "", company=lead.company,
        message=lead.message, details=_details(lead), page_url=lead.page_url,
        referrer=lead.referrer, utm_source=lead.utm_source, utm_medium=lead.utm_medium,
        utm_campaign=lead.utm_campaign)


class RepeatPage(NamedTuple):
    rows: list[InquiryRepeat]
    total: int
    older: int | None      # pass as `before` for the next page; None: this is the last


def history(lead: Lead, before: int | None = None, size: int = 20) -> RepeatPage:
    """A lead's repeat inquiries, newest first, a page at a time (keyset on id): a lead
    asked about a thousand times must not render a thousand rows."""
    total = db.session.scalar(select(func.count()).select_from(InquiryRepeat)
                              .where(InquiryRepeat.original_lead_id == lead.id)) or 0
    if not total:
        return RepeatPage([], 0, None)
    stmt = (select(InquiryRepeat).options(joinedload(InquiryRepeat.source_site))
            .where(InquiryRepeat.original_lead_id == lead.id))
    if before is not None:
        stmt = stmt.where(InquiryRepeat.id < before)
    rows = list(db.session.scalars(stmt.order_by(InquiryRepeat.id.desc()).limit(size + 1)))
    return RepeatPage(rows[:size], total, rows[size - 1].id if len(rows) > size else None)


def notify_repeat(original_id: int, repeat_id: int) -> bool:
    """Record the notice once; a second run (redelivered task) changes nothing."""
    repeat = db.session.scalars(
        select(InquiryRepeat).where(InquiryRepeat.id == repeat_id).with_for_update()).first()
    if repeat is None or repeat.original_lead_id != original_id or repeat.notified_at is not None:
        db.session.rollback()
        return False
    now = utcnow()
    # Guarded write, as in routing: a concurrent run finds notified_at set.
    result = db.session.execute(
        update(InquiryRepeat)
        .where(InquiryRepeat.id == repeat_id, InquiryRepeat.notified_at.is_(None))
        .values(notified_at=now).execution_options(synchronize_session=False))
    if rows_changed(result) != 1:
        db.session.rollback()
        return False
    with default_locale():
        body = gettext("The prospect asked again (%(channel)s) from %(page)s.",
                       channel=str(choices.label(choices.CHANNELS, repeat.channel)),
                       page=repeat.page_url or "—")
        if repeat.message:
            body += "\n" + repeat.message
    db.session.add(Activity(lead_id=original_id, kind="repeat_inquiry", body=body,
                            created_at=now))
    original = db.session.get(Lead, original_id)
    if original is not None:
        scoring.refresh(original)  # asking again is a sign of intent
    db.session.commit()
    return True

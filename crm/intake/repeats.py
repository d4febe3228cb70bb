"""What a repeat inquiry is: the same prospect (mobile, or company + contact) asking again
within the repeat window (CRM_REPEAT_WINDOW_DAYS). A repeat is not a second lead: it is an
InquiryRepeat row on the first lead, whose owner is told (an activity, once) and whose score
counts it. Every channel (form, embed, API, agent entry, import) asks find_original().
"""
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from flask_babel import gettext
from sqlalchemy import bindparam, func, literal, or_, select, union_all, update
from sqlalchemy.orm import joinedload

from crm import choices
from crm.extensions import db, rows_changed
from crm.i18n import default_locale
from crm.inputs.building import REQUIREMENTS
from crm.inputs.wechat import is_wechat_id
from crm.intake import policy
from crm.leads import scoring
from crm.models import Activity, InquiryRepeat, Lead, repeat_window
from crm.models.types import utcnow


class Original(NamedTuple):
    id: int
    reference: str
    matched_on: str      # "mobile" | "wechat" | "company"


def find_original(lead: Lead) -> Original | None:
    """The newest non-spam lead in the window with the same mobile, else the same WeChat ID,
    else company + contact. A lead an agent brought in is found for longer: its client
    protection period (客户保护期, crm.intake.policy), whatever the repeat window."""
    repeat_since = lead.created_at - repeat_window()
    protected_since = lead.created_at - policy.current().protection
    keys = (bool(lead.mobile_e164), is_wechat_id(lead.wechat_id),
            bool(lead.company and lead.contact_name))
    if not any(keys):
        return None
    stmt = _lookup(*keys, protected_longer=protected_since < repeat_since)
    rows = db.session.execute(stmt, {
        "since": min(repeat_since, protected_since), "repeat_since": repeat_since,
        "mobile": lead.mobile_e164, "wechat": lead.wechat_id, "company": lead.company,
        "contact": lead.contact_name}).all()
    by_key = {row.matched_on: row for row in rows}
    row = by_key.get("mobile") or by_key.get("wechat") or by_key.get("company")
    if row is None:
        return None
    if row.merged_into_id is not None:
        # Folded into another lead: the prospect asked again about that one (rare: one more read).
        survivor = db.session.execute(select(Lead.id, Lead.reference).where(
            Lead.id == row.merged_into_id)).first()
        if survivor is not None:
            return Original(survivor.id, survivor.reference, row.matched_on)
    return Original(row.id, row.reference, row.matched_on)


@lru_cache(maxsize=16)
def _lookup(mobile: bool, wechat: bool, company: bool, protected_longer: bool):
    """find_original's statement for one combination of keys, built once per process (it
    runs on every inquiry) with its values as parameters.

    One round trip, a branch per key, each served by its own index (ix_lead_mobile_created,
    ix_lead_wechat_created, ix_lead_company_contact_created) on the widest window, the rest
    a filter; an OR of keys would defeat them. Only the id and reference: the whole row is
    not needed to link a repeat."""
    def newest(matched_on: str, *conditions):
        # The protection only ever lengthens the window, only for leads an agent brought in,
        # and only by the prospect's own mobile or WeChat ID (not a company + contact match).
        in_window = Lead.created_at >= bindparam("repeat_since")
        if protected_longer and matched_on != "company":
            in_window = or_(in_window, Lead.sourced_by_id.is_not(None))
        return (select(Lead.id, Lead.reference, Lead.merged_into_id,
                       literal(matched_on).label("matched_on"))
                .where(Lead.created_at >= bindparam("since"), in_window, Lead.status != "spam",
                       *conditions)
                .order_by(Lead.created_at.desc(), Lead.id.desc()).limit(1).subquery())

    branches = []
    if mobile:
        branches.append(newest("mobile", Lead.mobile_e164 == bindparam("mobile")))
    if wechat:
        branches.append(newest("wechat", Lead.wechat_id == bindparam("wechat")))
    if company:
        branches.append(newest("company", Lead.company == bindparam("company"),
                               Lead.contact_name == bindparam("contact")))
    return union_all(*(select(branch) for branch in branches))


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


def repeat_from(lead: Lead, original: Original) -> InquiryRepeat:
    return InquiryRepeat(
        original_lead_id=original.id, created_at=lead.created_at, matched_on=original.matched_on,
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

"""PIPL: give a prospect a copy of their data (Art. 45), erase it (Art. 47), keep it no
longer than needed (Art. 19). Erasing anonymises: counts and non-personal facts stay.

Erase and retention reach every table that holds a person's data: the lead (and its
search text), their repeat inquiries, the notes agents typed, notification texts, the
API's remembered answers, and spreadsheet rows not yet imported. The audit trail never
held personal values (crm.privacy.audit redacts them).
"""
import logging
import re
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, or_, select, update

from crm.extensions import db
from crm.models import (Activity, ApiIdempotencyKey, ImportJob, InquiryRepeat, Lead, LeadListing,
                        Notification, User)
from crm.models.types import utcnow
from crm.privacy import audit

log = logging.getLogger(__name__)
ERASED_NAME = "已删除"
CLOSED = ("won", "lost")
EXPORTED_FIELDS = ("reference", "created_at", "channel", "deal_type", "property_type", "region_code",
                   "region_text", "area_min_sqm", "area_max_sqm", "area_unit", "industry", "usage",
                   "needs_eia", "annual_tax_wan", "investment_wan", "company", "credit_code",
                   "contact_name", "mobile_display", "mobile_note", "wechat_id", "email", "message",
                   "consent", "consent_at", "consent_version", "status", "page_url", "referrer",
                   "utm_source", "utm_medium", "utm_campaign")


def leads_of(mobile_e164: str) -> list[Lead]:
    return list(db.session.scalars(
        select(Lead).where(Lead.mobile_e164 == mobile_e164).order_by(Lead.created_at)))


def export_person(mobile_e164: str, actor: User) -> dict:
    leads = leads_of(mobile_e164)
    data = {"mobile": mobile_e164, "exported_at": utcnow().isoformat(), "inquiries": []}
    for lead in leads:
        item = {name: audit._plain(getattr(lead, name)) for name in EXPORTED_FIELDS}
        item["activities"] = [
            {"at": a.created_at.isoformat(), "kind": a.kind, "outcome": a.outcome, "text": a.body}
            for a in sorted(lead.activities, key=lambda a: (a.created_at, a.id))]
        item["listings_shown"] = [
            {"listing_id": link.listing_id, "kind": link.kind, "at": link.created_at.isoformat()}
            for link in db.session.scalars(select(LeadListing).where(LeadListing.lead_id == lead.id))]
        data["inquiries"].append(item)
    audit.record(actor, "pipl_export", "person", None, None,
                 {"leads": [lead.id for lead in leads]})
    db.session.commit()
    return data


def _anonymise(lead: Lead, now) -> None:
    mobile = lead.mobile_e164
    lead.contact_name = ERASED_NAME
    # A placeholder, not a hash: a hash of an 11-digit number is trivially reversed.
    lead.mobile_e164 = f"erased:{lead.id}"[:16]
    lead.mobile_display = ""
    lead.mobile_note = ""
    lead.wechat_id = ""
    lead.email = ""
    lead.message = ""
    lead.credit_code = None
    lead.credit_code_valid = None
    lead.referrer = ""
    lead.search_text = ""
    lead.erased_at = now
    # Agents' notes (follow-ups, stage moves, repeat notices) quote the prospect; the facts
    # that a call happened and a stage was reached stay. Assignment lines name only staff.
    db.session.execute(update(Activity).where(Activity.lead_id == lead.id,
                                              Activity.kind != "assignment")
                       .values(body="").execution_options(synchronize_session=False))
    db.session.execute(update(Notification).where(Notification.lead_id == lead.id)
                       .values(body="", subject="").execution_options(synchronize_session=False))
    _erase_repeats(or_(InquiryRepeat.original_lead_id == lead.id,
                       InquiryRepeat.mobile_e164 == mobile))
    # The API remembers the answer it gave (the lead's reference) under the client's key.
    db.session.execute(delete(ApiIdempotencyKey).where(
        ApiIdempotencyKey.body["reference"].as_string() == lead.reference)
        .execution_options(synchronize_session=False))
    _erase_import_rows(mobile)


def _erase_repeats(condition) -> None:
    for repeat in db.session.scalars(select(InquiryRepeat).where(condition)):
        repeat.contact_name, repeat.company, repeat.message = ERASED_NAME, "", ""
        repeat.mobile_e164 = f"erased:r{repeat.id}"[:16]
        repeat.details, repeat.referrer = {}, ""


def _erase_import_rows(mobile: str) -> None:
    """Rows of imports not yet run that carry the number (finished imports keep none)."""
    digits = mobile.removeprefix("+86")
    for job in db.session.scalars(select(ImportJob).where(ImportJob.status != "done")):
        kept = [row for row in job.rows
                if not any(digits in re.sub(r"\D", "", str(cell)) for cell in row)]
        if len(kept) != len(job.rows):
            job.rows = kept
            job.total = len(kept)


def erase_person(mobile_e164: str, actor: User | None, reason: str = "request") -> int:
    now = utcnow()
    leads = [lead for lead in leads_of(mobile_e164) if lead.erased_at is None]
    for lead in leads:
        _anonymise(lead, now)
    # The person may also be in repeats of someone else's lead (matched on the company) and
    # in rows of an import that has not run yet.
    _erase_repeats(InquiryRepeat.mobile_e164 == mobile_e164)
    _erase_import_rows(mobile_e164)
    if leads:
        audit.record(actor, "pipl_erase", "person", None, {"leads": [lead.id for lead in leads]},
                     {"reason": reason})
    db.session.commit()
    return len(leads)


def closed_before_ids(cutoff, limit: int = 500) -> list[int]:
    """Leads won or lost, not erased, whose last move to won/lost is older than the cutoff."""
    closed_at = (select(func.max(Activity.created_at))
                 .where(Activity.lead_id == Lead.id, Activity.kind == "status_change",
                        Activity.to_status.in_(CLOSED))
                 .correlate(Lead).scalar_subquery())
    return list(db.session.scalars(
        select(Lead.id).where(Lead.status.in_(CLOSED), Lead.erased_at.is_(None),
                              func.coalesce(closed_at, Lead.created_at) <= cutoff)
        .order_by(Lead.id).limit(limit)))


def retention_sweep() -> int:
    """Anonymise leads closed longer than CRM_RETENTION_DAYS; safe to run any number of times."""
    now = utcnow()
    cutoff = now - timedelta(days=current_app.config["CRM_RETENTION_DAYS"])
    ids = closed_before_ids(cutoff)
    for lead_id in ids:
        lead = db.session.get(Lead, lead_id)
        if lead is None or lead.erased_at is not None:
            continue
        _anonymise(lead, now)
        audit.record(None, "retention_erase", "lead", lead.id, None,
                     {"retention_days": current_app.config["CRM_RETENTION_DAYS"]})
        db.session.commit()
    if ids:
        log.info("retention: anonymised %d closed leads", len(ids))
    return len(ids)

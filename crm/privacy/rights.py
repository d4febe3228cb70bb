"""PIPL: give a prospect a copy of their data (Art. 45), erase it (Art. 47), keep it no
longer than needed (Art. 19). Erasing anonymises: counts and non-personal facts stay."""
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from crm.extensions import db
from crm.models import Activity, Lead, LeadListing, Notification, User
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
    if hasattr(lead, "search_text"):
        lead.search_text = ""
    lead.erased_at = now
    # Agents' notes quote the prospect; the fact that a call happened stays.
    db.session.execute(update(Activity).where(Activity.lead_id == lead.id, Activity.kind.not_in(
        ("status_change", "assignment"))).values(body="").execution_options(synchronize_session=False))
    db.session.execute(update(Notification).where(Notification.lead_id == lead.id)
                       .values(body="").execution_options(synchronize_session=False))


def erase_person(mobile_e164: str, actor: User | None, reason: str = "request") -> int:
    now = utcnow()
    leads = [lead for lead in leads_of(mobile_e164) if lead.erased_at is None]
    for lead in leads:
        _anonymise(lead, now)
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

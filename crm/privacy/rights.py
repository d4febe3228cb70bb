"""PIPL: give a prospect a copy of their data (Art. 45), erase it (Art. 47), keep it no
longer than needed (Art. 19). Erasing anonymises: counts and non-personal facts stay.

Erase and retention reach every table that holds a person's data: the lead (and its
search text), their repeat inquiries, the notes agents typed, notification texts, the
API's remembered answers, and spreadsheet rows not yet imported. The audit trail never
held personal values (crm.privacy.audit redacts them).
"""
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, update

from crm import choices, regions
from crm.extensions import db
from crm.formatting import local_time
from crm.i18n import default_locale
from crm.inputs.phone import PhoneError, parse_mobile
from crm.inputs.wechat import MOBILE_SHAPED, is_wechat_id
from crm.models import (
    Activity,
    ApiIdempotencyKey,
    Company,
    Contact,
    ImportJob,
    InquiryRepeat,
    Lead,
    LeadListing,
    Notification,
    Recommendation,
    SiteVisit,
    SiteVisitListing,
    User,
    VisitRequest,
)
from crm.models.types import utcnow
from crm.privacy import audit

log = logging.getLogger(__name__)
ERASED_NAME = "已删除"
CLOSED = ("won", "lost")


def person_key(typed: str) -> str | None:
    """How a person is named in a PIPL request: their mobile (+86…) or, for someone known
    only by WeChat, their WeChat ID; None if the text is neither."""
    try:
        return parse_mobile(typed).e164
    except PhoneError:
        return typed if is_wechat_id(typed) else None


def _is_mobile(person: str) -> bool:
    return person.startswith("+")


def leads_of(person: str) -> list[Lead]:
    """The person's leads: by mobile (also a WeChat-only lead whose WeChat ID is that
    number), or by WeChat ID (+86… or an ID, see person_key)."""
    if _is_mobile(person):
        same = or_(Lead.mobile_e164 == person, Lead.wechat_id == person.removeprefix("+86"))
    else:
        same = Lead.wechat_id == person
    return list(db.session.scalars(select(Lead).where(same).order_by(Lead.created_at)))


def _repeats_of(person: str):
    """The person's repeat inquiries on any lead (matched on the company they may be on
    someone else's): by their number, or by the WeChat ID they gave."""
    by_wechat = InquiryRepeat.details["wechat_id"].as_string() == person.removeprefix("+86")
    return or_(InquiryRepeat.mobile_e164 == person, by_wechat) if _is_mobile(person) else by_wechat


@dataclass(frozen=True)
class PersonRows:
    """What a PIPL request about one person reaches: the copy gives exactly these rows and
    the erase removes exactly these (with what hangs off their leads)."""
    leads: list[Lead]
    repeats: list[InquiryRepeat]  # theirs, on their own leads or on someone else's


def rows_of(person: str) -> PersonRows:
    leads = leads_of(person)
    # Named by WeChat ID, they are also the mobile their leads carry.
    mobiles = {lead.mobile_e164 for lead in leads
               if lead.mobile_e164 and not lead.mobile_e164.startswith("erased:")}
    theirs = or_(_repeats_of(person), InquiryRepeat.mobile_e164.in_(mobiles)) if mobiles \
        else _repeats_of(person)
    return PersonRows(leads, list(db.session.scalars(
        select(InquiryRepeat).where(theirs).order_by(InquiryRepeat.created_at, InquiryRepeat.id))))


# The copy a person receives (PIPL Art. 45) is for them to read: labelled in the app's
# language (Chinese), times in Shanghai, codes turned into words.
_COPY_FIELDS = (
    ("reference", _l("Reference")), ("created_at", _l("Received")), ("channel", _l("Channel")),
    ("deal_type", _l("Rent or buy")), ("property_type", _l("Property type")),
    ("region_code", _l("Region")), ("region_text", _l("Place or park (free text)")),
    ("area_min_sqm", _l("Area from (㎡)")), ("area_max_sqm", _l("Area to (㎡)")),
    ("industry", _l("Industry")), ("usage", _l("What will be made or stored")),
    ("needs_eia", _l("Needs environmental assessment (环评)")),
    ("annual_tax_wan", _l("Annual tax (10k yuan)")),
    ("investment_wan", _l("Investment (10k yuan)")), ("company", _l("Company")),
    ("credit_code", _l("Unified social credit code")), ("contact_name", _l("Contact person")),
    ("mobile_display", _l("Mobile")), ("wechat_id", _l("WeChat ID")), ("email", _l("Email")),
    ("message", _l("Anything else")), ("consent_at", _l("Agreed to the privacy notice")),
    ("consent_version", _l("Privacy notice version")), ("status", _l("Status")),
    ("lost_reason", _l("Why it was lost (note)")), ("page_url", _l("Source page")))
_REPEAT_FIELDS = (
    ("reference", _l("Reference")), ("created_at", _l("Received")), ("channel", _l("Channel")),
    ("contact_name", _l("Contact person")), ("company", _l("Company")),
    ("message", _l("Anything else")), ("page_url", _l("Source page")))
_CODES = {"channel": choices.CHANNELS, "deal_type": choices.DEAL_TYPES,
          "property_type": choices.PROPERTY_TYPES, "industry": choices.INDUSTRIES,
          "status": choices.STATUSES}


def _readable(name: str, value):
    if value is None or value == "":
        return ""
    if name in _CODES:
        return str(choices.label(_CODES[name], value))
    if name == "region_code":
        return regions.full_name(value, "zh_CN") or value
    if name == "needs_eia":
        return str(_l("Yes") if value else _l("No"))
    if isinstance(value, datetime):
        return local_time(value)
    return str(value) if isinstance(value, Decimal) else value


def _repeat_copy(repeat: InquiryRepeat) -> dict:
    item = {str(label): _readable(name, getattr(repeat, name)) for name, label in _REPEAT_FIELDS}
    # What else they typed (WeChat ID, email, area…), as they typed it.
    item[str(_l("Other details"))] = {str(k): str(v) for k, v in (repeat.details or {}).items()
                                      if v not in (None, "")}
    return item


def export_person(person: str, actor: User) -> dict:
    rows = rows_of(person)
    leads = rows.leads
    with default_locale():
        inquiries = []
        for lead in leads:
            item = {str(label): _readable(name, getattr(lead, name))
                    for name, label in _COPY_FIELDS}
            item[str(_l("Follow-ups"))] = [
                {str(_l("Time")): local_time(a.created_at),
                 str(_l("Kind")): str(choices.label(choices.ACTIVITY_KINDS, a.kind)),
                 str(_l("Outcome")): str(choices.label(choices.OUTCOMES, a.outcome))
                 if a.outcome else "",
                 str(_l("What happened")): a.body}
                for a in sorted(lead.activities, key=lambda a: (a.created_at, a.id))]
            item[str(_l("Listings sent"))] = [
                {str(_l("Listing")): link.listing_id, str(_l("Time")): local_time(link.created_at)}
                for link in db.session.scalars(select(LeadListing)
                                               .where(LeadListing.lead_id == lead.id))]
            item[str(_l("Visit requests"))] = [
                {str(_l("Time")): local_time(r.preferred_at), str(_l("Note")): r.note}
                for r in db.session.scalars(select(VisitRequest).where(
                    VisitRequest.lead_id == lead.id).order_by(VisitRequest.created_at))]
            item[str(_l("Site visits"))] = [
                {str(_l("Time")): local_time(v.starts_at), str(_l("Meeting point")): v.meeting_point}
                for v in db.session.scalars(select(SiteVisit).where(
                    SiteVisit.lead_id == lead.id).order_by(SiteVisit.starts_at))]
            inquiries.append(item)
        data = {(str(_l("Mobile")) if _is_mobile(person) else str(_l("WeChat ID"))):
                person.removeprefix("+86"),
                str(_l("Copy made at")): local_time(utcnow()),
                str(_l("Inquiries")): inquiries,
                str(_l("Repeat inquiries")): [_repeat_copy(r) for r in rows.repeats]}
    audit.record(actor, "pipl_export", "person", None, None,
                 {"leads": [lead.id for lead in leads], "repeats": [r.id for r in rows.repeats]})
    db.session.commit()
    return data


def _anonymise(lead: Lead, now, repeats: bool = True) -> None:
    """Clear the lead's personal data. `repeats`: the repeat inquiries attached to it or
    sharing its mobile too (retention); a person's erase passes False and erases exactly
    their own repeats (rows_of), another person's repeat on their lead is not theirs."""
    mobile, wechat = lead.mobile_e164, lead.wechat_id
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
    lead.lost_reason = ""  # the agent's free note about them
    lead.erased_at = now
    # Agents' notes (follow-ups, stage moves, repeat notices) quote the prospect; the facts
    # that a call happened and a stage was reached stay. Assignment lines name only staff.
    db.session.execute(update(Activity).where(Activity.lead_id == lead.id,
                                              Activity.kind != "assignment")
                       .values(body="").execution_options(synchronize_session=False))
    db.session.execute(update(Notification).where(Notification.lead_id == lead.id)
                       .values(body="", subject="").execution_options(synchronize_session=False))
    if repeats:
        _erase_repeats(list(db.session.scalars(select(InquiryRepeat).where(
            or_(InquiryRepeat.original_lead_id == lead.id, InquiryRepeat.mobile_e164 == mobile)
            if mobile else InquiryRepeat.original_lead_id == lead.id))))
    # What the prospect typed when booking a visit and the verdicts quoted after it; the
    # pages sent to them stop opening.
    db.session.execute(update(VisitRequest).where(VisitRequest.lead_id == lead.id)
                       .values(note="").execution_options(synchronize_session=False))
    db.session.execute(update(SiteVisitListing).where(SiteVisitListing.site_visit_id.in_(
        select(SiteVisit.id).where(SiteVisit.lead_id == lead.id)))
        .values(reason="").execution_options(synchronize_session=False))
    # Where to meet them may be their own site.
    db.session.execute(update(SiteVisit).where(SiteVisit.lead_id == lead.id)
                       .values(meeting_point="", map_url="")
                       .execution_options(synchronize_session=False))
    db.session.execute(update(Recommendation).where(Recommendation.lead_id == lead.id,
                                                    Recommendation.revoked_at.is_(None))
                       .values(revoked_at=now).execution_options(synchronize_session=False))
    _forget_api_answers([lead.reference])
    if mobile and not mobile.startswith("erased:"):
        _erase_import_rows(mobile)
    # Only a real WeChat ID names a person: "无" or "-" in the box must not take other
    # people's rows out of an import.
    if is_wechat_id(wechat):
        _erase_import_rows("+86" + wechat if MOBILE_SHAPED.fullmatch(wechat) else wechat)


def _erase_contacts(contact_ids: set[int], now) -> None:
    """The person's contact records: nothing left to know them by. Their mobile leaves the
    unique index, so the number asking again later is a new person (they asked to be
    forgotten). A company left with no live contact, no other need and no credit code goes
    too: a 个体户's name is often its owner's."""
    if not contact_ids:
        return
    companies = set(db.session.scalars(select(Contact.company_id).where(
        Contact.id.in_(contact_ids), Contact.company_id.is_not(None))))
    companies |= set(db.session.scalars(select(Lead.company_id).where(
        Lead.contact_id.in_(contact_ids), Lead.company_id.is_not(None))))
    db.session.execute(update(Contact).where(Contact.id.in_(contact_ids)).values(
        name=ERASED_NAME, name_key="", mobile_e164=None, mobile_display="", mobile_note="",
        wechat_id=None, email="", company_id=None, erased_at=now)
        .execution_options(synchronize_session=False))
    for company_id in companies:
        live = (select(Contact.id).where(Contact.company_id == company_id, Contact.erased_at.is_(None))
                .union_all(select(Lead.id).where(Lead.company_id == company_id,
                                                 Lead.erased_at.is_(None))))
        if db.session.scalar(select(Company.credit_code).where(Company.id == company_id)) is None \
                and db.session.execute(live.limit(1)).first() is None:
            db.session.execute(update(Lead).where(Lead.company_id == company_id)
                               .values(company_id=None).execution_options(synchronize_session=False))
            db.session.execute(delete(Company).where(Company.id == company_id)
                               .execution_options(synchronize_session=False))


def _contacts_of(person: str, rows: "PersonRows") -> set[int]:
    """The person's contacts: those of their leads and repeats, and those holding the number
    or the WeChat ID (a contact made but whose need was erased before)."""
    if _is_mobile(person):
        same = or_(Contact.mobile_e164 == person, Contact.wechat_id == person.removeprefix("+86"))
    else:
        same = Contact.wechat_id == person
    ids = set(db.session.scalars(select(Contact.id).where(same)))
    ids |= {lead.contact_id for lead in rows.leads if lead.contact_id is not None}
    return ids | {r.contact_id for r in rows.repeats if r.contact_id is not None}


def _forget_api_answers(references: list[str]) -> None:
    """The API remembers the answer it gave (a reference) under the client's retry key."""
    if references:
        db.session.execute(delete(ApiIdempotencyKey).where(
            ApiIdempotencyKey.body["reference"].as_string().in_(references))
            .execution_options(synchronize_session=False))


def _erase_repeats(repeats: list[InquiryRepeat]) -> None:
    for repeat in repeats:
        repeat.contact_name, repeat.company, repeat.message = ERASED_NAME, "", ""
        repeat.mobile_e164 = f"erased:r{repeat.id}"[:16]
        repeat.details, repeat.referrer = {}, ""
    _forget_api_answers([r.reference for r in repeats if r.reference])


def _erase_import_rows(person: str) -> None:
    """Rows of imports not yet run that carry the number or the WeChat ID (finished imports
    keep none)."""
    if _is_mobile(person):
        digits = person.removeprefix("+86")

        def carries(cell) -> bool:
            return digits in re.sub(r"\D", "", str(cell))
    else:
        def carries(cell) -> bool:
            return str(cell).strip() == person
    for job in db.session.scalars(select(ImportJob).where(ImportJob.status != "done")):
        kept = [row for row in job.rows if not any(carries(cell) for cell in row)]
        if len(kept) != len(job.rows):
            job.rows = kept
            job.total = len(kept)


def erase_preview(person: str) -> dict:
    """What an erase of this person would remove, for the confirmation step."""
    rows = rows_of(person)
    leads = [lead for lead in rows.leads if lead.erased_at is None]
    ids = [lead.id for lead in leads]

    def count(model, *where) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0
    return {
        "leads": leads,
        "names": sorted({lead.contact_name for lead in leads}),
        "repeats": len(rows.repeats),
        "notes": count(Activity, Activity.lead_id.in_(ids), Activity.kind != "assignment",
                       Activity.body != ""),
        "notifications": count(Notification, Notification.lead_id.in_(ids)),
    }


def erase_person(person: str, actor: User | None, reason: str = "request") -> int:
    """Erase everything of the person named by mobile or WeChat ID (see person_key)."""
    now = utcnow()
    rows = rows_of(person)  # the rows their copy gives them (export_person)
    leads = [lead for lead in rows.leads if lead.erased_at is None]
    for lead in leads:
        _anonymise(lead, now, repeats=False)
    # Their repeats, on their leads or someone else's (matched on the company), and rows
    # of an import that has not run yet.
    _erase_repeats(rows.repeats)
    _erase_import_rows(person)
    _erase_contacts(_contacts_of(person, rows), now)
    if leads or rows.repeats:
        audit.record(actor, "pipl_erase", "person", None,
                     {"leads": [lead.id for lead in leads], "repeats": [r.id for r in rows.repeats]},
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
        # The person goes with their last need kept (their other needs are live work).
        if lead.contact_id is not None and db.session.scalar(select(Lead.id).where(
                Lead.contact_id == lead.contact_id, Lead.erased_at.is_(None)).limit(1)) is None:
            _erase_contacts({lead.contact_id}, now)
        audit.record(None, "retention_erase", "lead", lead.id, None,
                     {"retention_days": current_app.config["CRM_RETENTION_DAYS"]})
        db.session.commit()
    if ids:
        log.info("retention: anonymised %d closed leads", len(ids))
    return len(ids)

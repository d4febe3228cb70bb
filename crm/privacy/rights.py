"""PIPL: give a prospect a copy of their data (Art. 45), erase it (Art. 47), keep it no
longer than needed (Art. 19). Erasing anonymises: counts and non-personal facts stay.

A request names a person by mobile or WeChat ID (person_key); it reaches their contact
records (contacts_of) and, through them, every need of every team and every repeat, plus
older rows made before contacts existed, found by today's keys (rows_of). Erase and
retention reach every table that holds a person's data: the contact, the need (and its
search text), their repeat inquiries, the notes agents typed, visit bookings and places,
recommendation links, notification texts, the API's remembered answers, and spreadsheet
rows not yet imported. A company left with nobody is deleted (a 个体户's name is often
its owner's). The audit trail never held personal values (crm.privacy.audit redacts them).
"""
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, delete, false, func, or_, select, update

from crm import choices, regions
from crm.choices import OPEN_STATUSES
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


def contacts_of(person: str) -> list[Contact]:
    """The person's contact records: the one with that mobile (one per mobile) and those
    with that WeChat ID (for a mobile, those whose WeChat ID is the bare number). Erased
    contacts hold neither, so they are never found again."""
    if _is_mobile(person):
        same = or_(Contact.mobile_e164 == person, Contact.wechat_id == person.removeprefix("+86"))
    else:
        same = Contact.wechat_id == person
    return list(db.session.scalars(select(Contact).where(same).order_by(Contact.id)))


def _leads_by_key(person: str) -> ColumnElement[bool]:
    """Leads carrying the person's mobile (also as a WeChat ID) or WeChat ID in their own
    columns: rows made before contacts, and any lead still holding their number."""
    if _is_mobile(person):
        return or_(Lead.mobile_e164 == person, Lead.wechat_id == person.removeprefix("+86"))
    return Lead.wechat_id == person


def _repeats_by_key(person: str) -> ColumnElement[bool]:
    """Repeat inquiries by their number or the WeChat ID they gave (rows made before
    repeats were linked to a contact)."""
    by_wechat = InquiryRepeat.details["wechat_id"].as_string() == person.removeprefix("+86")
    return or_(InquiryRepeat.mobile_e164 == person, by_wechat) if _is_mobile(person) else by_wechat


@dataclass(frozen=True)
class PersonRows:
    """What a PIPL request about one person reaches: the copy gives exactly these rows and
    the erase removes exactly these (with what hangs off their needs)."""
    contacts: list[Contact]
    leads: list[Lead]  # their needs, of every team and status (spam too: it is their data)
    repeats: list[InquiryRepeat]  # theirs, on their own needs or on someone else's


def _rows(contacts: list[Contact], leads_by_key: ColumnElement[bool],
          repeats_by_key: ColumnElement[bool]) -> PersonRows:
    ids = [contact.id for contact in contacts]
    leads = list(db.session.scalars(select(Lead).where(
        or_(Lead.contact_id.in_(ids), leads_by_key) if ids else leads_by_key)
        .order_by(Lead.created_at, Lead.id)))
    # Named by WeChat ID, they are also the mobile their leads carry.
    mobiles = {lead.mobile_e164 for lead in leads
               if lead.mobile_e164 and not lead.mobile_e164.startswith("erased:")}
    theirs = [repeats_by_key]
    if ids:
        theirs.append(InquiryRepeat.contact_id.in_(ids))
    if mobiles:
        theirs.append(InquiryRepeat.mobile_e164.in_(mobiles))
    return PersonRows(contacts, leads, list(db.session.scalars(
        select(InquiryRepeat).where(or_(*theirs))
        .order_by(InquiryRepeat.created_at, InquiryRepeat.id))))


def rows_of(person: str) -> PersonRows:
    return _rows(contacts_of(person), _leads_by_key(person), _repeats_by_key(person))


def leads_of(person: str) -> list[Lead]:
    """The person's needs (see rows_of), oldest first."""
    return rows_of(person).leads


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
_CONTACT_FIELDS = (
    ("name", _l("Contact person")), ("mobile_display", _l("Mobile")), ("wechat_id", _l("WeChat ID")),
    ("email", _l("Email")), ("contact_preference", _l("Preferred contact")),
    ("consent_at", _l("Agreed to the privacy notice")),
    ("consent_version", _l("Privacy notice version")), ("created_at", _l("On file since")))
_CODES = {"channel": choices.CHANNELS, "deal_type": choices.DEAL_TYPES,
          "property_type": choices.PROPERTY_TYPES, "industry": choices.INDUSTRIES,
          "status": choices.STATUSES,
          "contact_preference": {"phone": _l("Phone"), "wechat": _l("WeChat")}}


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


def _contact_copy(contact: Contact) -> dict:
    item = {str(label): _readable(name, getattr(contact, name)) for name, label in _CONTACT_FIELDS}
    item[str(_l("Company"))] = contact.company.name if contact.company is not None else ""
    return item


def _repeat_copy(repeat: InquiryRepeat, own: dict[int, str]) -> dict:
    item = {str(label): _readable(name, getattr(repeat, name)) for name, label in _REPEAT_FIELDS}
    # Which of their needs it asked about again (another person's need is not named).
    item[str(_l("Need it asked about"))] = own.get(repeat.original_lead_id, "")
    # What else they typed (WeChat ID, email, area…), as they typed it.
    item[str(_l("Other details"))] = {str(k): str(v) for k, v in (repeat.details or {}).items()
                                      if v not in (None, "")}
    return item


def _need_copy(lead: Lead, not_theirs: set) -> dict:
    item = {str(label): _readable(name, getattr(lead, name)) for name, label in _COPY_FIELDS}
    item[str(_l("Follow-ups"))] = [
        {str(_l("Time")): local_time(a.created_at),
         str(_l("Kind")): str(choices.label(choices.ACTIVITY_KINDS, a.kind)),
         str(_l("Outcome")): str(choices.label(choices.OUTCOMES, a.outcome)) if a.outcome else "",
         str(_l("What happened")): a.body}
        for a in sorted(lead.activities, key=lambda a: (a.created_at, a.id))
        if (a.kind, lead.id, a.created_at) not in not_theirs]
    item[str(_l("Listings sent"))] = [
        {str(_l("Listing")): link.listing_id, str(_l("Time")): local_time(link.created_at)}
        for link in db.session.scalars(select(LeadListing).where(LeadListing.lead_id == lead.id))]
    # The pages of listings sent to them, and whether and when they opened them.
    item[str(_l("Recommendations sent"))] = [
        {str(_l("Time")): local_time(r.created_at), str(_l("Link valid until")): local_time(r.expires_at),
         str(_l("Times opened")): r.open_count,
         str(_l("First opened")): local_time(r.first_opened_at) if r.first_opened_at else "",
         str(_l("Last opened")): local_time(r.last_opened_at) if r.last_opened_at else ""}
        for r in db.session.scalars(select(Recommendation).where(
            Recommendation.lead_id == lead.id).order_by(Recommendation.created_at))]
    item[str(_l("Visit requests"))] = [
        {str(_l("Time")): local_time(r.preferred_at), str(_l("Note")): r.note}
        for r in db.session.scalars(select(VisitRequest).where(
            VisitRequest.lead_id == lead.id).order_by(VisitRequest.created_at))]
    item[str(_l("Site visits"))] = [
        {str(_l("Time")): local_time(v.starts_at), str(_l("Meeting point")): v.meeting_point}
        for v in db.session.scalars(select(SiteVisit).where(
            SiteVisit.lead_id == lead.id).order_by(SiteVisit.starts_at))]
    return item


def export_person(person: str, actor: User) -> dict:
    """The person's copy: today's sections (who asked, when, their inquiries with what
    was done on them, their repeat inquiries) and their contact records."""
    rows = rows_of(person)
    own = {lead.id: lead.reference for lead in rows.leads}
    # The notice of another person's repeat on their need quotes that person: left out.
    not_theirs = {("repeat_inquiry", r.original_lead_id, r.notified_at)
                  for r in db.session.scalars(select(InquiryRepeat).where(
                      InquiryRepeat.original_lead_id.in_(own),
                      InquiryRepeat.id.not_in([r.id for r in rows.repeats]),
                      InquiryRepeat.notified_at.is_not(None)))}
    with default_locale():
        data = {(str(_l("Mobile")) if _is_mobile(person) else str(_l("WeChat ID"))):
                person.removeprefix("+86"),
                str(_l("Copy made at")): local_time(utcnow()),
                str(_l("Contact details")): [_contact_copy(c) for c in rows.contacts],
                str(_l("Inquiries")): [_need_copy(lead, not_theirs) for lead in rows.leads],
                str(_l("Repeat inquiries")): [_repeat_copy(r, own) for r in rows.repeats]}
    audit.record(actor, "pipl_export", "person", None, None, _ids(rows))
    db.session.commit()
    return data


def _ids(rows: PersonRows, leads: list[Lead] | None = None) -> dict:
    """What the audit names: ids only (the log keeps nothing personal)."""
    return {"contacts": [c.id for c in rows.contacts],
            "leads": [lead.id for lead in (rows.leads if leads is None else leads)],
            "repeats": [r.id for r in rows.repeats]}


def _anonymise(lead: Lead, now, repeats: bool = True) -> None:
    """Clear the need's personal data. `repeats` (retention): the repeat inquiries attached
    to it, and those by its mobile made before repeats were linked to a contact; a
    person's erase passes False and erases exactly their own repeats (rows_of): another
    person's repeat on their need is not theirs."""
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
        # A linked repeat on another need is the contact's (it goes with the contact).
        legacy = and_(InquiryRepeat.mobile_e164 == mobile, InquiryRepeat.contact_id.is_(None)) \
            if mobile else false()
        _erase_repeats(list(db.session.scalars(select(InquiryRepeat).where(
            or_(InquiryRepeat.original_lead_id == lead.id, legacy)))))
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


def _erase_contacts(contacts: list[Contact], now) -> None:
    """The person's contact records: nothing left to know them by. Their mobile leaves the
    unique index, so the number asking again later is a new person (they asked to be
    forgotten). A company left with no live contact, no other need and no credit code goes
    too, and its name with it from the needs that carried it: a 个体户's name is often its
    owner's."""
    contacts = [c for c in contacts if c.erased_at is None]
    if not contacts:
        return
    ids = [c.id for c in contacts]
    # Their rows of imports not yet run, by the keys the records held.
    for contact in contacts:
        if contact.mobile_e164:
            _erase_import_rows(contact.mobile_e164)
        if contact.wechat_id:
            wechat = contact.wechat_id
            _erase_import_rows("+86" + wechat if MOBILE_SHAPED.fullmatch(wechat) else wechat)
    companies = {c.company_id for c in contacts if c.company_id is not None}
    companies |= set(db.session.scalars(select(Lead.company_id).where(
        Lead.contact_id.in_(ids), Lead.company_id.is_not(None))))
    db.session.execute(update(Contact).where(Contact.id.in_(ids)).values(
        name=ERASED_NAME, name_key="", mobile_e164=None, mobile_display="", mobile_note="",
        wechat_id=None, email="", company_id=None, erased_at=now)
        .execution_options(synchronize_session=False))
    for company_id in sorted(companies):
        live = (select(Contact.id).where(Contact.company_id == company_id, Contact.erased_at.is_(None))
                .union_all(select(Lead.id).where(Lead.company_id == company_id,
                                                 Lead.erased_at.is_(None))))
        if db.session.scalar(select(Company.credit_code).where(Company.id == company_id)) is None \
                and db.session.execute(live.limit(1)).first() is None:
            # Every need left on it is erased (the query above): none keeps the name. Set on
            # the rows, so the flush recomputes their search text without it.
            for lead in db.session.scalars(select(Lead).where(Lead.company_id == company_id)):
                lead.company_id, lead.company = None, ""
            db.session.flush()
            db.session.execute(delete(Company).where(Company.id == company_id)
                               .execution_options(synchronize_session=False))


def _forget_api_answers(references: list[str]) -> None:
    """The API remembers the answer it gave (a reference) under the client's retry key."""
    if references:
        db.session.execute(delete(ApiIdempotencyKey).where(
            ApiIdempotencyKey.body["reference"].as_string().in_(references))
            .execution_options(synchronize_session=False))


def _erase_repeats(repeats: list[InquiryRepeat]) -> None:
    for repeat in repeats:
        # The notice of it on the need it repeated quotes their message (that need may be
        # someone else's: its other notes stay). Written at the same instant as notified_at.
        if repeat.notified_at is not None:
            db.session.execute(update(Activity).where(
                Activity.lead_id == repeat.original_lead_id, Activity.kind == "repeat_inquiry",
                Activity.created_at == repeat.notified_at)
                .values(body="").execution_options(synchronize_session=False))
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


def _erase_rows(rows: PersonRows, now) -> list[Lead]:
    """Erase what rows_of found: each need, their repeats, their contact records (and a
    company left with nobody). Returns the needs it anonymised."""
    leads = [lead for lead in rows.leads if lead.erased_at is None]
    for lead in leads:
        _anonymise(lead, now, repeats=False)
    # Their repeats, on their needs or someone else's (matched on the company).
    _erase_repeats(rows.repeats)
    _erase_contacts(rows.contacts, now)
    return leads


def erase_person(person: str, actor: User | None, reason: str = "request") -> int:
    """Erase everything of the person named by mobile or WeChat ID (see person_key), in
    every team: the right is the person's."""
    rows = rows_of(person)  # the rows their copy gives them (export_person)
    leads = _erase_rows(rows, utcnow())
    _erase_import_rows(person)  # rows of an import that has not run yet
    if leads or rows.repeats or rows.contacts:
        audit.record(actor, "pipl_erase", "person", None, _ids(rows, leads), {"reason": reason})
    db.session.commit()
    return len(leads)


def _closed_at(lead=Lead):
    """When the lead last moved to won/lost (its creation when no move was recorded)."""
    moved = (select(func.max(Activity.created_at))
             .where(Activity.lead_id == lead.id, Activity.kind == "status_change",
                    Activity.to_status.in_(CLOSED))
             .correlate(lead).scalar_subquery())
    return func.coalesce(moved, lead.created_at)


def closed_before_ids(cutoff, limit: int = 500) -> list[int]:
    """Leads won or lost, not erased, whose last move to won/lost is older than the cutoff."""
    return list(db.session.scalars(
        select(Lead.id).where(Lead.status.in_(CLOSED), Lead.erased_at.is_(None),
                              _closed_at() <= cutoff)
        .order_by(Lead.id).limit(limit)))


def contacts_past_retention(cutoff, limit: int = 500) -> list[int]:
    """Contacts not erased with no open need (ix_lead_contact_status) whose newest sign of
    life is older than the cutoff: the newest closure of a need (its creation for spam
    and merged ones), the newest repeat inquiry, or the record's own creation."""
    open_need = select(Lead.id).where(Lead.contact_id == Contact.id,
                                      Lead.status.in_(OPEN_STATUSES)).correlate(Contact)
    last_need = (select(func.max(_closed_at())).where(Lead.contact_id == Contact.id)
                 .correlate(Contact).scalar_subquery())
    last_repeat = (select(func.max(InquiryRepeat.created_at))
                   .where(InquiryRepeat.contact_id == Contact.id)
                   .correlate(Contact).scalar_subquery())
    return list(db.session.scalars(
        select(Contact.id).where(Contact.erased_at.is_(None), ~open_need.exists(),
                                 Contact.created_at <= cutoff,
                                 func.coalesce(last_need, Contact.created_at) <= cutoff,
                                 func.coalesce(last_repeat, Contact.created_at) <= cutoff)
        .order_by(Contact.id).limit(limit)))


def retention_sweep() -> int:
    """Keep personal data no longer than CRM_RETENTION_DAYS (Art. 19), in two levels; safe
    to run any number of times. A need closed longer than that is anonymised; a contact
    with no open need whose newest closure is older than that is erased, with what is
    left of theirs (spam needs, repeats on someone else's need, the record itself).
    Returns how many needs and contacts it erased."""
    now = utcnow()
    days = current_app.config["CRM_RETENTION_DAYS"]
    cutoff = now - timedelta(days=days)
    ids = closed_before_ids(cutoff)
    for lead_id in ids:
        lead = db.session.get(Lead, lead_id)
        if lead is None or lead.erased_at is not None:
            continue
        _anonymise(lead, now)
        audit.record(None, "retention_erase", "lead", lead.id, None, {"retention_days": days})
        db.session.commit()
    contact_ids = contacts_past_retention(cutoff)
    for contact_id in contact_ids:
        contact = db.session.get(Contact, contact_id)
        if contact is None or contact.erased_at is not None:
            continue
        rows = _rows([contact], false(), false())
        leads = _erase_rows(rows, now)
        audit.record(None, "retention_erase", "contact", contact_id, None,
                     {"retention_days": days, **_ids(rows, leads)})
        db.session.commit()
    if ids or contact_ids:
        log.info("retention: anonymised %d closed needs, erased %d contacts",
                 len(ids), len(contact_ids))
    return len(ids) + len(contact_ids)

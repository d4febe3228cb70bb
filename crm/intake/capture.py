"""Capture an inquiry: validate (in the form), judge spam, link repeats, commit, hand over.

Three outcomes, and none of them drops what the prospect sent:
- a new lead, routed after commit;
- spam: a lead with status "spam" and its reasons, never routed until a manager releases it;
- a repeat: the prospect asked within the duplicate window, so the submission is linked to
  the first lead (InquiryRepeat) and the owner is told, instead of routing a second lead.
"""
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Callable, NamedTuple

from flask import current_app
from sqlalchemy import func, literal, select, union_all
from sqlalchemy.exc import IntegrityError

from crm.choices import to_sqm
from crm.extensions import db
from crm.models import InquiryRepeat, Lead, User
from crm.models.types import utcnow
from crm.observability import metrics
from crm.leads import followup
from crm.intake import reference
from crm.leads import scoring
from crm.intake import spam
from crm.leads import stages
from crm.jobs import enqueue

_EIA = {"yes": True, "no": False}


@dataclass(frozen=True)
class Outcome:
    status: str            # "new" | "spam" | "duplicate"
    reference: str         # the lead's reference; the first lead's for a repeat
    lead_id: int
    repeat_id: int | None = None


def lead_from_form(form, channel: str, source_site_id: int | None = None) -> Lead:
    """Build (not save) a Lead from a validated InquiryForm."""
    now = utcnow()
    unit = form.area_unit.data or "sqm"
    mobile = form.parsed_mobile
    lead = Lead(
        channel=channel,
        created_at=now,
        deal_type=form.deal_type.data or None,
        property_type=form.property_type.data or None,
        region_code=form.region_code.data or None,
        region_text=form.region_text.data or "",
        area_min_sqm=to_sqm(form.area_min.data, unit),
        area_max_sqm=to_sqm(form.area_max.data, unit),
        area_unit=unit,
        industry=form.industry.data or None,
        usage=form.usage.data or "",
        needs_eia=_EIA.get(form.needs_eia.data),
        annual_tax_wan=form.annual_tax_wan.data,
        investment_wan=form.investment_wan.data,
        company=form.company.data or "",
        credit_code=form.credit_code.data or None,
        credit_code_valid=form.credit_code_valid,
        contact_name=form.contact_name.data,
        mobile_e164=mobile.e164,
        mobile_display=mobile.display,
        mobile_note=mobile.note,
        contact_preference="wechat" if mobile.prefers_wechat else "phone",
        wechat_id=form.wechat_id.data or "",
        email=form.email.data or "",
        message=form.message.data or "",
        consent=bool(form.consent.data),
        consent_at=now if form.consent.data else None,
        consent_version=current_app.config["PRIVACY_POLICY_VERSION"] if form.consent.data else "",
        page_url=(form.page_url.data or "")[:1000],
        referrer=(form.referrer.data or "")[:1000],
        utm_source=(form.utm_source.data or "")[:100],
        utm_medium=(form.utm_medium.data or "")[:100],
        utm_campaign=(form.utm_campaign.data or "")[:100],
        source_site_id=source_site_id,
        listing_id=form.listing,
        status="new",
        spam_reasons="",
    )
    return lead  # search_text is filled by the model on insert


class Original(NamedTuple):
    id: int
    reference: str
    matched_on: str      # "mobile" | "company"


def find_original(lead: Lead) -> Original | None:
    """The newest non-spam lead in the window with the same mobile, else company + contact."""
    since = lead.created_at - timedelta(days=current_app.config["CRM_DUPLICATE_WINDOW_DAYS"])

    def newest(matched_on: str, *conditions):
        return (select(Lead.id, Lead.reference, literal(matched_on).label("matched_on"))
                .where(Lead.created_at >= since, Lead.status != "spam", *conditions)
                .order_by(Lead.created_at.desc(), Lead.id.desc()).limit(1).subquery())

    # One round trip, two branches, each served by its own index (ix_lead_mobile_created,
    # ix_lead_company_contact_created); an OR would defeat both. Only the id and reference:
    # the whole row is not needed to link a repeat.
    branches = [newest("mobile", Lead.mobile_e164 == lead.mobile_e164)]
    if lead.company and lead.contact_name:
        branches.append(newest("company", Lead.company == lead.company,
                               Lead.contact_name == lead.contact_name))
    rows = db.session.execute(union_all(*(select(branch) for branch in branches))).all()
    matches = {row.matched_on: Original(row.id, row.reference, row.matched_on) for row in rows}
    return matches.get("mobile") or matches.get("company")


def _details(lead: Lead) -> dict:
    """What else this submission said, as JSON-safe values."""
    names = ("deal_type", "property_type", "region_code", "region_text", "area_min_sqm",
             "area_max_sqm", "area_unit", "industry", "usage", "needs_eia", "annual_tax_wan",
             "investment_wan", "credit_code", "wechat_id", "email", "mobile_note",
             "contact_preference", "consent_version")
    out = {}
    for name in names:
        value = getattr(lead, name)
        if value is None or value == "":
            continue
        out[name] = str(value) if isinstance(value, Decimal) else value
    return out


def _repeat_from(lead: Lead, original: Original) -> InquiryRepeat:
    return InquiryRepeat(
        original_lead_id=original.id, created_at=lead.created_at, matched_on=original.matched_on,
        channel=lead.channel, source_site_id=lead.source_site_id, listing_id=lead.listing_id,
        contact_name=lead.contact_name, mobile_e164=lead.mobile_e164, company=lead.company,
        message=lead.message, details=_details(lead), page_url=lead.page_url,
        referrer=lead.referrer, utm_source=lead.utm_source, utm_medium=lead.utm_medium,
        utm_campaign=lead.utm_campaign)


def _serialise_same_prospect(lead: Lead) -> None:
    """On PostgreSQL, two submissions for one mobile take turns, so both cannot be 'first'."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(lead.mobile_e164))))


def capture_inquiry(form, channel: str = "web", *, source_site_id: int | None = None,
                    check_spam: bool = True, bot_traps: bool = False,
                    before_commit: Callable[[Outcome], None] | None = None) -> Outcome:
    """Commit the inquiry first; routing, notices and mail happen after, via Celery.

    `before_commit` lets the caller add rows to the same transaction (the API's
    idempotency record); an IntegrityError from them propagates after a rollback.
    """
    reasons = spam.judge(form, bot_traps=bot_traps) if check_spam else []
    for _attempt in range(reference.ATTEMPTS):
        lead = lead_from_form(form, channel, source_site_id)
        try:
            outcome, auto_reply = _save(lead, reasons, before_commit)
            break
        except IntegrityError as exc:
            db.session.rollback()
            if not reference.is_collision(exc):
                raise
            # The drawn reference was taken (rare): the whole transaction again, new draw.
    else:
        raise RuntimeError("could not draw a unique reference number")
    metrics.SUBMISSIONS.labels(channel=channel, outcome=outcome.status).inc()
    if outcome.status == "new":
        enqueue("workers.tasks.route_lead", outcome.lead_id)
        if auto_reply and current_app.config.get("MAIL_SERVER"):
            enqueue("workers.tasks.send_auto_reply", outcome.lead_id)
    elif outcome.status == "duplicate":
        enqueue("workers.tasks.notify_repeat_inquiry", outcome.lead_id, outcome.repeat_id)
    return outcome


def _save(lead: Lead, spam_reasons: list[str],
          before_commit: Callable[[Outcome], None] | None) -> tuple[Outcome, bool]:
    """One transaction: the lead (or the repeat), committed. Returns (outcome, auto-reply?)."""
    if spam_reasons:
        lead.status = "spam"
        lead.spam_reasons = ",".join(spam_reasons)[:300]
        _add(lead)
        outcome = Outcome("spam", lead.reference, lead.id)
    else:
        _serialise_same_prospect(lead)
        original = find_original(lead)
        if original is not None:
            repeat = _repeat_from(lead, original)
            db.session.add(repeat)
            db.session.flush()
            outcome = Outcome("duplicate", original.reference, original.id, repeat.id)
        else:
            # Scored before the INSERT, so the score is in it (no UPDATE); the lead is not in
            # the database yet, so the repeat count is the same as after.
            scoring.refresh(lead)
            _add(lead)
            stages.record_created(lead)
            outcome = Outcome("new", lead.reference, lead.id)
    # Read before the commit expires the lead: reading it after would reload the whole row.
    auto_reply = outcome.status == "new" and bool(lead.email)
    if before_commit is not None:
        before_commit(outcome)
    db.session.commit()
    return outcome, auto_reply


def _add(lead: Lead) -> None:
    """INSERT the lead under a freshly drawn reference (no savepoint: see capture_inquiry)."""
    lead.reference = reference.new_reference(lead.created_at, current_app.config["CRM_TIMEZONE"])
    db.session.add(lead)
    db.session.flush()


def release_spam(lead: Lead, manager: User) -> None:
    """A manager says it is a real inquiry: back to 'new' and into routing."""
    if lead.status != "spam":
        raise followup.StageError("not spam")
    followup.change_status(lead, manager, "new")
    enqueue("workers.tasks.route_lead", lead.id)

"""Capture an inquiry: validate (in the form), commit, then hand over to routing."""
from decimal import Decimal

from flask import current_app
from sqlalchemy.exc import IntegrityError

from crm.choices import SQM_PER_MU
from crm.extensions import db
from crm.models import Lead
from crm.models.types import utcnow
from crm.services import scoring
from crm.services.dispatch import enqueue
from crm.services.reference import new_reference

_EIA = {"yes": True, "no": False}


def to_sqm(value: Decimal | None, unit: str) -> Decimal | None:
    if value is None:
        return None
    return (value * Decimal(str(SQM_PER_MU)) if unit == "mu" else value).quantize(Decimal("0.01"))


def lead_from_form(form, channel: str) -> Lead:
    """Build (not save) a Lead from a validated InquiryForm."""
    now = utcnow()
    unit = form.area_unit.data or "sqm"
    mobile = form.parsed_mobile
    return Lead(
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
    )


def capture_inquiry(form, channel: str = "web") -> Lead:
    """Commit the lead first; routing happens after, and may happen later (sweeper)."""
    lead = lead_from_form(form, channel)
    for _attempt in range(5):
        lead.reference = new_reference(lead.created_at, current_app.config["CRM_TIMEZONE"])
        try:
            with db.session.begin_nested():
                db.session.add(lead)
            break
        except IntegrityError:  # reference collision: draw again
            continue
    else:
        raise RuntimeError("could not draw a unique reference number")
    scoring.refresh(lead)
    db.session.commit()
    enqueue("workers.tasks.route_lead", lead.id)
    return lead

"""An agent corrects what the prospect said: every changed field is audited."""
from flask_babel import gettext
from werkzeug.datastructures import MultiDict

from crm import access
from crm.choices import to_sqm
from crm.extensions import db
from crm.i18n import default_locale
from crm.inputs.building import REQUIREMENTS, requirements_from_form
from crm.inputs.phone import contact_preference
from crm.leads import scoring
from crm.models import Activity, Lead, User
from crm.models.types import utcnow
from crm.privacy import audit

_EIA = {"yes": True, "no": False}

EDITABLE = ("deal_type", "property_type", "region_code", "region_text", "area_min_sqm",
            "area_max_sqm", "area_unit", "industry", "usage", "needs_eia", "annual_tax_wan",
            "investment_wan", "company", "credit_code", "credit_code_valid", "contact_name",
            "mobile_e164", "mobile_display", "mobile_note", "contact_preference", "wechat_id",
            "email", "message", *REQUIREMENTS)


def contact_as_typed(lead: Lead) -> dict[str, str]:
    """The contact fields as the edit form holds them for someone who may read them."""
    return {"mobile": lead.mobile_display + (f" {lead.mobile_note}" if lead.mobile_note else ""),
            "wechat_id": lead.wechat_id, "email": lead.email}


def masked_for(user: User, lead: Lead, data: dict) -> dict:
    """The edit form's data as `user` may see it: whoever may work the lead but not read
    its contact details (crm.access.contact_for) gets them masked, as on the lead page."""
    contact = access.contact_for(user, lead)
    if contact["full"]:
        return data
    return {**data, **{name: contact[name] for name in contact_as_typed(lead)}}


def unmasked(user: User, lead: Lead, formdata: MultiDict) -> MultiDict:
    """A posted edit form with every contact field sent back as shown (masked) put back
    to the stored value, so that saving keeps the number instead of writing the mask."""
    contact = access.contact_for(user, lead)
    formdata = formdata.copy()
    if not contact["full"]:
        for name, original in contact_as_typed(lead).items():
            if formdata.get(name) == contact[name]:
                formdata[name] = original
    return formdata


def update_lead(lead: Lead, form, actor: User) -> dict:
    """Apply a validated LeadEditForm; returns the fields that changed."""
    values = values_from_form(form)
    old, new = audit.diff(lead, EDITABLE, values)
    if not new:
        return {}
    for name, value in new.items():
        setattr(lead, name, value)
    with default_locale():
        body = gettext("Edited: %(fields)s", fields=", ".join(sorted(new)))
    db.session.add(Activity(lead_id=lead.id, kind="edit", author_id=actor.id, body=body,
                            created_at=utcnow()))
    audit.record(actor, "lead_edit", "lead", lead.id, old, new)
    scoring.refresh(lead)
    db.session.commit()
    return new


def values_from_form(form) -> dict:
    unit = form.area_unit.data or "sqm"
    mobile = form.parsed_mobile
    return {
        "deal_type": form.deal_type.data or None, "property_type": form.property_type.data or None,
        "region_code": form.region_code.data or None, "region_text": form.region_text.data or "",
        "area_min_sqm": to_sqm(form.area_min.data, unit), "area_max_sqm": to_sqm(form.area_max.data, unit),
        "area_unit": unit, "industry": form.industry.data or None, "usage": form.usage.data or "",
        "needs_eia": _EIA.get(form.needs_eia.data), "annual_tax_wan": form.annual_tax_wan.data,
        "investment_wan": form.investment_wan.data, "company": form.company.data or "",
        "credit_code": form.credit_code.data or None, "credit_code_valid": form.credit_code_valid,
        "contact_name": form.contact_name.data, "mobile_e164": mobile.e164 if mobile else None,
        "mobile_display": mobile.display if mobile else "", "mobile_note": mobile.note if mobile else "",
        "contact_preference": contact_preference(mobile),
        "wechat_id": form.wechat_id.data or "", "email": form.email.data or "",
        "message": form.message.data or "",
        **requirements_from_form(form),
    }

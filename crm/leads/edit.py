"""An agent corrects what the prospect said: every changed field is audited."""
from dataclasses import dataclass

from flask_babel import gettext
from werkzeug.datastructures import MultiDict

from crm import access
from crm.extensions import db
from crm.i18n import default_locale
from crm.inputs.building import REQUIREMENTS
from crm.inputs.prospect import ContactInput, NeedInput
from crm.leads import scoring
from crm.models import Activity, Lead, User
from crm.models.types import utcnow
from crm.privacy import audit

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


@dataclass(frozen=True, slots=True)
class LeadEdit:
    """What the agent's edit form says: the same contact and need an inquiry carries, and
    the message (no consent or attribution: those stay as the prospect sent them)."""
    contact: ContactInput
    need: NeedInput
    message: str = ""

    def lead_columns(self) -> dict:
        return {**self.need.lead_columns(), **self.contact.lead_columns(),
                "message": self.message}


def update_lead(lead: Lead, data: LeadEdit, actor: User) -> dict:
    """Apply an edit; returns the fields that changed."""
    old, new = audit.diff(lead, EDITABLE, data.lead_columns())
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

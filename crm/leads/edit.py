"""An agent corrects what the prospect said: every changed field is audited."""
from dataclasses import dataclass

from flask_babel import gettext

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

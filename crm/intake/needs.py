"""A repeat inquiry against its need (design §2 step 5, §5.4): what it stated differently, an
agent taking those figures over (`adopt`, an audited edit), or the repeat becoming a need of
its own (`split_repeat`: the rule revision d2b8f6a41c7e applies to old repeats, in Python).
"""
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace

from flask import current_app
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from crm import choices, regions
from crm.choices import SQM_PER_MU
from crm.extensions import db
from crm.formatting import area_range, wan
from crm.i18n import default_locale, ui_language
from crm.inputs import building
from crm.inputs.building import REQUIREMENTS
from crm.inputs.phone import Mobile, PhoneError, parse_mobile
from crm.inputs.prospect import ContactInput, NeedInput
from crm.intake import reference
from crm.intake.match import find_company
from crm.leads import followup, scoring, stages
from crm.leads.edit import LeadEdit, update_lead
from crm.models import Activity, InquiryRepeat, Lead, User
from crm.models.types import utcnow

# A difference the agent adopts in one tap, and the lead columns it carries over.
FIELDS: dict[str, tuple[str, ...]] = {
    "deal_type": ("deal_type",),
    "property_type": ("property_type",),
    "region": ("region_code", "region_text"),
    "area": ("area_min_sqm", "area_max_sqm", "area_unit"),
    "industry": ("industry",),
    "usage": ("usage",),
    "needs_eia": ("needs_eia",),
    "requirements": REQUIREMENTS,
    "annual_tax_wan": ("annual_tax_wan",),
    "investment_wan": ("investment_wan",),
}
# Compared for a difference (the unit the area was typed in is how, not what).
_COMPARED = {**FIELDS, "area": ("area_min_sqm", "area_max_sqm")}
_DECIMALS = frozenset({"area_min_sqm", "area_max_sqm", "annual_tax_wan", "investment_wan",
                       "ceiling_height_m", "crane_t", "floor_load_t"})
NEED_COLUMNS = tuple(c for columns in FIELDS.values() for c in columns)


class NotThisLead(ValueError):
    """The repeat belongs to another lead."""


def stated(repeat: InquiryRepeat) -> dict:
    """The need columns as the repeat's `details` hold them, typed as the lead's; a column
    the repeat did not state is absent."""
    out: dict = {}
    details = repeat.details or {}
    for column in NEED_COLUMNS:
        if column not in details or details[column] in (None, ""):
            continue
        value = details[column]
        if column in _DECIMALS:
            try:
                value = Decimal(str(value))
            except InvalidOperation:
                continue
        elif column == "power_kva":
            value = int(value)
        out[column] = value
    return out


def _default(column: str):
    return "" if column in ("region_text", "usage") else "sqm" if column == "area_unit" else None


def _group(source, columns: tuple[str, ...]) -> tuple:
    get = source.get if isinstance(source, dict) else lambda c, d: getattr(source, c)
    return tuple(get(c, _default(c)) for c in columns)


def differences(lead: Lead, repeat: InquiryRepeat) -> list[tuple[str, str, str, str]]:
    """(field, label, was, now) for each part of the need the repeat stated otherwise than
    the need holds it, formatted as the lead page shows it."""
    now = stated(repeat)
    out = []
    for field, columns in _COMPARED.items():
        if not any(c in now for c in columns):
            continue
        # A group is stated whole: the columns the repeat left out are "not said".
        if _group(now, columns) == _group(lead, columns):
            continue
        out.append((field, _label(field), _show(field, lead), _show(field, now)))
    return out


def _label(field: str) -> str:
    return {"deal_type": gettext("Deal"), "property_type": gettext("Property type"),
            "region": gettext("Region"), "area": gettext("Area"),
            "industry": gettext("Industry"), "usage": gettext("Usage"),
            "needs_eia": gettext("EIA (环评)"), "requirements": gettext("Requirements"),
            "annual_tax_wan": gettext("Annual tax"),
            "investment_wan": gettext("Investment")}[field]


def _show(field: str, source) -> str:
    values = dict(zip(FIELDS[field], _group(source, FIELDS[field]), strict=True))
    if field == "deal_type":
        return choices.label(choices.DEAL_TYPES, values["deal_type"])
    if field == "property_type":
        return choices.label(choices.PROPERTY_TYPES, values["property_type"])
    if field == "industry":
        return choices.label(choices.INDUSTRIES, values["industry"])
    if field == "region":
        return regions.label(values["region_code"], values["region_text"], ui_language())
    if field == "area":
        land = values["area_unit"] == "mu" or _group(source, ("property_type",))[0] == "land"
        return area_range(values["area_min_sqm"], values["area_max_sqm"], "mu" if land else "sqm")
    if field == "needs_eia":
        eia = values["needs_eia"]
        return "" if eia is None else gettext("Yes") if eia else gettext("No")
    if field == "requirements":
        return "; ".join(building.stated(SimpleNamespace(**values)))
    if field in ("annual_tax_wan", "investment_wan"):
        amount = values[field]
        return "" if amount is None else f"{wan(amount)} {gettext('10k yuan')}"
    return values[field] or ""


# --- adopt: the repeat's figures onto the need, as an edit ----------------------------------

@dataclass(frozen=True, slots=True)
class _Adopted(LeadEdit):
    """An edit that sets only the adopted columns: the rest of the need and the contact stay
    exactly as stored (a full edit would rederive, e.g., the contact preference)."""
    only: tuple[str, ...] = ()

    def lead_columns(self) -> dict:
        return {k: v for k, v in LeadEdit.lead_columns(self).items() if k in self.only}


def _as_typed(sqm: Decimal | None, unit: str) -> Decimal | None:
    # NeedInput holds the area as typed; 亩 back from ㎡ exactly enough that to_sqm gives
    # the stored ㎡ again (28 significant digits, then to the cent).
    if sqm is None or unit != "mu":
        return sqm
    return sqm / Decimal(str(SQM_PER_MU))


def _need_of(values: dict) -> NeedInput:
    unit = values.get("area_unit") or "sqm"
    return NeedInput(
        deal_type=values.get("deal_type"), property_type=values.get("property_type"),
        region_code=values.get("region_code"), region_text=values.get("region_text") or "",
        area_min=_as_typed(values.get("area_min_sqm"), unit),
        area_max=_as_typed(values.get("area_max_sqm"), unit), area_unit=unit,
        industry=values.get("industry"), usage=values.get("usage") or "",
        needs_eia=values.get("needs_eia"),
        annual_tax_wan=values.get("annual_tax_wan"), investment_wan=values.get("investment_wan"),
        **{c: values.get(c) for c in REQUIREMENTS})


def _contact_of(lead: Lead) -> ContactInput:
    mobile = (Mobile(lead.mobile_e164, lead.mobile_display or "", lead.mobile_note or "")
              if lead.mobile_e164 else None)
    return ContactInput(name=lead.contact_name or "", mobile=mobile,
                        wechat_id=lead.wechat_id or "", email=lead.email or "",
                        company=lead.company or "", credit_code=lead.credit_code,
                        credit_code_valid=lead.credit_code_valid)


def adopt(lead: Lead, repeat_id: int, fields, actor: User) -> dict:
    """Take `fields` (keys of FIELDS) of the need from the repeat: a LeadEdit through
    update_lead (activity, audit, score, commit). Returns the columns that changed."""
    repeat = db.session.get(InquiryRepeat, repeat_id)
    if repeat is None or repeat.original_lead_id != lead.id:
        raise NotThisLead(repeat_id)
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValueError(f"not a need field: {sorted(unknown)}")
    now = stated(repeat)
    values = {c: getattr(lead, c) for c in NEED_COLUMNS}
    only: list[str] = []
    for field in fields:
        for column in FIELDS[field]:
            values[column] = now.get(column, _default(column))
            only.append(column)
    if "area" in fields and "area_unit" not in now:
        values["area_unit"] = lead.area_unit
    edit = _Adopted(contact=_contact_of(lead), need=_need_of(values), message=lead.message,
                    only=tuple(only))
    return update_lead(lead, edit, actor)


# --- split: the repeat becomes a need of its own --------------------------------------------

def split_of(repeat_ids) -> dict[int, tuple[int, str]]:
    """repeat id → (id, reference) of the need it became, for the repeats that did."""
    ids = list(repeat_ids)
    if not ids:
        return {}
    rows = db.session.execute(select(Lead.from_repeat_id, Lead.id, Lead.reference)
                              .where(Lead.from_repeat_id.in_(ids))).all()
    return {r.from_repeat_id: (r.id, r.reference) for r in rows}


def _mobile_display(e164: str, original: Lead) -> tuple[str, str]:
    if e164 == original.mobile_e164:
        return original.mobile_display, original.mobile_note
    try:
        parsed = parse_mobile(e164)
    except PhoneError:
        return e164, ""
    return parsed.display, ""


def split_repeat(repeat: InquiryRepeat, actor: User | None) -> Lead:
    """Make the repeat a need of its own, owned as its original (the owner it was told to),
    with the repeat's reference, time, attribution, message and stated need. A second call
    returns the need made by the first."""
    existing = db.session.scalar(select(Lead).where(Lead.from_repeat_id == repeat.id))
    if existing is not None:
        return existing
    original = db.session.get(Lead, repeat.original_lead_id)
    assert original is not None  # the FK cascades
    details = repeat.details or {}
    need = _need_of(stated(repeat)).lead_columns()
    now = utcnow()
    mobile = repeat.mobile_e164 or original.mobile_e164
    display, note = _mobile_display(mobile, original) if mobile else ("", "")
    company = repeat.company or original.company
    credit_code = details.get("credit_code") or (original.credit_code if not repeat.company else None)
    # The reference moves: the prospect holding it now finds this need (lookup.by_reference).
    ref = repeat.reference or reference.new_reference(repeat.created_at,
                                                      current_app.config["CRM_TIMEZONE"])
    if repeat.reference:
        repeat.reference = None
        db.session.flush()
    lead = Lead(
        reference=ref, created_at=repeat.created_at, channel=repeat.channel,
        source_site_id=repeat.source_site_id, listing_id=repeat.listing_id,
        page_url=repeat.page_url, referrer=repeat.referrer, utm_source=repeat.utm_source,
        utm_medium=repeat.utm_medium, utm_campaign=repeat.utm_campaign, message=repeat.message,
        **need,
        contact_name=repeat.contact_name or original.contact_name, mobile_e164=mobile,
        mobile_display=display, mobile_note=details.get("mobile_note", note),
        contact_preference=details.get("contact_preference", original.contact_preference),
        wechat_id=details.get("wechat_id", original.wechat_id),
        email=details.get("email", original.email), company=company,
        credit_code=credit_code,
        credit_code_valid=original.credit_code_valid if credit_code == original.credit_code else None,
        consent=original.consent, consent_at=original.consent_at,
        consent_version=details.get("consent_version", original.consent_version),
        contact_id=repeat.contact_id or original.contact_id,
        company_id=(find_company(repeat.company, details.get("credit_code"))
                    if repeat.company else None) or original.company_id,
        from_repeat_id=repeat.id, team_id=original.team_id,
        assigned_to_id=original.assigned_to_id,
        assigned_at=now if original.assigned_to_id else None, routed_at=now,
        status="new", spam_reasons="")
    scoring.refresh(lead, repeats=0)
    db.session.add(lead)
    try:
        db.session.flush()
    except IntegrityError:
        # Two taps at once: the other made it (the reference it moved is taken).
        db.session.rollback()
        existing = db.session.scalar(select(Lead).where(Lead.from_repeat_id == repeat.id))
        if existing is None:
            raise
        return existing
    stages.record(lead, "new", lead.created_at)
    with default_locale():
        made = gettext("Split from a repeat inquiry (original need %(reference)s)",
                       reference=original.reference)
        left = gettext("A repeat inquiry became need %(reference)s", reference=ref)
    author = actor.id if actor is not None else None
    db.session.add_all([
        Activity(lead_id=lead.id, kind="repeat_inquiry", author_id=author, body=made, created_at=now),
        Activity(lead_id=original.id, kind="repeat_inquiry", author_id=author, body=left, created_at=now)])
    if lead.contact_id is not None:
        followup.renumber(lead.contact_id)
    db.session.commit()
    return lead


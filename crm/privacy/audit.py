"""The audit trail: one call per audited action, in the caller's transaction."""
from datetime import date, datetime, time
from decimal import Decimal

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l

from crm.extensions import db
from crm.models import AuditLog, User
from crm.models.types import utcnow


def _plain(value):
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


# Personal fields are never copied into the append-only log: an erase request (PIPL Art. 47)
# could not remove them from there. The entry says that they changed, not to what.
# "q": what was searched for (a name, a mobile) when a filtered list was exported.
PERSONAL = frozenset({"contact_name", "mobile_e164", "mobile_display", "mobile_note", "wechat_id",
                      "email", "message", "credit_code", "q"})
REDACTED = "***"


def redact(values: dict | None) -> dict | None:
    if values is None:
        return None
    return {k: (REDACTED if k in PERSONAL and v not in (None, "") else redact(v) if isinstance(v, dict) else v)
            for k, v in values.items()}


def _client_ip() -> str:
    if not has_request_context():
        return ""
    # remote_addr is already the client's when a ProxyFix is configured in front.
    return (request.remote_addr or "")[:45]


def record(actor: User | None, action: str, entity: str, entity_id: int | None,
           old: dict | None = None, new: dict | None = None) -> AuditLog:
    """Add an entry; the calling service commits it with the change it describes."""
    entry = AuditLog(actor_id=actor.id if actor is not None and getattr(actor, "id", None) else None,
                     action=action, entity=entity, entity_id=entity_id,
                     old=_plain(redact(old)) if old is not None else None,
                     new=_plain(redact(new)) if new is not None else None,
                     ip=_client_ip(), at=utcnow())
    db.session.add(entry)
    return entry


def record_access(actor: User, action: str, entity: str, entity_id: int | None,
                  details: dict | None = None) -> AuditLog:
    """An audited read (reveal a mobile, export a list): committed on its own, before the
    data goes out, so no one sees personal data without the entry being kept."""
    entry = record(actor, action, entity, entity_id, None, details)
    db.session.commit()
    return entry


def diff(obj, fields, new_values: dict) -> tuple[dict, dict]:
    """(old, new) for the fields whose value changes."""
    old, new = {}, {}
    for name in fields:
        before, after = getattr(obj, name), new_values.get(name, getattr(obj, name))
        if before != after:
            old[name], new[name] = before, after
    return old, new


# --- what a person reads in the audit log ------------------------------------------------
# Every action and entity the code records, in words; the log page and its filter use these.
ACTIONS = {
    "status_change": _l("Stage changed"), "reopen": _l("Lead reopened"),
    "reassign": _l("Lead reassigned"), "lead_edit": _l("Lead edited"), "merge": _l("Leads merged"),
    "reveal_contact": _l("Contact details revealed"), "export": _l("List exported"),
    "pipl_lookup": _l("Personal data looked up"), "pipl_export": _l("Personal data exported"),
    "pipl_erase": _l("Personal data erased"), "retention_erase": _l("Erased after retention period"),
    "user_create": _l("User created"), "user_edit": _l("User edited"),
    "team_create": _l("Team created"), "team_edit": _l("Team edited"),
    "password_reset": _l("Password reset by an admin"), "password_change": _l("Password changed"),
    "rule_create": _l("Routing rule created"), "rule_edit": _l("Routing rule edited"),
    "rule_delete": _l("Routing rule deleted"),
    "lost_reason_create": _l("Lost reason created"), "lost_reason_edit": _l("Lost reason edited"),
    "lost_reason_delete": _l("Lost reason deleted"),
    "listing_create": _l("Listing created"), "listing_edit": _l("Listing edited"),
    "listing_delete": _l("Listing deleted"),
    "calendar_seed": _l("Calendar copied from chinese-calendar"),
    "calendar_import": _l("Holiday notice imported"), "calendar_day": _l("Calendar day changed"),
    "branding_edit": _l("Public contact details changed"),
    "intake_policy_edit": _l("Intake rules changed"),
    "lookup_card": _l("Lead card looked up by reference"),
    "tell_owner": _l("Owner told of a call"),
    "park_create": _l("Park created"), "park_edit": _l("Park edited"),
    "lead_expectation": _l("Expected value or close date changed"),
    "stage_probability_edit": _l("Stage probabilities changed"),
    "spend_create": _l("Source spend entered"), "spend_edit": _l("Source spend edited"),
    "spend_delete": _l("Source spend deleted"),
}
ENTITIES = {
    "lead": _l("Lead"), "lead_queue": _l("Lead list"), "person": _l("Person"), "user": _l("User"),
    "team": _l("Team"), "routing_rule": _l("Routing rule"), "lost_reason": _l("Lost reason"),
    "listing": _l("Listing"), "calendar": _l("Working calendar"),
    "branding": _l("Public contact details"), "intake_policy": _l("Intake rules"),
    "park": _l("Park"), "contact": _l("Contact person"), "source_spend": _l("Source spend"),
}
FIELDS = {
    "status": _l("Stage"), "lost_reason": _l("Lost reason"), "note": _l("Note"),
    "assigned_to_id": _l("Agent"), "team_id": _l("Team"), "name": _l("Name"), "email": _l("Email"),
    "role": _l("Role"), "active": _l("Active"), "password": _l("Password"),
    "is_default": _l("Default team"), "contact_name": _l("Contact"), "mobile_e164": _l("Mobile"),
    "mobile_display": _l("Mobile"), "wechat_id": _l("WeChat"), "company": _l("Company"),
    "message": _l("Message"), "leads": _l("Leads"), "count": _l("Count"), "q": _l("Search"),
    "tab": _l("Tab"), "format": _l("Format"), "title": _l("Title"), "day": _l("Date"),
    "kind": _l("Kind"), "days": _l("Days"), "changed": _l("Changed"), "years": _l("Years"),
    "reason": _l("Reason"), "region_code": _l("Region"), "industry": _l("Industry"),
    "deal_type": _l("Deal"), "property_type": _l("Property type"), "area_min_sqm": _l("Area from"),
    "area_max_sqm": _l("Area to"), "annual_tax_wan": _l("Annual tax"),
    "investment_wan": _l("Investment"), "work_start": _l("Working day starts"),
    "work_end": _l("Working day ends"), "lunch_start": _l("Lunch break from"),
    "lunch_end": _l("Lunch break until"),
    "expected_value_wan": _l("Expected value"), "expected_close_on": _l("Expected close date"),
    "weekends_too": _l("Also works on weekends and holidays"),
    "brand_name": _l("Business name"), "hotline": _l("Hotline"), "wechat": _l("WeChat"),
    "public_mobile_required": _l("Public form requires a mobile"),
    "protection_days": _l("Client protection (days)"), "sourced_by_id": _l("Brought in by"),
    "code": _l("Code"), "aliases": _l("Other names"), "name_en": _l("English name"),
    "contacts": _l("Contact person"), "repeats": _l("Repeat inquiries"),
    "retention_days": _l("Retention (days)"),
    "month": _l("Month"), "source_site_id": _l("Source site"), "channel": _l("Channel"),
    "amount_yuan": _l("Amount (元)"),
}


def readable(values: dict | None) -> list[tuple[str, str]]:
    """An entry's old or new values as (label, text) pairs for people, not JSON."""
    if not values:
        return []
    out = []
    for key, value in values.items():
        if isinstance(value, bool):
            text = str(_l("yes") if value else _l("no"))
        elif isinstance(value, (list, tuple)):
            text = "、".join(map(str, value))
        elif value is None or value == "":
            text = "—"
        elif isinstance(value, dict):
            text = "; ".join(f"{k}: {v}" for k, v in value.items())
        else:
            text = str(value)
        out.append((str(FIELDS.get(key, key)), text))
    return out

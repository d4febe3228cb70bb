"""The audit trail: one call per audited action, in the caller's transaction."""
from datetime import date, datetime, time
from decimal import Decimal

from flask import has_request_context, request

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

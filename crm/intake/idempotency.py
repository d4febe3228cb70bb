"""The API's Idempotency-Key protocol: the first answer to a key is kept and replayed.

A valid inquiry and the record of its answer commit in one transaction, so a retry after a
lost response finds the answer and never makes a second lead. Only that answer (201) is
remembered: a refused request stored nothing, so the client may correct it and retry with
the same key. Requests are compared as canonical JSON (key order and whitespace aside).
A key protects a client's retries, which come within minutes or hours; after
CRM_IDEMPOTENCY_DAYS (7 by default, Stripe keeps 24 hours) the answer is forgotten
and the same key starts a new request.
"""
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from crm.extensions import db, rows_changed
from crm.intake.capture import capture_inquiry, understood
from crm.intake.inquiry import Inquiry
from crm.models import ApiIdempotencyKey
from crm.models.types import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict
    replayed: bool = False


def request_hash(payload, raw: bytes) -> str:
    """The request's identity: its JSON in canonical form (sorted keys, no whitespace);
    the raw bytes when it is not JSON."""
    try:
        canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False,
                               separators=(",", ":")).encode() if payload is not None else raw
    except (TypeError, ValueError):
        canonical = raw
    return hashlib.sha256(canonical).hexdigest()


def _stored(site_id: int, key: str) -> ApiIdempotencyKey | None:
    return db.session.scalars(select(ApiIdempotencyKey).where(
        ApiIdempotencyKey.source_site_id == site_id, ApiIdempotencyKey.key == key)).first()


def _replay_of(stored: ApiIdempotencyKey, request_hash: str) -> Answer:
    if stored.request_hash != request_hash:
        return Answer(422, {"errors": {"Idempotency-Key": [
            _("This Idempotency-Key was used for a different request.")]}})
    body = stored.body
    if stored.status_code == 201 and "kind" not in body:
        # Stored before answers said the kind: new or repeat, as its status said.
        body = {**body, "kind": "repeat" if body.get("status") == "duplicate" else "new"}
    return Answer(stored.status_code, body, replayed=True)


def replay(site_id: int, key: str | None, request_hash: str) -> Answer | None:
    """The stored answer for this key (or the refusal of a different request under it)."""
    if key is None:
        return None
    stored = _stored(site_id, key)
    return None if stored is None else _replay_of(stored, request_hash)


def submit(site_id: int, key: str | None, request_hash: str, inquiry: Inquiry | None = None,
           errors: dict | None = None) -> Answer:
    """Capture a validated inquiry (or refuse with `errors`), remembering the answer
    under `key` in the same transaction."""
    created: dict = {}

    def remember(outcome) -> None:
        # In the capture's transaction, on each of its attempts: the last one committed.
        created.clear()
        created.update(_created(outcome, taken))
        if key is not None:
            db.session.add(ApiIdempotencyKey(source_site_id=site_id, key=key,
                                             request_hash=request_hash,
                                             status_code=201, body=dict(created)))

    try:
        if errors is None:
            if inquiry is None:
                raise ValueError("submit() needs an inquiry or errors")
            taken = understood(inquiry)
            capture_inquiry(inquiry, before_commit=remember)
            return Answer(201, dict(created))
        return Answer(422, errors)
    except IntegrityError:
        # A concurrent retry with the same key committed first: give its answer.
        db.session.rollback()
        stored = _stored(site_id, key) if key is not None else None
        if stored is None:
            raise
        return _replay_of(stored, request_hash)


def kind_of(outcome) -> str:
    """What the inquiry was to the CRM: "repeat" of an open need, "new_need" of a known
    contact (their second need or later), or "new". A spam answer says "new": it tells a
    suspect sender nothing about the people the CRM knows."""
    if outcome.status == "duplicate":
        return "repeat"
    if outcome.status != "new":
        return "new"
    return "new_need" if outcome.new_need else "new"


def _created(outcome, taken: dict) -> dict:
    body = {"reference": outcome.reference, "status": outcome.status,
            "kind": kind_of(outcome)}
    if taken:
        body["understood"] = taken
    return body


def purge_expired(now: datetime | None = None) -> int:
    """Delete remembered answers older than the window; safe to run any number of times."""
    cutoff = (now or utcnow()) - timedelta(days=current_app.config["CRM_IDEMPOTENCY_DAYS"])
    deleted = rows_changed(db.session.execute(
        delete(ApiIdempotencyKey).where(ApiIdempotencyKey.created_at < cutoff)))
    db.session.commit()
    if deleted:
        log.info("idempotency: forgot %d keys older than %s", deleted, cutoff.isoformat())
    return deleted

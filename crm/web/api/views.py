"""JSON API for partner sites and mini-programs: POST /api/v1/inquiries.

Authenticated by the source site's key (X-Api-Key), so it is exempt from CSRF.
"""
import hashlib
import json

from flask import Blueprint, abort, current_app, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from crm.web.api.fields import form_errors, to_formdata
from crm.web.api.openapi import openapi_document
from crm.extensions import csrf, db
from crm.models import ApiIdempotencyKey
from crm.intake.forms import InquiryForm
from crm.intake import sites
from crm.intake.capture import capture_inquiry

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


def _answer(status: int, body: dict, replayed: bool = False):
    response = jsonify(body)
    response.status_code = status
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def _stored(site_id: int, key: str) -> ApiIdempotencyKey | None:
    return db.session.scalars(select(ApiIdempotencyKey).where(
        ApiIdempotencyKey.source_site_id == site_id, ApiIdempotencyKey.key == key)).first()


def _replay(stored: ApiIdempotencyKey, request_hash: str):
    if stored.request_hash != request_hash:
        return _answer(422, {"errors": {"Idempotency-Key": [
            _("This Idempotency-Key was used for a different request.")]}})
    return _answer(stored.status_code, stored.body, replayed=True)


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > 100 or not key.isascii() or not key.isprintable():
        abort(_answer(422, {"errors": {"Idempotency-Key": [
            _("An Idempotency-Key has 1 to 100 printable ASCII characters.")]}}))
    return key


def _parse(raw: bytes):
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):  # bad JSON, bad UTF-8, absurd nesting or digits
        return None


@bp.post("/inquiries")
def create_inquiry():
    site_id = sites.site_id_for_api_key(request.headers.get("X-Api-Key"))
    if site_id is None:
        return _answer(401, {"error": _("A valid X-Api-Key header is required.")})
    if (request.content_length or 0) > current_app.config["CRM_API_MAX_BODY_BYTES"]:
        abort(413)
    raw = request.get_data(cache=True)
    if len(raw) > current_app.config["CRM_API_MAX_BODY_BYTES"]:
        abort(413)
    key = _idempotency_key()
    request_hash = hashlib.sha256(raw).hexdigest()
    if key is not None and (stored := _stored(site_id, key)) is not None:
        return _replay(stored, request_hash)

    status, body = 422, None
    payload = _parse(raw)
    if not isinstance(payload, dict):
        body = {"errors": {"body": [_("Send one JSON object with the inquiry's fields.")]}}
    else:
        formdata, type_errors = to_formdata(payload)
        if type_errors:
            body = {"errors": type_errors}
        else:
            form = InquiryForm(formdata=formdata, meta={"csrf": False})
            if not form.validate():
                body = {"errors": form_errors(form)}

    def remember(status_code: int, answer: dict) -> None:
        if key is not None:
            db.session.add(ApiIdempotencyKey(source_site_id=site_id, key=key,
                                             request_hash=request_hash,
                                             status_code=status_code, body=answer))

    try:
        if body is None:
            # Valid: the lead and the idempotency record commit together.
            outcome = capture_inquiry(
                form, channel="api", source_site_id=site_id,
                before_commit=lambda o: remember(201, {"reference": o.reference,
                                                       "status": o.status}))
            status, body = 201, {"reference": outcome.reference, "status": outcome.status}
        elif key is not None:
            remember(status, body)
            db.session.commit()
    except IntegrityError:
        # A concurrent retry with the same key committed first: give its answer.
        db.session.rollback()
        stored = _stored(site_id, key) if key is not None else None
        if stored is None:
            raise
        return _replay(stored, request_hash)
    return _answer(status, body)


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())

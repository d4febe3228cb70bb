"""JSON API for partner sites and mini-programs: POST /api/v1/inquiries, POST /api/v1/parse,
GET /api/v1/inquiries/<reference>/contact-needs.

Authenticated by the source site's key (X-Api-Key), so it is exempt from CSRF.
"""

from flask import abort, current_app, jsonify, request
from flask_babel import gettext as _

from crm.inputs.readable import has_something_to_read
from crm.intake import idempotency, message, sites
from crm.web.api import bp, needs
from crm.web.api.fields import inquiry_from_json
from crm.web.api.openapi import openapi_document


def _answer(answer: idempotency.Answer):
    response = jsonify(answer.body)
    response.status_code = answer.status
    if answer.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > 100 or not key.isascii() or not key.isprintable():
        abort(_answer(idempotency.Answer(422, {"errors": {"Idempotency-Key": [
            _("An Idempotency-Key has 1 to 100 printable ASCII characters.")]}})))
    return key


def _parse():
    # The request's JSON, every string scrubbed (crm.web.cleaning); None for bad JSON, bad
    # UTF-8, absurd nesting or digits.
    return request.get_json(force=True, silent=True)


@bp.post("/inquiries")
def create_inquiry():
    site_id = sites.site_id_for_api_key(request.headers.get("X-Api-Key"))
    if site_id is None:
        return _answer(idempotency.Answer(
            401, {"error": _("A valid X-Api-Key header is required.")}))
    if (request.content_length or 0) > current_app.config["CRM_API_MAX_BODY_BYTES"]:
        abort(413)
    raw = request.get_data(cache=True)
    if len(raw) > current_app.config["CRM_API_MAX_BODY_BYTES"]:
        abort(413)
    key = _idempotency_key()
    payload = _parse()
    request_hash = idempotency.request_hash(payload, raw)
    if (stored := idempotency.replay(site_id, key, request_hash)) is not None:
        return _answer(stored)

    inquiry, errors = None, None
    if not isinstance(payload, dict):
        errors = {"errors": {"body": [_("Send one JSON object with the inquiry's fields.")]}}
    else:
        inquiry, messages = inquiry_from_json(payload, site_id)
        if messages:
            errors = {"errors": messages}
    return _answer(idempotency.submit(site_id, key, request_hash, inquiry, errors))


@bp.get("/inquiries/<reference>/contact-needs")
def contact_needs(reference: str):
    """The needs of the person behind one of the site's inquiries (crm.web.api.needs)."""
    site_id = sites.site_id_for_api_key(request.headers.get("X-Api-Key"))
    if site_id is None:
        return _answer(idempotency.Answer(
            401, {"error": _("A valid X-Api-Key header is required.")}))
    errors: dict[str, list[str]] = {}
    limit = needs.DEFAULT_LIMIT
    text = request.args.get("limit")
    if text is not None:
        if len(text) <= 3 and text.isascii() and text.isdigit() and 1 <= int(text) <= needs.MAX_LIMIT:
            limit = int(text)
        else:
            errors["limit"] = [_("A whole number from 1 to %(n)d.", n=needs.MAX_LIMIT)]
    after = None
    if (cursor := request.args.get("cursor")) is not None:
        try:
            after = needs.decode_cursor(cursor)
        except needs.BadCursor:
            errors["cursor"] = [_("Send the next_cursor of the page before, as it came.")]
    if errors:
        return _answer(idempotency.Answer(422, {"errors": errors}))
    page = needs.contact_needs(site_id, reference, limit, after)
    if page is None:  # another site's reference answers as one that does not exist
        abort(404)
    return jsonify(reference=reference, needs=page.needs, next_cursor=page.next_cursor)


PARSE_MAX_CHARS = 5000


@bp.post("/parse")
def parse_message():
    """A partner tool's pasted message, read into inquiry fields; nothing is stored. Same
    key as the inquiries API; the rate limits of intake apply."""
    if sites.site_id_for_api_key(request.headers.get("X-Api-Key")) is None:
        return _answer(idempotency.Answer(
            401, {"error": _("A valid X-Api-Key header is required.")}))
    if (request.content_length or 0) > current_app.config["CRM_API_MAX_BODY_BYTES"]:
        abort(413)
    payload = _parse()
    text = payload.get("text") if isinstance(payload, dict) else None
    if (not isinstance(text, str) or len(text) > PARSE_MAX_CHARS
            or not has_something_to_read(text)):
        return _answer(idempotency.Answer(422, {"errors": {"text": [
            _("Send the message as {\"text\": \"...\"}.")]}}))
    found = message.read(text)
    return jsonify(fields=message.as_fields(found), sources=message.sources(found, text))


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())

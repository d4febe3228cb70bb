"""The JSON API under Hypothesis (issue 27), on SQLite (tests/unit/intake/test_api_properties.py)
and PostgreSQL (tests/integration/test_fuzz_pg.py): never a 5xx, an error body of the
document's own shape, and a stored lead holding only values the intake accepts."""
import json
import math
import re

import jsonschema_rs
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

from crm.inputs.readable import has_something_to_read
from crm.inputs.wechat import is_wechat_id
from crm.listings import inventory
from crm.models import InquiryRepeat, Lead
from crm.web.api.fields import FIELDS
from tests.support.api_strategies import inquiry_bodies, parse_bodies


def _response_schema(doc: dict, path: str, status: int) -> dict | None:
    answer = doc["paths"][path]["post"]["responses"].get(str(status))
    if answer is None or "content" not in answer:
        return None
    schema = answer["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def answer_keeps_the_document(doc: dict, path: str, response) -> None:
    """No 5xx; a documented status; a JSON body of that status's schema (errors as
    {"error": text} or {"errors": {field: [text]}})."""
    assert response.status_code < 500, (response.status_code, response.get_data()[:300])
    assert str(response.status_code) in doc["paths"][path]["post"]["responses"], \
        response.status_code
    assert response.is_json, response.get_data()[:300]
    body = response.get_json()
    schema = _response_schema(doc, path, response.status_code)
    if schema is not None:
        jsonschema_rs.validate(schema, body)  # Schemathesis' own validator
    if response.status_code >= 400:
        assert ("error" in body and body["error"]) or body.get("errors"), body
        for messages in body.get("errors", {}).values():
            assert messages and all(isinstance(m, str) and m for m in messages)


def _clean(text) -> bool:
    return text is None or (isinstance(text, str) and "\x00" not in text
                            and not any(0xD800 <= ord(c) <= 0xDFFF for c in text))


def _finite(value) -> bool:
    return value is None or (value >= 0 and math.isfinite(float(value)))


def stored_lead_is_valid(db, reference: str) -> None:
    """What a 201 stored holds only values the intake accepts."""
    lead = db.session.scalars(select(Lead).where(Lead.reference == reference)).one_or_none()
    record = lead if lead is not None else db.session.scalars(
        select(InquiryRepeat).where(InquiryRepeat.reference == reference)).one()
    for column in record.__table__.columns:
        value = getattr(record, column.key)
        if isinstance(value, str):
            assert _clean(value), column.key
            assert len(value) <= (getattr(column.type, "length", None) or len(value)), column.key
    assert has_something_to_read(record.contact_name) and len(record.contact_name) <= 60
    assert record.listing_id is None or inventory.exists(record.listing_id)
    if lead is None:
        return
    assert lead.consent is True and lead.consent_at is not None and lead.consent_version
    assert lead.mobile_e164 is None or re.fullmatch(r"\+861[3-9]\d{9}", lead.mobile_e164)
    assert lead.mobile_e164 or is_wechat_id(lead.wechat_id)
    for value in (lead.area_min_sqm, lead.area_max_sqm, lead.annual_tax_wan, lead.investment_wan):
        assert _finite(value)
    if lead.area_min_sqm is not None and lead.area_max_sqm is not None:
        assert lead.area_min_sqm <= lead.area_max_sqm
    for name, choices in (("deal_type", FIELDS["deal_type"].enum),
                          ("property_type", FIELDS["property_type"].enum),
                          ("industry", FIELDS["industry"].enum)):
        assert getattr(lead, name) is None or getattr(lead, name) in choices, name


def _post(client, path: str, api_key: str, body):
    # Python's JSON, NaN and Infinity too: json.loads on the server takes them.
    return client.post(f"/api/v1{path}", data=json.dumps(body), headers={"X-Api-Key": api_key},
                       content_type="application/json")


def bounded(max_examples: int):
    """Hypothesis settings for a bounded, repeatable run (CI time stays predictable)."""
    return settings(max_examples=max_examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


def inquiries_keep_their_promises(app, db, api_key: str, max_examples: int = 150,
                                  surrogates: bool = True) -> None:
    client = app.test_client()
    doc = client.get("/api/v1/openapi.json").get_json()

    @given(body=inquiry_bodies(surrogates))
    @bounded(max_examples)
    def check(body):
        response = _post(client, "/inquiries", api_key, body)
        answer_keeps_the_document(doc, "/inquiries", response)
        if response.status_code == 201:
            stored_lead_is_valid(db, response.get_json()["reference"])
        db.session.rollback()  # the next example reads the database afresh

    check()


def parse_keeps_its_promises(app, api_key: str, max_examples: int = 150,
                             surrogates: bool = True) -> None:
    client = app.test_client()
    doc = client.get("/api/v1/openapi.json").get_json()

    @given(body=parse_bodies(surrogates))
    @bounded(max_examples)
    def check(body):
        answer_keeps_the_document(doc, "/parse", _post(client, "/parse", api_key, body))

    check()

"""The OpenAPI 3 document for the intake API, built from the same field table the API uses."""
from decimal import Decimal

from flask import current_app, request

from crm.choices import to_sqm
from crm.inputs import building
from crm.inputs.fields import given
from crm.inputs.phone import mobile_pattern
from crm.intake.forms import FIGURES, InquiryForm
from crm.web.api.fields import FIELDS, SOMETHING_TO_READ

_TYPES: dict[str, dict[str, object]] = {
    "text": {"type": "string"},
    "region": {"type": "string"},
    # null and "" mean "not given", as on the form.
    "number": {"nullable": True,
               "oneOf": [{"type": "number", "minimum": 0},
                         {"type": "string", "description": "e.g. \"5,000\" or \"30亩\"",
                          "pattern": "^([0-9][0-9,]{0,11}(\\.[0-9]{1,2})?"
                                     "(万元|万|元|平方米|平米|平|㎡|亩)?)?$"}]},
    # A figure in the field's unit, or a string with the unit written (crm.inputs.building).
    "measure": {"nullable": True,
                "oneOf": [{"type": "number"},
                          {"type": "string", "description": "e.g. \"8米\", \"10T\", \"2MVA\""}]},
    "storey": {"type": "boolean", "nullable": True},
    "flag": {"type": "boolean", "nullable": True},
    "integer": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1, "nullable": True},
    "eia": {"type": "boolean", "nullable": True},
    "consent": {"type": "boolean", "enum": [True]},
}

_KEPT_AS_TYPED = ({"type": "number", "description": "any other number: kept as typed (unread)"},
                  {"type": "string", "description": "any other text: kept as typed (unread)"})

# Texts surely taken, within each measure's bounds (the form reads more: 800cm, 3000kg/㎡, 2MVA).
_MEASURE_TEXT = {
    "ceiling_height_m": "^((([1-9]|[12][0-9])(\\.[0-9]{1,2})?|30)(米|m)?)?$",
    "crane_t": "^((([1-9][0-9]?|[1-4][0-9]{2})(\\.[0-9]{1,2})?|500)(吨|t)?)?$",
    "power_kva": "^([1-9][0-9]{1,4}(kVA|千伏安)?|[1-9](kVA|千伏安))?$",
    "floor_load_t": "^((([1-9]|1[0-9])(\\.[0-9]{1,2})?|20)(吨|t|吨/㎡|t/㎡)?)?$",
}


def _schema(name: str, field) -> dict:
    schema = {**_TYPES[field.kind], "description": field.description}
    if field.kind in ("text", "region"):
        if field.max_length:
            schema["maxLength"] = field.max_length
        if field.required:
            schema["minLength"] = 1
        pattern = mobile_pattern() if name == "mobile" else field.pattern
        if pattern:
            schema["pattern"] = pattern
        if field.format:
            schema["format"] = field.format
    if field.kind == "number":  # the form's own limit, so the two cannot drift
        maximum = int(getattr(InquiryForm, field.form).kwargs["maximum"])
        schema["oneOf"] = [{**schema["oneOf"][0], "maximum": maximum}, schema["oneOf"][1]]
    if field.kind == "measure":  # the shared definition's bounds (kVA is whole)
        measure = building.MEASURES[field.form]
        step = 1 if measure.whole else 0.01
        schema["oneOf"] = [{"type": "number", "minimum": step, "maximum": int(measure.maximum)},
                           {**schema["oneOf"][1], "pattern": _MEASURE_TEXT[field.form]}]
    if field.kind in ("number", "measure"):
        # Read surely: the two above. Any other figure is taken too, never refused: its field
        # is left empty and the words kept as typed (understood.unread) for the agent.
        schema["anyOf"] = [*schema.pop("oneOf"), *_KEPT_AS_TYPED]
    if field.enum:
        schema["enum"] = list(field.enum)
    if field.kind in ("text", "region") and not field.required:
        # null means "not given", as for the numbers (and as an omitted field).
        schema["nullable"] = True
        if field.enum:
            schema["enum"].append(None)
    return schema


def _limit_headers() -> dict:
    return {name: {"description": text, "schema": {"type": "integer"}} for name, text in (
        ("X-RateLimit-Limit", "requests allowed in the current window"),
        ("X-RateLimit-Remaining", "requests left in the current window"),
        ("X-RateLimit-Reset", "when the window ends, Unix seconds"))}


# What the server answers for "30亩" (the reader's figure and its rounding), so the
# document's example cannot drift from it.
_THIRTY_MU = float(given(to_sqm(Decimal(30), "mu")))


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {
        "$ref": "#/components/schemas/Error"}}}}


def openapi_document() -> dict:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Changfang CRM inquiry API",
            "version": "1",
            "description": "Send inquiries (leads) from partner sites and mini-programs, "
                           "and read the needs of the person behind one. "
                           "Validation is the same as the web form's; messages come in the "
                           "language asked for with Accept-Language or ?lang=en (default zh_CN). "
                           "An optional field sent as null is taken as not given; a required "
                           "one (contact_name, consent) sent as null is refused.",
        },
        "servers": [{"url": request.host_url.rstrip("/") + "/api/v1"}],
        "components": {
            "securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"}},
            "schemas": {
                "Inquiry": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": [n for n, f in FIELDS.items() if f.required],
                    # A mobile, or a WeChat ID for a prospect known only by WeChat.
                    "anyOf": [{"required": ["mobile"]}, {"required": ["wechat"]}],
                    "properties": {n: _schema(n, f) for n, f in FIELDS.items()},
                },
                "Created": {
                    "type": "object",
                    "required": ["reference", "status", "kind"],
                    "properties": {
                        "reference": {"type": "string", "example": "CF261123-7K4QX",
                                      "description": "the inquiry's reference; a repeat of "
                                                     "a recent lead gets its own (linked)"},
                        "status": {"type": "string", "enum": ["new", "duplicate", "spam"],
                                   "description": "new: routed to an agent; duplicate: linked "
                                                  "to the prospect's recent lead, whose owner "
                                                  "is told; spam: kept for review, not routed"},
                        "kind": {"type": "string", "enum": ["new", "repeat", "new_need"],
                                 "description": "new: a person the CRM did not know; repeat: "
                                                "the same need again (status duplicate); "
                                                "new_need: another need of a person the CRM "
                                                "knows, filed as a lead of its own. A spam "
                                                "answer says new"},
                        "understood": {
                            "type": "object", "additionalProperties": False,
                            "description": "the numbers as stored, to check what was meant: "
                                           f"areas in ㎡ to the cent (\"30亩\" → {_THIRTY_MU}), "
                                           "money in 万元 (\"500万元\" → 500); only the fields "
                                           "sent",
                            "properties": {
                                "area_min_sqm": {"type": "number"},
                                "area_max_sqm": {"type": "number"},
                                "area_unit": {"type": "string", "enum": ["sqm", "mu"],
                                              "description": "the unit the areas were given in"},
                                "annual_tax_wan": {"type": "number"},
                                "investment_wan": {"type": "number"},
                                **{name: {"type": "number", "description": measure.unit}
                                   for name, measure in building.MEASURES.items()},
                                "unread": {
                                    "type": "object", "additionalProperties": False,
                                    "description": "figures that could not be stored as meant "
                                                   "(not a number, out of range, a unit not "
                                                   "converted): the field is left empty and "
                                                   "the words kept as typed (cut to 120 "
                                                   "characters) on the lead for the agent to "
                                                   "confirm; the inquiry is never refused "
                                                   "for them",
                                    "properties": {name: {"type": "string"}
                                                   for name in FIGURES}}}},
                    },
                },
                "Need": {
                    "type": "object", "additionalProperties": False,
                    "required": ["reference", "created_at", "state", "new_need", "deal_type",
                                 "property_type", "region", "area_min_sqm", "area_max_sqm"],
                    "description": "one need (lead) as captured; no personal data",
                    "properties": {
                        "reference": {"type": "string", "example": "CF261123-7K4QX"},
                        "created_at": {"type": "string", "format": "date-time"},
                        "state": {"type": "string", "enum": ["open", "won", "lost"]},
                        "new_need": {"type": "boolean", "description": "the person's second "
                                     "need or later (their first: false)"},
                        "deal_type": {"type": "string", "nullable": True},
                        "property_type": {"type": "string", "nullable": True},
                        "region": {"type": "string", "nullable": True,
                                   "description": "GB/T 2260 region code or a park's code"},
                        "area_min_sqm": {"type": "number", "nullable": True},
                        "area_max_sqm": {"type": "number", "nullable": True}}},
                "ContactNeeds": {
                    "type": "object", "additionalProperties": False,
                    "required": ["reference", "needs", "next_cursor"],
                    "properties": {
                        "reference": {"type": "string", "description": "as asked"},
                        "needs": {"type": "array", "items": {"$ref": "#/components/schemas/Need"},
                                  "description": "oldest first"},
                        "next_cursor": {"type": "string", "nullable": True,
                                        "description": "pass as cursor for the next page; "
                                                       "null on the last page"}}},
                "ValidationErrors": {
                    "type": "object",
                    "properties": {"errors": {
                        "type": "object",
                        "description": "messages per field name (also 'body' and "
                                       "'Idempotency-Key')",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}}}},
                },
                "Error": {"type": "object", "properties": {"error": {"type": "string"}}},
            },
        },
        "security": [{"ApiKey": []}],
        "paths": {
            "/parse": {
                "post": {
                    "summary": "Read an inquiry out of a pasted message (stores nothing)",
                    "description": "A WeChat message, an SMS or a call note in; the inquiry "
                                   "fields it supports out, with the words each came from. "
                                   "Send the fields on to /inquiries after a person checked them.",
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"type": "object", "required": ["text"],
                                   "properties": {"text": {"type": "string", "minLength": 1,
                                                           "maxLength": 5000,
                                                           "pattern": SOMETHING_TO_READ}}},
                        "example": {"text": "求租松江厂房2000平左右 张先生 13800138000"}}}},
                    "responses": {
                        "200": {"description": "what was read", "content": {"application/json": {
                            "schema": {"type": "object", "required": ["fields", "sources"],
                                       "properties": {
                                           "fields": {"type": "object", "description":
                                                      "inquiry fields (names as in Inquiry)"},
                                           "sources": {"type": "object", "description":
                                                       "for each field, the words it came from",
                                                       "additionalProperties": {"type": "string"}}}}}}},
                        "401": _error("missing or wrong X-Api-Key"),
                        "413": _error("body too large"),
                        "422": {"description": "no text to read", "content": {
                            "application/json": {"schema": {
                                "$ref": "#/components/schemas/ValidationErrors"}}}},
                        "405": {**_error("only POST is allowed"), "headers": {"Allow": {
                            "description": "the allowed methods", "schema": {"type": "string"}}}},
                        "429": {**_error("rate-limited (per API key)"),
                                "headers": {**_limit_headers(), "Retry-After": {
                                    "description": "seconds to wait before trying again",
                                    "schema": {"type": "integer"}}}},
                    },
                },
            },
            "/inquiries/{reference}/contact-needs": {
                "get": {
                    "summary": "The needs of the person behind an inquiry",
                    "operationId": "contactNeeds",
                    "description": "The reference of an inquiry sent with this key (a lead's "
                                   "or a repeat's, as /inquiries answered it); the person's "
                                   "needs that came in through this key's site, oldest first, "
                                   "spam left out. A reference of another site answers 404.",
                    "parameters": [
                        {"name": "reference", "in": "path", "required": True,
                         "schema": {"type": "string", "minLength": 1, "maxLength": 20,
                                    "pattern": "^[A-Za-z0-9-]+$"}},
                        {"name": "limit", "in": "query", "required": False,
                         "description": "needs per page (default 20)",
                         "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
                        {"name": "cursor", "in": "query", "required": False,
                         "description": "next_cursor of the page before",
                         "schema": {"type": "string", "minLength": 4, "maxLength": 64,
                                    "pattern": "^[A-Za-z0-9_-]+$"}}],
                    "responses": {
                        "200": {"description": "one page of needs",
                                "headers": _limit_headers(),
                                "content": {"application/json": {"schema": {
                                    "$ref": "#/components/schemas/ContactNeeds"}}}},
                        "401": _error("missing or wrong X-Api-Key"),
                        "404": _error("no inquiry of this key's site has this reference"),
                        "405": {**_error("only GET is allowed"), "headers": {"Allow": {
                            "description": "the allowed methods", "schema": {"type": "string"}}}},
                        "422": {"description": "a bad limit or cursor", "content": {
                            "application/json": {"schema": {
                                "$ref": "#/components/schemas/ValidationErrors"}}}},
                        "429": {**_error("rate-limited (per API key)"),
                                "headers": {**_limit_headers(), "Retry-After": {
                                    "description": "seconds to wait before trying again",
                                    "schema": {"type": "integer"}}}},
                    },
                },
            },
            "/inquiries": {
                "post": {
                    "summary": "Submit an inquiry",
                    "operationId": "createInquiry",
                    "parameters": [{
                        "name": "Idempotency-Key", "in": "header", "required": False,
                        "description": "A retry with the same key (per API key) returns the "
                                       "first answer instead of creating a second lead "
                                       "(header Idempotent-Replayed: true); the same key "
                                       "with a different body is refused (422). Answers are "
                                       "kept for CRM_IDEMPOTENCY_DAYS (7).",
                        "schema": {"type": "string", "minLength": 1, "maxLength": 100,
                                   "pattern": "^[!-~]+( +[!-~]+)*$"}}],
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Inquiry"},
                        "example": {"contact_name": "刘先生", "mobile": "133 9121 9793",
                                    "consent": True, "deal_type": "rent",
                                    "property_type": "factory", "region": "310117",
                                    "area_min": 2000, "area_max": 3000, "area_unit": "sqm",
                                    "annual_tax_wan": 300, "company": "上海精密机械有限公司",
                                    "page_url": "https://zj.example.cn/news/1"}}}},
                    "responses": {
                        "201": {"description": "stored", "headers": {
                            **_limit_headers(),
                            "Idempotent-Replayed": {
                                "description": "true when this is the stored answer to an "
                                               "earlier request with the same Idempotency-Key",
                                "schema": {"type": "string", "enum": ["true"]}}},
                                "content": {"application/json": {
                                    "schema": {"$ref": "#/components/schemas/Created"}}}},
                        "401": _error("missing or wrong X-Api-Key"),
                        "413": _error(f"body larger than "
                                      f"{current_app.config['CRM_API_MAX_BODY_BYTES']} bytes"),
                        "422": {"description": "invalid; nothing stored", "content": {
                            "application/json": {"schema": {
                                "$ref": "#/components/schemas/ValidationErrors"}}}},
                        "405": {**_error("only POST is allowed"), "headers": {"Allow": {
                            "description": "the allowed methods", "schema": {"type": "string"}}}},
                        "429": {**_error("rate-limited (per API key and per mobile number)"),
                                "headers": {**_limit_headers(), "Retry-After": {
                                    "description": "seconds to wait before trying again",
                                    "schema": {"type": "integer"}}}},
                    },
                },
            },
        },
    }

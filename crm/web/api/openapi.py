"""The OpenAPI 3 document for the intake API, built from the same field table the API uses."""
from flask import current_app, request

from crm.web.api.fields import FIELDS

_TYPES = {
    "text": {"type": "string"},
    "region": {"type": "string"},
    "number": {"oneOf": [{"type": "number", "minimum": 0},
                         {"type": "string", "description": "e.g. \"5,000\" or \"30亩\""}]},
    "integer": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1, "nullable": True},
    "eia": {"type": "boolean", "nullable": True},
    "consent": {"type": "boolean", "enum": [True]},
}


def _schema(field) -> dict:
    schema = {**_TYPES[field.kind], "description": field.description}
    if field.max_length and field.kind in ("text", "region"):
        schema["maxLength"] = field.max_length
    if field.enum:
        schema["enum"] = list(field.enum)
    return schema


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {
        "$ref": "#/components/schemas/Error"}}}}


def openapi_document() -> dict:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Changfang CRM inquiry API",
            "version": "1",
            "description": "Send inquiries (leads) from partner sites and mini-programs. "
                           "Validation is the same as the web form's; messages come in the "
                           "language asked for with Accept-Language or ?lang=en (default zh_CN).",
        },
        "servers": [{"url": request.host_url.rstrip("/") + "/api/v1"}],
        "components": {
            "securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"}},
            "schemas": {
                "Inquiry": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": [n for n, f in FIELDS.items() if f.required],
                    "properties": {n: _schema(f) for n, f in FIELDS.items()},
                },
                "Created": {
                    "type": "object",
                    "required": ["reference", "status"],
                    "properties": {
                        "reference": {"type": "string", "example": "CF261123-7K4QX",
                                      "description": "the lead's reference; for a duplicate, "
                                                     "the first lead's"},
                        "status": {"type": "string", "enum": ["new", "duplicate", "spam"],
                                   "description": "new: routed to an agent; duplicate: linked "
                                                  "to the prospect's recent lead, whose owner "
                                                  "is told; spam: kept for review, not routed"},
                    },
                },
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
            "/inquiries": {
                "post": {
                    "summary": "Submit an inquiry",
                    "operationId": "createInquiry",
                    "parameters": [{
                        "name": "Idempotency-Key", "in": "header", "required": False,
                        "description": "A retry with the same key (per API key) returns the "
                                       "first answer instead of creating a second lead. "
                                       "Answers are kept for CRM_IDEMPOTENCY_DAYS (7).",
                        "schema": {"type": "string", "minLength": 1, "maxLength": 100}}],
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Inquiry"},
                        "example": {"contact_name": "刘先生", "mobile": "133 9121 9793",
                                    "consent": True, "deal_type": "rent",
                                    "property_type": "factory", "region": "sh.songjiang",
                                    "area_min": 2000, "area_max": 3000, "area_unit": "sqm",
                                    "annual_tax_wan": 300, "company": "上海精密机械有限公司",
                                    "page_url": "https://zj.example.cn/news/1"}}}},
                    "responses": {
                        "201": {"description": "stored", "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/Created"}}}},
                        "401": _error("missing or wrong X-Api-Key"),
                        "413": _error(f"body larger than "
                                      f"{current_app.config['CRM_API_MAX_BODY_BYTES']} bytes"),
                        "422": {"description": "invalid; nothing stored", "content": {
                            "application/json": {"schema": {
                                "$ref": "#/components/schemas/ValidationErrors"}}}},
                        "429": _error("rate-limited (per API key and per mobile number); "
                                      "see Retry-After"),
                    },
                },
            },
        },
    }

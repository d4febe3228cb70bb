"""Schemathesis against the API's own OpenAPI document (tests/support/api_schema.py; the
same run on PostgreSQL is in tests/integration/test_fuzz_pg.py)."""
import pytest
from schemathesis import GenerationMode

from tests.factories import make_site
from tests.support.api_schema import keeps_its_promises


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_keeps_its_openapi_promises(app, db, mode):
    _site, api_key = make_site()
    db.session.commit()
    keeps_its_promises(app, api_key, mode)


def test_the_document_says_what_the_api_enforces(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    inquiry = doc["components"]["schemas"]["Inquiry"]["properties"]
    assert inquiry["contact_name"]["minLength"] == 1
    assert "139" in inquiry["mobile"]["pattern"] and "140" not in inquiry["mobile"]["pattern"]
    assert inquiry["credit_code"]["pattern"] and inquiry["email"]["format"] == "email"
    post = doc["paths"]["/inquiries"]["post"]
    assert post["parameters"][0]["schema"]["pattern"]
    assert "Allow" in post["responses"]["405"]["headers"]
    assert {"Retry-After", "X-RateLimit-Remaining"} <= set(post["responses"]["429"]["headers"])
    assert "Idempotent-Replayed" in post["responses"]["201"]["headers"]


def test_the_document_says_unread_figures_are_kept_not_refused(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    inquiry = doc["components"]["schemas"]["Inquiry"]["properties"]
    # Any text or number is taken in a figure field: only a wrong JSON type is refused.
    assert {"type": "string", "description": "any other text: kept as typed (unread)"} in (
        inquiry["area_min"]["anyOf"])
    assert {"type": "number", "description": "any other number: kept as typed (unread)"} in (
        inquiry["power_kva"]["anyOf"])
    understood = doc["components"]["schemas"]["Created"]["properties"]["understood"]
    unread = understood["properties"]["unread"]
    assert set(unread["properties"]) == {"area_min", "area_max", "annual_tax_wan",
                                         "investment_wan", "ceiling_height_m", "crane_t",
                                         "power_kva", "floor_load_t"}

"""Schemathesis against the API's own OpenAPI document.

Bodies and headers generated from the schema (valid ones, and ones the schema forbids):
the API never answers 5xx, refuses what the schema forbids, and every answer matches
what the document promises (status codes, content types, bodies, headers).

Driven through Schemathesis' Python API under Hypothesis (its pytest plugin does not run
under this pytest), with a bounded, derandomized example count. One rule is left out:
"every schema-valid body is accepted" cannot hold, since a JSON schema cannot say that
area_max must not be below area_min.
"""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance

from tests.factories import make_site


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_keeps_its_openapi_promises(app, db, mode):
    _site, api_key = make_site()
    db.session.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {(op.method.upper(), op.path) for op in operations} == {("POST", "/inquiries"),
                                                                   ("POST", "/parse")}

    for operation in operations:
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=60, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate(headers={"X-Api-Key": api_key},
                                   excluded_checks=[positive_data_acceptance])

        check()


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

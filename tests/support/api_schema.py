"""Schemathesis against the API's own OpenAPI document, shared by the SQLite unit test
(tests/unit/web/test_api_schema.py) and the PostgreSQL one (tests/integration/test_fuzz_pg.py).

Bodies and headers generated from the schema (valid ones, and ones the schema forbids):
the API never answers 5xx, refuses what the schema forbids, and every answer matches
what the document promises (status codes, content types, bodies, headers).

Driven through Schemathesis' Python API under Hypothesis (its pytest plugin does not run
under this pytest), with a bounded, derandomized example count. One rule is left out:
"every schema-valid body is accepted" cannot hold, since a JSON schema cannot say that
area_max must not be below area_min.
"""
import schemathesis
from hypothesis import given
from schemathesis.checks import positive_data_acceptance

from tests.support.api_fuzz import bounded

OPERATIONS = {("POST", "/inquiries"), ("POST", "/parse"),
              ("GET", "/inquiries/{reference}/contact-needs")}


def keeps_its_promises(app, api_key: str, mode, max_examples: int = 60) -> None:
    """Every operation, `max_examples` cases each in `mode`: raises on the first broken check."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {(op.method.upper(), op.path) for op in operations} == OPERATIONS

    for operation in operations:
        @given(case=operation.as_strategy(generation_mode=mode))
        @bounded(max_examples)
        def check(case):
            case.call_and_validate(headers={"X-Api-Key": api_key},
                                   excluded_checks=[positive_data_acceptance])

        check()

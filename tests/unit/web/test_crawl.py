"""Every GET route, as every role, with hostile query strings: never a 5xx.

The class behind the 500s an outside fuzzer found (far dates, huge ids, unknown enums,
markup, CRLF in the query string): this crawls them all, so a new route or a new
parameter cannot bring one back unnoticed. The same crawl runs on PostgreSQL in
tests/integration/test_fuzz_pg.py (tests/support/crawl.py).
"""
import pytest

from tests.support.crawl import ROLES, crawl, make_world


@pytest.fixture
def world(db):
    return make_world(db)


@pytest.mark.parametrize("role", ROLES)
def test_no_get_route_answers_5xx_to_hostile_queries(app, client, auth, world, role):
    if role:
        auth.login(f"{role}@example.com")
    assert crawl(app, client, world) == []

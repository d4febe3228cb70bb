"""The crawl of every route as each role, Schemathesis with every check and the JSON API's
property tests, on PostgreSQL (issue 27): the outside fuzz found 5xx that SQLite cannot show
(psycopg refuses a NUL byte SQLite stores). The same code as the SQLite unit tests
(tests/support/crawl.py, api_schema.py, api_strategies.py), against a migrated database.
"""
import pytest
from schemathesis import GenerationMode

from config import TestConfig, _normalise_db_url
from crm import branding, create_app, regions
from crm.extensions import db
from crm.intake import policy
from crm.workdays import days
from tests.conftest import Auth, FreshContextClient
from tests.integration.conftest import PG_ADMIN_URL, _unavailable
from tests.support.api_fuzz import inquiries_keep_their_promises, parse_keeps_its_promises
from tests.support.api_schema import keeps_its_promises
from tests.support.crawl import HOSTILE, ROLES, crawl, make_world
from tests.support.stack import create_database, drop_database, migrate

pytestmark = pytest.mark.integration

# What the SQLite suite cannot see: a NUL byte in a query parameter (dates-clean cleans it
# request-wide; until then these answer 500 on PostgreSQL).
NUL = ("\x00", "abc\x00")


@pytest.fixture(scope="module")
def fuzz_app():
    """An app on a PostgreSQL database of this module's own, migrated as in production."""
    try:
        url = create_database(PG_ADMIN_URL, prefix="crm_fuzz")
    except Exception as exc:  # psycopg.OperationalError: the server is down
        _unavailable("PostgreSQL", exc)
    try:
        migrate({"DATABASE_URL": url})
        config = TestConfig()
        config.SQLALCHEMY_DATABASE_URI = _normalise_db_url(url)
        config.PROPAGATE_EXCEPTIONS = False  # a 5xx is an answer to count, as a fuzzer sees it
        app = create_app(config)
        app.test_client_class = FreshContextClient
        days.forget()
        branding.forget()
        policy.forget()
        regions.forget()
        with app.app_context():
            yield app
            db.session.remove()
            db.engine.dispose()
    finally:
        drop_database(PG_ADMIN_URL, url)


@pytest.fixture(scope="module")
def world(fuzz_app):
    return make_world(db)


@pytest.fixture(scope="module")
def api_key(world):
    return world["api_key"]


@pytest.mark.parametrize("values, in_paths", [
    pytest.param(HOSTILE, False, id="hostile"),
    pytest.param(NUL, True, id="nul")])
@pytest.mark.parametrize("role", ROLES)
def test_no_get_route_answers_5xx_to_hostile_queries_on_postgresql(fuzz_app, world, role, values,
                                                                    in_paths):
    client = fuzz_app.test_client()
    if role:
        Auth(client).login(f"{role}@example.com")
    assert crawl(fuzz_app, client, world, values, in_paths) == []


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_keeps_its_openapi_promises_on_postgresql(fuzz_app, api_key, mode):
    keeps_its_promises(fuzz_app, api_key, mode)


def test_the_inquiries_api_under_odd_input_on_postgresql(fuzz_app, api_key):
    inquiries_keep_their_promises(fuzz_app, db, api_key)


@pytest.mark.parametrize("surrogates", [False, True])
def test_the_parse_api_under_odd_input_on_postgresql(fuzz_app, api_key, surrogates):
    parse_keeps_its_promises(fuzz_app, api_key, surrogates=surrogates)

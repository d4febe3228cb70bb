"""Hypothesis over the JSON API on SQLite (tests/support/api_fuzz.py; on PostgreSQL in
tests/integration/test_fuzz_pg.py): odd types, huge ids, NUL and surrogates, far dates and
very long strings never answer 5xx, errors keep the document's shape, and what is stored
is valid."""
import pytest

from tests.factories import make_site
from tests.support.api_fuzz import inquiries_keep_their_promises, parse_keeps_its_promises


def _key(db) -> str:
    _site, key = make_site()
    db.session.commit()
    return key


def test_the_inquiries_api_under_odd_input(app, db):
    inquiries_keep_their_promises(app, db, _key(db))


@pytest.mark.parametrize("surrogates", [False, True])
def test_the_parse_api_under_odd_input(app, db, surrogates):
    parse_keeps_its_promises(app, _key(db), surrogates=surrogates)

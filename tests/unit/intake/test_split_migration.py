"""Migration d2b8f6a41c7e on SQLite: repeats that asked for another need become needs, the
same need with other figures stays a repeat, and down restores (PostgreSQL:
tests/integration/test_split_migration.py). Its SQL "another city" is crm.regions.same_area
negated, on a table of pairs and on codes of the region tree."""
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.regions import all_regions, canonical, same_area
from tests.support import split_migration

PAIRS = [
    ("320583", "320583"), ("32", "320583"), ("3205", "320583"), ("320583", "3205"),
    ("320583", "320585"), ("3205", "3206"), ("330522", "330523"), ("330522", "330100"),
    ("330522P01", "330522"), ("330522P01", "330523P02"), ("330522P01", "3301"),
    ("3101", "310115"), ("3101", "3201"), ("31", "32"), ("429004", "429005"),
    ("4290", "4201"), ("320583", "330522"), ("33", "3205"), ("", "320583"), ("320583", None),
]


def other_city_in_sql(connection, a, b) -> bool:
    """The SQL on codes as stored: canonical (intake and the region migration store them so)."""
    a, b = (canonical(x) or x.strip() if x else x for x in (a, b))
    sql = split_migration.migration().other_city(":a", ":b")
    return bool(connection.execute(f"SELECT {sql}", {"a": a, "b": b}).fetchone()[0])


@pytest.fixture(scope="module")
def sqlite_db():
    connection = sqlite3.connect(":memory:")
    yield connection
    connection.close()


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_another_city_in_sql_is_same_area_negated(sqlite_db, a, b):
    assert other_city_in_sql(sqlite_db, a, b) == (not same_area(a, b))


CODES = sorted(all_regions())


@settings(max_examples=200, deadline=None)
@given(a=st.sampled_from(CODES), b=st.sampled_from(CODES))
def test_another_city_in_sql_holds_for_codes_of_the_tree(a, b):
    connection = sqlite3.connect(":memory:")
    try:
        assert other_city_in_sql(connection, a, b) == (not same_area(a, b))
    finally:
        connection.close()


def test_differing_repeats_split_same_need_kept_and_down_restores_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'split.sqlite3'}"
    split_migration.check(url, split_migration.in_process(url))

"""Hypothesis strategies for the classes of input an outside fuzz found (issue 27): far
dates, huge ids, NUL and other control characters, lone surrogates, odd types. Generic on
purpose: forms, filters and the JSON API all draw from here."""
from datetime import date, timedelta

from hypothesis import strategies as st

from crm.inputs.dates import FIRST_DAY, LAST_DAY

JUNK_CHARS = ["\x00", "\x01", "\x08", "\x0b", "\x1b", "\x7f", "\x85", "\u200b", "\u202e",
              "\ufeff", "\ud800", "\udfff", "\r", "\n", "\t"]


def text_with_junk(max_size: int = 120) -> st.SearchStrategy[str]:
    """Text with NUL, control characters and lone surrogates mixed in (all of Unicode,
    surrogates included), plus a few long runs and markup."""
    junk = st.sampled_from(JUNK_CHARS)
    return st.one_of(
        st.lists(st.one_of(junk, st.characters(), st.sampled_from(["厂", "房", "a", "1", " "])),
                 max_size=max_size).map("".join),
        st.sampled_from(["\x00", "%00", "abc\x00", "\ud800", "0" * 101, "<b>x</b>", "' OR 1=1--",
                         "厂房\x00\x01", "\ud83d", "\U0001F600"]),
        st.builds(lambda s, n: s * n, st.sampled_from(["\x00", "厂", "x"]), st.integers(100, 3000)),
    )


def far_dates() -> st.SearchStrategy[date]:
    """Days outside FIRST_DAY..LAST_DAY, the edges of what a date holds most of all."""
    return st.one_of(
        st.sampled_from([date.min, date.max, date(1, 1, 2), date(9999, 12, 30),
                         FIRST_DAY - timedelta(days=1), LAST_DAY + timedelta(days=1)]),
        st.dates(max_value=FIRST_DAY - timedelta(days=1)),
        st.dates(min_value=LAST_DAY + timedelta(days=1)))


def sane_dates() -> st.SearchStrategy[date]:
    return st.dates(min_value=FIRST_DAY, max_value=LAST_DAY)


def date_texts() -> st.SearchStrategy[str]:
    """What arrives in a date box: far and sane ISO days, other formats, junk."""
    return st.one_of(far_dates().map(date.isoformat), sane_dates().map(date.isoformat),
                     st.sampled_from(["0001-01-01", "9999-12-31", "10000-01-01", "2026-02-30",
                                      "20261206", "2026-W49-7", "yesterday", "-1", "",
                                      "2026-12-06T00:00", "1e9"]),
                     text_with_junk(20))


def huge_ids() -> st.SearchStrategy[int]:
    """Ids a database integer cannot hold, or that name nothing."""
    return st.one_of(st.sampled_from([0, -1, 2**31, 2**31 - 1, 2**63, 2**63 - 1, 2**64, -2**63,
                                      10**30]),
                     st.integers(min_value=2**31), st.integers(max_value=0))


def odd_values() -> st.SearchStrategy:
    """Whatever a field may be sent in place of text: numbers, floats, booleans, ids."""
    return st.one_of(st.none(), st.booleans(), st.floats(allow_nan=True), huge_ids(),
                     st.integers(), text_with_junk(), date_texts())


def query_values() -> st.SearchStrategy[str]:
    """A query-string value of any class above, as text."""
    return st.one_of(text_with_junk(), date_texts(), huge_ids().map(str),
                     odd_values().map(lambda v: "" if v is None else str(v)))


def encoded_query(params: dict) -> str:
    """A query string (or urlencoded body) as a client would send it: UTF-8, and a lone
    surrogate as the bytes that encode it (which the test client itself would refuse)."""
    from urllib.parse import quote
    return "&".join(f"{quote(str(k).encode('utf-8', 'surrogatepass'), safe='')}="
                    f"{quote(str(v).encode('utf-8', 'surrogatepass'), safe='')}"
                    for k, v in params.items())

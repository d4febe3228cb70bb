"""Hypothesis strategies for the JSON API (issue 27); tests/support/api_fuzz.py sends them.

Classes of input, not values someone thought of: odd JSON types where a string or a number
belongs, huge and negative ids, NUL bytes and lone surrogates, far dates, very long
strings, unknown fields.
"""
from hypothesis import strategies as st

from crm.web.api.fields import FIELDS

FAR_DATES = st.sampled_from(["0001-01-01", "9999-12-31", "9999-12-31T23:59:59Z", "-0001-01-01",
                             "1900-02-29", "2026-13-45", "99999-01-01"])
HUGE_IDS = st.one_of(st.sampled_from([0, -1, 2**31 - 1, 2**31, 2**63, 2**64, -(2**63), 10**40]),
                     st.integers(min_value=-(2**70), max_value=2**70))
LONG_STRINGS = st.builds(lambda ch, n: ch * n, st.sampled_from(["x", "厂", " ", "9", "😀", ","]),
                         st.sampled_from([61, 121, 255, 1001, 2001, 5001, 20001, 100_000]))
PLAUSIBLE = st.sampled_from(["刘先生", "13391219793", "133 9121 9793 仅微信", "liu_wx2024", "30亩",
                             "5,000", "1.2亿", "500万", "rent", "factory", "sqm", "mu", "330522",
                             "湖州", "https://zj.example.cn/a/1", "91110000600037341L", "", " ",
                             "liu@example.com", "三千平", "１２３", "NaN", "1e309"])


def _strange(surrogates: bool):
    """A NUL byte, control characters and (if asked) lone surrogates in plausible text."""
    odd = ["\x00", "\x1b", "\u202e", "王", "a", " "] + (["\ud800", "\udfff"] if surrogates else [])
    categories = ["Cs", "Cc"] if surrogates else ["Cc"]
    return st.lists(st.one_of(st.sampled_from(odd), st.characters(categories=categories)),
                    min_size=1, max_size=12).map("".join)


def hostile_text(surrogates: bool = True):
    any_text = st.text(max_size=30) if surrogates else st.text(
        st.characters(exclude_categories=["Cs"]), max_size=30)
    return st.one_of(PLAUSIBLE, FAR_DATES, _strange(surrogates), LONG_STRINGS, any_text)


def odd_values(surrogates: bool = True):
    """Any JSON value, nested a little (lists and objects where a string belongs)."""
    scalars = st.one_of(st.none(), st.booleans(), HUGE_IDS,
                        st.floats(allow_nan=True, allow_infinity=True), hostile_text(surrogates))
    return st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
        max_leaves=6)


_NAMES = sorted(FIELDS)


def _near_valid(name: str, surrogates: bool):
    """A value close to what the field takes: right type, odd content (so some get stored)."""
    field = FIELDS[name]
    dirty = st.builds(lambda a, b, c: a + b + c, PLAUSIBLE, _strange(surrogates), PLAUSIBLE)
    if field.enum:
        return st.one_of(st.none(), st.sampled_from(field.enum), dirty)
    if name == "contact_name":  # no letter at all: emoji, symbols, punctuation
        symbols = st.text(st.sampled_from("😀🙏★☆!?·-—… _"), min_size=1, max_size=6)
        return st.one_of(symbols, PLAUSIBLE, dirty)
    if field.kind in ("text", "region"):
        sized = st.text(min_size=max(0, (field.max_length or 60) - 2),
                        max_size=(field.max_length or 60) + 2) if field.max_length else PLAUSIBLE
        return st.one_of(st.none(), PLAUSIBLE, dirty, sized, FAR_DATES)
    if field.kind == "number":
        return st.one_of(st.none(), st.integers(-10, 10**12), st.floats(0, 1e9),
                         PLAUSIBLE, dirty)
    if field.kind == "integer":
        return st.one_of(st.none(), HUGE_IDS, st.integers(1, 5))
    return st.one_of(st.none(), st.booleans())


def inquiry_bodies(surrogates: bool = True):
    """An inquiry: a sendable base with fields near valid, or odd throughout, or not an
    object at all."""
    odd = odd_values(surrogates)
    base = st.fixed_dictionaries({}, optional={
        "contact_name": st.one_of(st.just("刘先生"), odd),
        "mobile": st.one_of(st.just("13391219793"), odd),
        "consent": st.one_of(st.just(True), odd)})
    fields = st.dictionaries(st.one_of(st.sampled_from(_NAMES), st.text(max_size=8)),
                             st.one_of(odd, PLAUSIBLE, HUGE_IDS), max_size=6)
    odd_objects = st.builds(lambda a, b: {**a, **b}, base, fields)
    sendable = {"contact_name": st.one_of(st.just("刘先生"), _near_valid("contact_name", surrogates)),
                "mobile": st.sampled_from(["13391219793", "+86 139 1234 5678", "１３８００１３８０００"]),
                "consent": st.just(True)}
    others = [name for name in _NAMES if name not in sendable and name != "listing_id"]
    # Often a listing: a small id is one that may or may not exist.
    sendable = st.fixed_dictionaries(sendable, optional={"listing_id": st.integers(1, 9)})
    near = st.builds(lambda a, b: {**a, **b}, sendable,
                     st.lists(st.sampled_from(others), max_size=3, unique=True).flatmap(
                         lambda names: st.fixed_dictionaries(
                             {n: _near_valid(n, surrogates) for n in names})))
    return st.one_of(near, near, near, odd_objects, odd_objects, odd)


def parse_bodies(surrogates: bool = True):
    return st.one_of(st.fixed_dictionaries({"text": st.one_of(hostile_text(surrogates),
                                                              odd_values(surrogates))}),
                     odd_values(surrogates))

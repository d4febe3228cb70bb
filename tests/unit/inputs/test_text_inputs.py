"""Free text and origins as people type them (table-driven)."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.inputs.origins import normalise_origin, parse_origins
from crm.inputs.text import clean_text, search_key, to_simplified


@pytest.mark.parametrize("typed,simplified", [
    ("廠房", "厂房"),
    ("長三角", "长三角"),
    ("倉庫出租，麵積兩千平", "仓库出租，面积两千平"),
    ("厂房", "厂房"),                 # already simplified: unchanged
    ("Factory 2000㎡", "Factory 2000㎡"),
    ("", ""),
])
def test_traditional_becomes_simplified(typed, simplified):
    assert to_simplified(typed) == simplified


@pytest.mark.parametrize("parts,key", [
    (("劉先生", "長三角廠房有限公司"), "刘先生 长三角厂房有限公司"),
    (("ＡＢＣ　公司",), "abc 公司"),                      # full-width letters and space
    (("  刘\u200b先生 \x00", None, ""), "刘先生"),        # zero-width, control, empties
    (("第一行\n第二行",), "第一行 第二行"),
])
def test_search_key_is_simplified_lower_case_one_line(parts, key):
    assert search_key(*parts) == key


@pytest.mark.parametrize("typed,clean,multiline", [
    ("  刘先生  ", "刘先生", False),
    ("\u200b\u200d刘\ufeff先生\u202e", "刘先生", False),  # zero-width, BOM, bidi override
    ("a\x00b\x07c", "abc", False),                       # control characters
    ("a  \t b", "a b", False),
    ("第一行\n第二行\t", "第一行\n第二行", True),           # newlines kept where they belong
])
def test_clean_text(typed, clean, multiline):
    assert clean_text(typed, multiline=multiline) == clean


def _clean_by_walking(value: str, multiline: bool) -> str:
    """clean_text as it was written first: every character looked at."""
    import unicodedata

    from crm.inputs.text import _INVISIBLE
    text = _INVISIBLE.sub("", value)
    keep = "\n\t" if multiline else ""
    text = "".join(ch for ch in text if ch in keep or unicodedata.category(ch)[0] != "C")
    if not multiline:
        text = " ".join(text.split())
    return text.strip()


@settings(max_examples=300, deadline=None)
@given(value=st.text(alphabet=st.characters(codec=None), max_size=40)
       | st.text(alphabet="厂房 \u3000\u00a0\u200b\u202f\u2028\ufeff\ud800\t\n\r\x00\x85a1，", max_size=20),
       multiline=st.booleans())
def test_clean_text_skips_the_walk_only_where_it_would_drop_nothing(value, multiline):
    """Printable text takes a short way: the result is the same as walking every
    character, for any text (surrogates, controls, every kind of space)."""
    assert clean_text(value, multiline=multiline) == _clean_by_walking(value, multiline)


def test_clean_text_caps_length():
    assert len(clean_text("厂" * 500, max_length=120)) == 120


@pytest.mark.parametrize("typed,origin", [
    ("https://zj.example.cn", "https://zj.example.cn"),
    ("HTTPS://ZJ.Example.CN/", "https://zj.example.cn"),
    ("http://localhost:8080", "http://localhost:8080"),
    ("https://*.example.cn", "https://*.example.cn"),
])
def test_origins_are_normalised(typed, origin):
    assert normalise_origin(typed) == origin


@pytest.mark.parametrize("typed", [
    "zj.example.cn",                        # no scheme
    "ftp://zj.example.cn",
    "https://zj.example.cn/news/1",         # a path
    "https://zj.example.cn?x=1",
    "https://user:pw@zj.example.cn",
    "https://zj.example.cn; script-src *",  # would inject into the CSP header
    "https://exa mple.cn",
    "'none'",
])
def test_bad_origins_are_refused(typed):
    with pytest.raises(ValueError):
        normalise_origin(typed)


def test_parse_origins_splits_and_deduplicates():
    assert parse_origins("https://a.cn\nhttps://b.cn, https://A.cn/\n\n") == [
        "https://a.cn", "https://b.cn"]

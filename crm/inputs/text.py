"""Cleaning free text typed into public forms."""
import functools
import re
import unicodedata

# Zero-width and bidi marks survive strip() and break search and display.
_INVISIBLE = re.compile("[\u200b-\u200f\u2028-\u202f\u2060-\u206f\ufeff]")


def clean_text(value, max_length: int | None = None, multiline: bool = False) -> str:
    """Strip invisible and control characters and outer space; cap the length.

    Newlines and tabs are kept in multi-line fields only.
    """
    if value is None:
        return ""
    text = _INVISIBLE.sub("", str(value))
    keep = "\n\t" if multiline else ""
    text = "".join(ch for ch in text
                   if ch in keep or unicodedata.category(ch)[0] != "C")
    if not multiline:
        text = " ".join(text.split())
    text = text.strip()
    if max_length is not None:
        text = text[:max_length]
    return text


def to_halfwidth(value: str) -> str:
    """Full-width digits, letters and punctuation → ASCII (NFKC), e.g. １３３ → 133."""
    return unicodedata.normalize("NFKC", value)


@functools.lru_cache(maxsize=1)
def _t2s():
    import opencc  # a C++ extension; loaded on first use only
    return opencc.OpenCC("t2s")


def to_simplified(value: str) -> str:
    """Traditional → simplified characters (廠房 → 厂房); other text is left alone."""
    return _t2s().convert(value) if value else ""


def search_key(*parts: str, max_length: int = 4000) -> str:
    """What a lead is found by: simplified, lower-case, full-width folded, one line."""
    text = " ".join(clean_text(p, multiline=True) for p in parts if p)
    return to_simplified(" ".join(to_halfwidth(text).split())).lower()[:max_length]

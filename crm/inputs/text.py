"""Cleaning free text typed into public forms."""
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

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
    text = str(value)
    # Printable text (the common case) has no control, format or invisible character and
    # no space but U+0020: nothing to drop, and the character walk below is skipped.
    if not text.isprintable():
        text = _INVISIBLE.sub("", text)
        keep = "\n\t" if multiline else ""
        text = "".join(ch for ch in text
                       if ch in keep or unicodedata.category(ch)[0] != "C")
    if not multiline:
        text = " ".join(text.split())
    text = text.strip()
    if max_length is not None:
        text = text[:max_length]
    return text


# What no request parameter may carry: C0 controls but tab, newline and carriage return
# (a textarea's), DEL and the C1 controls. PostgreSQL refuses NUL in text outright.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# A lone surrogate (JSON's "\\ud800") cannot be encoded as UTF-8: the database, OpenCC
# and every template would raise on it.
_SURROGATE = re.compile("[\ud800-\udfff]")


def scrub(value: str) -> str:
    """The request-wide cleaning every text parameter gets before any view: control
    characters dropped, a lone surrogate replaced by U+FFFD (visible, never guessed)."""
    return _SURROGATE.sub("\ufffd", _CONTROL.sub("", value))


def scrub_json(value):
    """scrub() on every string of a parsed JSON document, keys too, at any depth."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [scrub_json(v) for v in value]
    if isinstance(value, dict):
        return {scrub(k) if isinstance(k, str) else k: scrub_json(v) for k, v in value.items()}
    return value


_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"),
         (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def decode_text(raw: bytes) -> str:
    """Bytes from a file or a pipe → text: a BOM says UTF-8, UTF-16 or UTF-32; without one,
    UTF-8 if it is valid, else GB18030 (a superset of GBK, what Chinese Windows writes).
    Scrubbed like any request text."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return scrub(raw.decode(encoding, errors="replace"))
    try:
        return scrub(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return scrub(raw.decode("gb18030", errors="replace"))


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


def compact_key(text: str | None) -> str:
    """search_key() without any space: how a person's name is compared ("王 经理" = "王经理")."""
    return "".join(search_key(text or "").split())

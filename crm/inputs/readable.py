"""Whether text says anything: a name or a message needs a letter or a digit."""
import re

# A letter or digit of a script people write names and messages in (Latin, Greek, Cyrillic,
# kana, CJK, Hangul, full-width). Text with none of them (emoji, punctuation) says nothing.
# Also the API document's JSON-schema pattern, so plain ranges only (no \p{L}).
READABLE = ("[A-Za-z0-9\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0386-\u03ff\u0400-\u04ff"
            "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
            "\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")
_READABLE = re.compile(READABLE)


def has_something_to_read(text) -> bool:
    return isinstance(text, str) and _READABLE.search(text) is not None

"""Which company is this? One normaliser for a company's name, used at runtime and by the
migration that made companies from leads, so both agree on what "the same company" means."""
import re
import unicodedata

from crm.inputs.text import search_key

# One trailing legal form is dropped: "某某有限公司" and "某某有限责任公司" are the same firm as
# people write it. Longest first. 集团 and 厂 stay: "某某集团" and "某某" are different firms.
_LEGAL_FORMS = ("股份有限公司", "有限责任公司", "股份公司", "有限公司", "公司")
# English forms, matched as whole words before spaces go ("Ameco Ltd" must not lose its "co").
_ENGLISH_FORM = re.compile(r"(?:\s+(?:co\.?\s*,?\s*)?(?:ltd|limited|inc|corp|corporation)\.?)\s*$")


def name_key(name: str | None) -> str:
    """A company's name folded to what identifies it: simplified, half-width, lower case, no
    spaces, punctuation or brackets (their content stays: "(苏州)" is part of the name), and
    one trailing legal form dropped. "" when nothing identifying is left."""
    text = search_key(name or "")
    text = _ENGLISH_FORM.sub("", text)
    text = "".join(ch for ch in text
                   if not ch.isspace() and unicodedata.category(ch)[0] not in "PSZC")
    for form in _LEGAL_FORMS:
        if text.endswith(form):
            text = text[: -len(form)]
            break
    return text

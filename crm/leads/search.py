"""Free-text search over leads: one place, so it can move to Lead.search_text later."""
import re
from functools import lru_cache

from sqlalchemy import or_

from crm.inputs.text import clean_text, search_key, to_halfwidth
from crm.models import Lead


@lru_cache(maxsize=2)
def _converter(config: str):
    import opencc
    return opencc.OpenCC(config)


def normalise_query(raw: str) -> str:
    """Traditional → simplified, full-width → half-width, lower case (as search_text is stored)."""
    text = to_halfwidth(clean_text(raw or "", max_length=100)).lower()
    return _converter("t2s").convert(text) if text else ""


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def lead_search_clause(raw: str):
    """A WHERE clause for the query, or None when there is nothing to search for."""
    query = normalise_query(raw)
    if not query:
        return None
    # search_text holds contact, company, usage, region text and message, simplified and
    # lower-cased at intake (and filled for older rows by its migration).
    clauses = [Lead.search_text.like(_like(search_key(raw)), escape="\\"),
               Lead.reference.ilike(_like(query), escape="\\")]
    digits = re.sub(r"\D", "", query)
    if digits and len(digits) == len(query.replace(" ", "")):
        # Agents remember the last four digits; more digits match anywhere in the number.
        if len(digits) <= 4:
            clauses.append(Lead.mobile_e164.like(f"%{digits}"))
        else:
            clauses.append(Lead.mobile_e164.like(f"%{digits}%"))
    return or_(*clauses)

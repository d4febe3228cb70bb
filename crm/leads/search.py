"""Free-text search over leads: one place, so it can move to Lead.search_text later."""
import re
from functools import lru_cache

from sqlalchemy import false, or_, select

from crm.inputs.text import clean_text, search_key, to_halfwidth
from crm.models import InquiryRepeat, Lead
from crm.models.sql import contains_short

TRIGRAM = 3  # pg_trgm finds a LIKE '%…%' pattern by its index from three characters on
REFERENCE_PART = re.compile(r"[0-9a-z\-]+")


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
    """A WHERE clause for the query, or None when there is nothing to search for.

    A query of digits only finds a mobile by its last four digits or as a whole number,
    never by a run inside it: otherwise a masked number (139****5678) could be rebuilt
    digit by digit through searches. Such a query does not look into the free text either
    (a message may carry the number).
    """
    query = normalise_query(raw)
    if not query:
        return None
    compact = re.sub(r"[\s\-+]", "", query)
    if compact.isdigit():
        return _digits_clause(compact)
    # search_text holds contact, company, usage, region text and message, simplified and
    # lower-cased at intake (and filled for older rows by its migration). On PostgreSQL a
    # pattern of three characters or more is looked up in its trigram index; one or two
    # characters (a surname, a place) in the index of its characters.
    key = search_key(raw)
    text = (contains_short(Lead.search_text, key) if len(key) < TRIGRAM
            else Lead.search_text.like(_like(key), escape="\\"))
    # A reference is CF, six digits, a dash and five letters or digits: a query with any
    # other character cannot be part of one (and would make PostgreSQL scan every row).
    if not REFERENCE_PART.fullmatch(query):
        return text
    return or_(text, Lead.reference.ilike(_like(query), escape="\\"), _repeat_reference(query))


def _repeat_reference(query: str):
    """A caller may read out the reference their repeat inquiry was given: it finds the lead."""
    if not re.fullmatch(r"cf\d{6}-[0-9a-z]{5}", query.strip()):
        return false()
    return Lead.id.in_(select(InquiryRepeat.original_lead_id)
                       .where(InquiryRepeat.reference == query.strip().upper()))


def _digits_clause(digits: str):
    if len(digits) == 4:  # what agents remember
        return Lead.mobile_e164.like(f"%{digits}")
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if len(digits) == 11:
        return Lead.mobile_e164 == f"+86{digits}"
    return Lead.reference.ilike(_like(digits), escape="\\")  # a reference's digits (its date)

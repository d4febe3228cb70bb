"""Free-text search over leads: one place, so it can move to Lead.search_text later."""
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Boolean, ColumnElement, and_, false, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from crm import reads
from crm.inputs.text import clean_text, search_key, to_halfwidth
from crm.inputs.wechat import is_wechat_id
from crm.models import InquiryRepeat, Lead
from crm.models.sql import contains_short, contains_text

TRIGRAM = 3  # pg_trgm finds a LIKE '%…%' pattern by its index from three characters on
REFERENCE_PART = re.compile(r"[0-9a-z\-]+")
FEW = 2000  # a search with up to this many matches is run from their ids (queue_search)
# The start of a reference (CF, then its day as yymmdd, a dash, five characters): CF and two
# digits at least (a year), a dash only after all six.
REFERENCE_START = re.compile(r"cf(\d{2,5}|\d{6}(-[0-9a-z]{0,5})?)")
FULL_REFERENCE = re.compile(r"cf\d{6}-[0-9a-z]{5}")


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


def lead_search_clause(raw: str, indexed: bool = True):
    """A WHERE clause for the query, or None when there is nothing to search for.

    A query shaped like the start of a reference (CF25, cf2512, CF251201-7K) finds the
    references that start with it, nothing else: see _reference_start_clause.

    A query of digits only finds a mobile by its last four digits or as a whole number,
    never by a run inside it: otherwise a masked number (139****5678) could be rebuilt
    digit by digit through searches. Such a query does not look into the free text either
    (a message may carry the number).

    `indexed=False` gives the same condition in a form no index answers (strpos), for a
    query whose matches are common: the queue then walks leads newest first and stops
    after a page, which PostgreSQL only does when it cannot pick a text index instead
    (a reference's start is one form either way: see _reference_start_clause).
    """
    query = normalise_query(raw)
    if not query:
        return None
    if REFERENCE_START.fullmatch(query.strip()):
        return _reference_start_clause(query.strip())
    compact = re.sub(r"[\s\-+]", "", query)
    if compact.isdigit():
        return _digits_clause(compact)
    # search_text holds contact, company, usage, region text and message, simplified and
    # lower-cased at intake (and filled for older rows by its migration). On PostgreSQL a
    # pattern of three characters or more is looked up in its trigram index; one or two
    # characters (a surname, a place) in the index of its characters.
    key = search_key(raw)
    text: ColumnElement[bool]
    if not indexed:
        text = contains_text(Lead.search_text, key)
    elif len(key) < TRIGRAM:
        text = contains_short(Lead.search_text, key)
    else:
        text = Lead.search_text.like(_like(key), escape="\\")
    # A reference is CF, six digits, a dash and five letters or digits: a query with any
    # other character cannot be part of one (and would make PostgreSQL scan every row).
    # A WeChat ID typed whole finds its prospect (WeChat-only ones have no number to search).
    wechat = _wechat(raw)
    if not REFERENCE_PART.fullmatch(query):
        return or_(text, wechat)
    reference = (Lead.reference.ilike(_like(query), escape="\\") if indexed
                 else contains_text(func.lower(Lead.reference), query))
    return or_(text, reference, _repeat_reference_part(query), wechat)


def _wechat(raw: str):
    typed = clean_text(raw or "", max_length=100).strip()
    return Lead.wechat_id == typed if is_wechat_id(typed) else false()


@dataclass
class Plan:
    clause: ColumnElement[bool]  # the WHERE clause to use
    matches: int | None  # how many leads match, when there are few (None: more)


def queue_search(raw: str) -> Plan | None:
    """The search as the queue should run it, after one look at how common it is.

    Up to FEW matches (a mobile's digits, a reference, a rare name): their ids, found once
    through the text indexes, so every query of the page (buckets, halves, tab badges)
    starts from them. More: the index-free form, so each query walks its slice newest
    first and stops after a page. PostgreSQL cannot tell these apart by itself: it guesses
    a two-character word (长兴, in 8 % of leads) ten times too rare, and then reads every
    match through the index for every query.
    """
    clause = lead_search_clause(raw)
    if clause is None:
        return None
    ids = list(reads.session().scalars(select(Lead.id).where(clause).limit(FEW + 1)))
    if len(ids) <= FEW:
        return Plan(Lead.id.in_(ids) if ids else false(), len(ids))
    return Plan(lead_search_clause(raw, indexed=False), None)


def reference_days(digits: str) -> tuple[date, date] | None:
    """The first and last day whose yymmdd starts with `digits` (2 to 6 of them), or None
    when no day does ("2513": there is no 13th month). Those days are consecutive: dates in
    order are their yymmdd strings in order, and strings sharing a start are consecutive."""
    year = 2000 + int(digits[:2])
    first, days = date(year, 1, 1), []
    for n in range(366):
        day = first + timedelta(days=n)
        if day.year == year and f"{day:%y%m%d}".startswith(digits):
            days.append(day)
    return (days[0], days[-1]) if days else None


def reference_span(digits: str, tz: str) -> tuple[datetime, datetime] | None:
    """[start, end) in UTC of the days in `tz` whose yymmdd starts with `digits`."""
    days = reference_days(digits)
    if days is None:
        return None
    zone = ZoneInfo(tz)
    start = datetime.combine(days[0], time(), zone).astimezone(UTC)
    end = datetime.combine(days[1] + timedelta(days=1), time(), zone).astimezone(UTC)
    return start, end


def _reference_start_clause(query: str):
    """References starting with the query (CF + 2 to 6 digits, then a dash and up to five
    characters), as a `created_at` range AND the prefix.

    A reference is drawn from the day of its lead's `created_at` in CRM_TIMEZONE
    (crm/intake/reference.py; the importer goes through capture, merges change neither, the
    demo history draws them the same way), so its digits are a range of `created_at`: the
    queue walks that range newest first and stops after a page, where "contains" passed
    every newer lead first (CF25 at a million leads: all of 2026 before the first match).
    The prefix stays the condition that decides; the range only narrows the walk.

    Such a query does not look into the free text, a WeChat ID or a mobile: nobody types
    CF25 meaning a company, and an OR with them would undo the range walk. A whole
    reference is one row by its unique index, and may be a repeat inquiry's own reference,
    which finds the lead it repeated (created earlier, outside any range of its digits).
    """
    prefix = query.upper()
    if FULL_REFERENCE.fullmatch(query):
        return or_(Lead.reference == prefix, _repeat_reference(query))
    span = reference_span(query[2:8].split("-")[0], current_app.config["CRM_TIMEZONE"])
    if span is None:
        return false()
    # A reference holds only CF, digits, a dash and capitals: nothing to escape in a LIKE.
    # Indexed or not, the same LIKE: PostgreSQL estimates a prefix on the column from its
    # statistics (CF25: 323,000 rows guessed, 320,000 true), so it walks the range instead
    # of using the trigram index; substr(…) = 'CF25' was a blind 0.5 % guess that made it
    # read the manager's whole range and sort it (7,000 rows, 12 ms per bucket).
    starts = Lead.reference.like(prefix + "%")
    return and_(Lead.created_at >= span[0], Lead.created_at < span[1], starts)


class _lead_of_repeats(FunctionElement):
    """lead.id IN (the repeats' original_lead_id), in a form PostgreSQL can OR with the
    other branches' index scans: `id = ANY(ARRAY(subquery))` is an index condition on the
    primary key (the subquery runs once, first), where `id IN (subquery)` in an OR made it
    read every lead (600 ms at 300,000 leads)."""
    type = Boolean()
    inherit_cache = True
    name = "lead_of_repeats"


@compiles(_lead_of_repeats)
def _lead_of_repeats_in(element, compiler, **kw):
    column, subquery = (compiler.process(c, **kw) for c in element.clauses)
    return f"{column} IN {subquery}"


@compiles(_lead_of_repeats, "postgresql")
def _lead_of_repeats_any(element, compiler, **kw):
    column, subquery = (compiler.process(c, **kw) for c in element.clauses)
    return f"{column} = ANY(ARRAY{subquery})"


def _leads_of_repeats(where: ColumnElement[bool]) -> ColumnElement[bool]:
    return _lead_of_repeats(Lead.id, select(InquiryRepeat.original_lead_id).where(where)
                            .scalar_subquery())


def _repeat_reference(query: str):
    """A caller may read out the reference their repeat inquiry was given: it finds the lead."""
    if not re.fullmatch(r"cf\d{6}-[0-9a-z]{5}", query.strip()):
        return false()
    return _leads_of_repeats(InquiryRepeat.reference == query.strip().upper())


def _repeat_reference_part(query: str):
    """A part of a repeat inquiry's reference (834W6, the tail a caller reads out) finds the
    need it repeated. Three characters at least: shorter parts match most repeats, and
    pg_trgm's index on inquiry_repeat.reference answers from three on. References are
    stored in capitals, so a case-sensitive LIKE of the upper-cased part (the form the
    trigram index answers) is exact."""
    if len(query) < TRIGRAM:
        return false()
    return _leads_of_repeats(InquiryRepeat.reference.like(_like(query.upper()), escape="\\"))


def _digits_clause(digits: str):
    if len(digits) == 4:  # what agents remember
        return Lead.mobile_e164.like(f"%{digits}")
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if len(digits) == 11:
        return Lead.mobile_e164 == f"+86{digits}"
    # A reference's digits (its date, or a tail of digits): the need's or a repeat's.
    return or_(Lead.reference.ilike(_like(digits), escape="\\"), _repeat_reference_part(digits))

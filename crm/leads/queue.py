"""What an agent must look at first: deadlines about to pass, follow-ups due, big projects.

The workspace queue orders leads by an urgency bucket computed in SQL, then newest first,
and pages with a keyset cursor over (bucket, created_at, id). The cursor also carries the
moment the first page was drawn, so every page of one walk sorts by the same clock.

The queue's rows, counts and exports are read through crm.reads: the primary, unless the
view opened a reports block (a search, an export), where they may come from the replica.
The "needs attention" list, the pool and the poll always read the primary.
"""
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import ColumnExpressionArgument, and_, case, false, func, literal, or_, select, true
from sqlalchemy.orm import joinedload

from crm import access, reads
from crm.choices import JUNK_STATUSES, OPEN_STATUSES
from crm.extensions import db
from crm.leads.search import Plan, lead_search_clause, queue_search
from crm.models import Lead, User
from crm.models.types import utcnow

TABS = ("mine", "pool", "due", "all")
# Buckets, most urgent first.
SLA_SOON, DUE_TODAY, NEW, REST = 0, 1, 2, 3
SLA_WARNING = timedelta(minutes=5)  # "about to breach": past half time, or this close to it


def needs_attention(user: User, limit: int = 20) -> list[Lead]:
    now = utcnow()
    today = now.astimezone(ZoneInfo(current_app.config["CRM_TIMEZONE"])).date()
    mine = or_(Lead.assigned_to_id == user.id, Lead.escalated_to_id == user.id)
    urgent = or_(
        # Not contacted yet and past half of the first-contact time.
        and_(Lead.first_contact_at.is_(None), Lead.sla_half_at <= now + timedelta(minutes=5)),
        Lead.next_follow_up_on <= today,
        Lead.escalated_to_id == user.id,
    )
    return list(db.session.scalars(
        select(Lead).options(joinedload(Lead.assigned_to))
        .where(mine, urgent, Lead.status.in_(OPEN_STATUSES))
        .order_by(Lead.sla_due_at.asc().nulls_last(), Lead.next_follow_up_on.asc().nulls_last(),
                  Lead.next_follow_up_at.asc().nulls_last(), Lead.id)
        .limit(limit)))


def team_pool(user: User, limit: int = 50) -> list[Lead]:
    """Leads waiting in the user's team pool: nobody was available when they came in."""
    if user.team_id is None:
        return []
    return list(db.session.scalars(
        select(Lead).where(Lead.team_id == user.team_id, Lead.assigned_to_id.is_(None),
                           Lead.status == "new")
        .order_by(Lead.created_at).limit(limit)))


# --- the workspace queue ---------------------------------------------------------------

@dataclass
class Filters:
    status: str = ""
    need: str = ""          # property type
    deal: str = ""
    region: str = ""        # a region code: it and everything under it
    to_confirm: bool = False  # only leads whose place is words no reader found
    industry: str = ""
    source: str = ""        # a channel code, or text found in utm_source / the page URL
    date_from: date | None = None
    date_to: date | None = None
    score_min: int | None = None
    q: str = ""
    agent_id: int | None = None  # managers only
    team_id: int | None = None   # admin only (a manager is held to their team anyway)


@dataclass
class Page:
    leads: list[Lead]
    next_cursor: str | None
    counts: dict[str, int] = field(default_factory=dict)


def today_local(now: datetime) -> date:
    return now.astimezone(ZoneInfo(current_app.config["CRM_TIMEZONE"])).date()


def urgency(now: datetime, today: date):
    is_open = Lead.status.in_(OPEN_STATUSES)
    return case(
        (and_(is_open, Lead.first_contact_at.is_(None), Lead.sla_half_at.is_not(None),
              Lead.sla_half_at <= now + SLA_WARNING), literal(SLA_SOON)),
        (and_(is_open, Lead.next_follow_up_on.is_not(None), Lead.next_follow_up_on <= today),
         literal(DUE_TODAY)),
        (Lead.status == "new", literal(NEW)),
        else_=literal(REST))


def tab_clause(user: User, tab: str, today: date):
    if tab == "pool":
        if user.team_id is None:
            return false()
        return and_(Lead.team_id == user.team_id, Lead.assigned_to_id.is_(None),
                    Lead.status == "new")
    if tab == "due":
        return and_(or_(Lead.assigned_to_id == user.id, Lead.escalated_to_id == user.id),
                    Lead.status.in_(OPEN_STATUSES), Lead.next_follow_up_on <= today)
    if tab == "all" and user.is_manager:
        scope = access.lead_scope(user)
        return scope if scope is not None else true()
    return or_(Lead.assigned_to_id == user.id, Lead.escalated_to_id == user.id)


def filter_clauses(filters: Filters, user: User) -> list[ColumnExpressionArgument[bool]]:
    tz = ZoneInfo(current_app.config["CRM_TIMEZONE"])
    out: list[ColumnExpressionArgument[bool]] = []
    if filters.status:
        out.append(Lead.status == filters.status)
    else:
        out.append(Lead.status.not_in(JUNK_STATUSES))
    if filters.need:
        out.append(Lead.property_type == filters.need)
    if filters.deal:
        out.append(Lead.deal_type == filters.deal)
    if filters.region:
        # Codes are hierarchical by prefix (crm/regions): the region and all under it.
        out.append(Lead.region_code.startswith(filters.region, autoescape=True))
    if filters.to_confirm:
        out.append(Lead.place_to_confirm)
    if filters.industry:
        out.append(Lead.industry == filters.industry)
    if filters.source:
        from crm.choices import CHANNELS
        if filters.source in CHANNELS:
            out.append(Lead.channel == filters.source)
        else:
            pattern = "%" + filters.source.replace("%", "").replace("_", "") + "%"
            out.append(or_(Lead.utm_source.ilike(pattern), Lead.page_url.ilike(pattern)))
    if filters.date_from:
        out.append(Lead.created_at >= datetime.combine(filters.date_from, time(), tz).astimezone(UTC))
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time(), tz).astimezone(UTC)
        out.append(Lead.created_at < end)
    if filters.score_min is not None:
        out.append(Lead.score >= filters.score_min)
    search = search_plan(filters)
    if search is not None:
        out.append(search.clause)
    if user.is_manager and filters.agent_id:
        out.append(Lead.assigned_to_id == filters.agent_id)
    if user.is_admin and filters.team_id:
        out.append(Lead.team_id == filters.team_id)
    return out


def search_plan(filters: Filters) -> Plan | None:
    """queue_search() once per Filters: the page and its tab badges share the look."""
    cached = filters.__dict__.get("_search")
    if cached is None or cached[0] != filters.q:
        cached = filters.__dict__["_search"] = (filters.q, queue_search(filters.q))
    return cached[1]


def encode_cursor(bucket: int, lead: Lead, now: datetime) -> str:
    return f"{bucket}_{int(lead.created_at.timestamp() * 1e6)}_{lead.id}_{int(now.timestamp())}"


def decode_cursor(raw: str | None):
    if raw is None:
        return None
    try:
        bucket, micros, lead_id, clock = raw.split("_")
        return (int(bucket), datetime.fromtimestamp(int(micros) / 1e6, UTC), int(lead_id),
                datetime.fromtimestamp(int(clock), UTC))
    except (AttributeError, ValueError, OverflowError, OSError):
        return None


def base_statement(user: User, tab: str, filters: Filters, now: datetime):
    today = today_local(now)
    return (select(Lead).where(tab_clause(user, tab, today), *filter_clauses(filters, user)),
            urgency(now, today))


def _slices(user: User, tab: str, today: date) -> list:
    """The tab as disjoint WHERE clauses, each walkable on one index.

    "Mine" (assigned OR escalated) and a manager's scope (the team's leads OR its members')
    are ORs over two columns: as one query, PostgreSQL would fetch and sort every lead the
    agent ever had (30,000 at a million leads) to show 50. Each half is queried apart and
    the pages merged.
    """
    if tab == "mine":
        return [Lead.assigned_to_id == user.id,
                and_(Lead.escalated_to_id == user.id,
                     access.distinct_from(Lead.assigned_to_id, user.id))]
    if tab == "all" and user.is_manager:
        parts = access.lead_scope_parts(user)
        if parts is None:
            return [true()]
        if len(parts) == 1:  # a manager who manages nothing
            return parts
        # No strays (the usual case): no second slice (its five bucket queries and its
        # count would find nothing, a millisecond each).
        ids = access.stray_lead_ids(user, parts)
        if ids == []:
            return [parts[0]]
        return [parts[0], parts[1] if ids is None else Lead.id.in_(ids)]
    return [tab_clause(user, tab, today)]


def _after_cursor(bucket, decoded):
    b, created, lead_id, _clock = decoded
    return or_(bucket > b, and_(bucket == b, or_(
        Lead.created_at < created, and_(Lead.created_at == created, Lead.id < lead_id))))


def _bucket_walks(now: datetime, today: date, searching: bool) -> list:
    """(subset, bucket expression, sort by bucket first) for each query of one slice.

    Only open leads can be urgent; closed ones are all REST, newest first: that half is a
    backward walk of a (owner|team, created_at) index that stops after one page. The open
    half is ranked by its urgency bucket from the queue indexes (index-only, no row read).
    A search reads every candidate's text, so ranking all open leads would read them all
    (174,000 rows at a million leads): each bucket is then queried apart, newest first, a
    walk that stops after one page, and the buckets in turn until a page is full.
    """
    is_open = Lead.status.in_(OPEN_STATUSES)
    closed = (Lead.status.not_in(OPEN_STATUSES), literal(REST), False, False)
    if not searching:
        return [(is_open, urgency(now, today), True, False), closed]
    # urgency()'s CASE as plain conditions (each bucket: its own and none before it), which
    # the planner can estimate: `CASE … END = 2` is a blind guess of 0.5 %, which makes it
    # read every match of a common word instead of walking newest first.
    sla_soon = and_(Lead.first_contact_at.is_(None), Lead.sla_half_at.is_not(None),
                    Lead.sla_half_at <= now + SLA_WARNING)
    not_sla_soon = or_(Lead.first_contact_at.is_not(None), Lead.sla_half_at.is_(None),
                       Lead.sla_half_at > now + SLA_WARNING)
    due = and_(Lead.next_follow_up_on.is_not(None), Lead.next_follow_up_on <= today)
    not_due = or_(Lead.next_follow_up_on.is_(None), Lead.next_follow_up_on > today)
    buckets = {SLA_SOON: and_(is_open, sla_soon),
               DUE_TODAY: and_(is_open, not_sla_soon, due),
               NEW: and_(Lead.status == "new", not_sla_soon, not_due),
               REST: and_(is_open, Lead.status != "new", not_sla_soon, not_due)}
    # Leads waiting for their first contact, and new ones, are few by nature (a few thousand
    # at a million leads): those buckets are listed whole, then searched. Walking newest
    # first for them would pass every lead of the slice when fewer than a page match.
    few = (SLA_SOON, NEW)
    return [(where, literal(b), False, b in few) for b, where in buckets.items()] + [closed]


def page(user: User, tab: str, filters: Filters, cursor: str | None, per_page: int) -> Page:
    decoded = decode_cursor(cursor)
    now = decoded[3] if decoded else utcnow()
    today = today_local(now)
    common = filter_clauses(filters, user)
    search = search_plan(filters)
    walks = _bucket_walks(now, today, searching=search is not None)
    rows = []
    for part in _slices(user, tab, today):
        found: list = []  # this slice's rows, in queue order bucket by bucket
        for subset, bucket, sort_by_bucket, few in walks:
            if not sort_by_bucket:
                b = bucket.value
                if decoded and b < decoded[0]:
                    continue  # the cursor is past this bucket
                if sum(1 for row in found if row[1] < b) > per_page:
                    break  # a page of more urgent leads: nothing from here on can show
            # Rank ids first (an index-only scan on PostgreSQL), then fetch one page of rows.
            if few and search is not None:
                # The bucket's leads first, whole (MATERIALIZED keeps PostgreSQL from
                # walking the slice for them), then the search among them.
                listed = (select(Lead.id)
                          .where(part, subset, *[c for c in common if c is not search.clause])
                          .cte("listed").prefix_with("MATERIALIZED", dialect="postgresql"))
                keys = select(Lead.id, bucket.label("bucket")).where(
                    Lead.id.in_(select(listed.c.id)), search.clause)
            else:
                keys = select(Lead.id, bucket.label("bucket")).where(part, subset, *common)
            if decoded:
                keys = keys.where(_after_cursor(bucket, decoded))
            ranked = keys.order_by(*([bucket] if sort_by_bucket else []), Lead.created_at.desc(),
                                   Lead.id.desc()).limit(per_page + 1).subquery()
            found += reads.session().execute(
                select(Lead, ranked.c.bucket).join(ranked, Lead.id == ranked.c.id)
                .options(joinedload(Lead.assigned_to))).all()
        rows += found
    rows.sort(key=lambda row: (row[1], -row[0].created_at.timestamp(), -row[0].id))
    rows = rows[:per_page + 1]
    leads = [row[0] for row in rows[:per_page]]
    for row in rows[:per_page]:
        row[0].urgency = row[1]  # for the badge in the list
    next_cursor = encode_cursor(rows[per_page - 1][1], rows[per_page - 1][0], now) \
        if len(rows) > per_page else None
    return Page(leads=leads, next_cursor=next_cursor)


COUNT_CAP = 9999  # tab badges count up to this, then read "9999+"
# With a search, up to this ("99+"): every candidate's text is read to count it (a manager's
# tab: 12,000 rows read for a thousand matches of a common word, 29 ms at a million leads),
# and a search that finds a hundred leads is one to narrow, not to page through.
SEARCH_COUNT_CAP = 99


def count_cap(filters: Filters) -> int:
    return SEARCH_COUNT_CAP if lead_search_clause(filters.q) is not None else COUNT_CAP


def tab_counts(user: User, filters: Filters) -> dict[str, int]:
    """Leads per tab, each at most count_cap() + 1: a badge needs no exact count of a
    million, and counting stops at the cap instead of walking every row."""
    cap = count_cap(filters)
    now = utcnow()
    today = today_local(now)
    common = filter_clauses(filters, user)
    # A manager's day starts from the team's queue; an agent's from their own.
    tabs = (["all"] if user.is_manager else []) + ["mine", "pool", "due"]
    owners, capped = [], []
    for tab in tabs:
        for part in _slices(user, tab, today):
            owners.append(tab)
            capped.append(select(func.count()).select_from(
                select(Lead.id).where(part, *common).limit(cap + 1).subquery()).scalar_subquery())
    # Every tab's and slice's capped count in one statement, each a subquery planned on
    # its own as before: one round trip for the badges instead of one per slice (five to
    # seven, 2-3 ms each on a page that wants 100 ms).
    counts = dict.fromkeys(tabs, 0)
    for tab, n in zip(owners, reads.session().execute(select(*capped)).one(), strict=True):
        counts[tab] = min(cap + 1, counts[tab] + (n or 0))
    return counts


def export_rows(user: User, tab: str, filters: Filters, limit: int = 50000):
    """Every lead of the filtered queue, in queue order, for an export."""
    now = utcnow()
    stmt, bucket = base_statement(user, tab, filters, now)
    return reads.session().scalars(
        stmt.options(joinedload(Lead.assigned_to))
        .order_by(bucket, Lead.created_at.desc(), Lead.id.desc()).limit(limit))


def new_assignments(user: User, since: datetime) -> list[Lead]:
    """Leads given to the user after `since`: what the queue polls for."""
    return list(db.session.scalars(
        select(Lead).where(Lead.assigned_to_id == user.id, Lead.assigned_at > since,
                           Lead.status.not_in(JUNK_STATUSES))
        .order_by(Lead.assigned_at.desc()).limit(20)))

"""Repeats that asked for something else become needs of their own (issue 30, design §5.4).

A repeat differs from its need when the deal type, or the property type, is set on both and
unequal, or both region codes are set and lie in another city (`other_city`: the negation of
crm.regions.same_area, checked against it in tests/unit/intake/test_split_migration.py). The
same need with other figures stays a repeat (the lead page shows its differences), and so
do the repeats of spam and merged leads (junk is never a need's origin).

Each differing repeat becomes a lead, set-based on both dialects: the repeat's reference
(moved: the repeat's becomes NULL; none, or one a lead holds, draws a new one in Python), its
time, channel, source, listing, page, UTM and message; the need cast from `details` as
crm.intake.repeats._details wrote it; its contact, else the original's; the company of the
repeat's company name (crm.inputs.company.name_key), else the original's; the original's
owner and team, routed and assigned at the repeat's time (no SLA: no breach alert). Status
'new' when the repeat is under 90 days old at upgrade time (it lands in its owner's queue),
else 'lost' with lost_reason '历史再次咨询拆分，未跟进' (old needs must not flood the queues).
Stage rows at the repeat's time; an activity on both leads; contact_seq recomputed for the
contacts touched; search_text and score computed in Python for the split rows only.

Down: every split lead (from_repeat_id set, split here or by an agent since) is deleted with
its rows (SQLite runs migrations with foreign keys off: its ON DELETE rules are applied by
hand), the repeat gets the reference back, contact_seq is recomputed.

Timed on PostgreSQL (bench lead table, 2 shared cores): 200,000 leads and 30,000 repeats,
20,000 split: upgrade 35.6 s (16.5 s of it search text and score in Python), down 9.2 s.

Revision ID: d2b8f6a41c7e
Revises: c4a7e91d2f30
Create Date: 2026-12-06 20:00:00
"""
import logging
import time
from datetime import UTC, datetime, timedelta

from alembic import op
import sqlalchemy as sa

revision = 'd2b8f6a41c7e'
down_revision = 'c4a7e91d2f30'
branch_labels = None
depends_on = None

log = logging.getLogger('alembic.runtime.migration')
RECENT_DAYS = 90
LOST_REASON = '历史再次咨询拆分，未跟进'
JUNK = "('spam', 'merged')"
NUMERIC = ('area_min_sqm', 'area_max_sqm', 'annual_tax_wan', 'investment_wan',
           'ceiling_height_m', 'crane_t', 'floor_load_t')
BOOLEAN = ('needs_eia', 'single_storey', 'needs_crane', 'standalone', 'divisible')


def _postgresql() -> bool:
    return op.get_context().dialect.name == 'postgresql'


def other_city(a: str, b: str) -> str:
    """SQL: two stated region codes (SQL expressions) in another city. The negation of
    crm.regions.same_area for stored (canonical) codes: both set, neither a prefix of the
    other, and not both ≥ 4 characters with the same first 4 (one city)."""
    return (f"({a} IS NOT NULL AND {a} <> '' AND {b} IS NOT NULL AND {b} <> ''"
            f" AND substr({a}, 1, length({b})) <> {b} AND substr({b}, 1, length({a})) <> {a}"
            f" AND NOT (length({a}) >= 4 AND length({b}) >= 4"
            f" AND substr({a}, 1, 4) = substr({b}, 1, 4)))")


def _detail(key: str, postgresql: bool) -> str:
    """A value of inquiry_repeat.details (alias r) as the lead's column takes it."""
    if postgresql:
        raw = f"(r.details ->> '{key}')"
        if key in NUMERIC:
            return f"CAST({raw} AS NUMERIC)"
        if key in BOOLEAN:
            return f"CAST({raw} AS BOOLEAN)"
        if key == 'power_kva':
            return f"CAST({raw} AS INTEGER)"
        return raw
    raw = f"json_extract(r.details, '$.{key}')"
    return f"CAST({raw} AS NUMERIC)" if key in NUMERIC else raw


def differs(postgresql: bool) -> str:
    """SQL: the repeat r states a need other than its lead o's (design §5.4)."""
    deal, kind, region = (_detail(k, postgresql) for k in ('deal_type', 'property_type', 'region_code'))
    return (f"(({deal} IS NOT NULL AND o.deal_type IS NOT NULL AND {deal} <> o.deal_type)"
            f" OR ({kind} IS NOT NULL AND o.property_type IS NOT NULL AND {kind} <> o.property_type)"
            f" OR {other_city(region, 'o.region_code')})")


def _step(name: str, sql: str, **params) -> None:
    started = time.monotonic()
    statement = sa.text(sql)
    if params:
        statement = statement.bindparams(*(sa.bindparam(k, v, type_=_type(v))
                                           for k, v in params.items()))
    op.get_bind().execute(statement)
    log.info('split_repeats: %s in %.1f s', name, time.monotonic() - started)


def _type(value):
    return sa.DateTime(timezone=True) if isinstance(value, datetime) else sa.String()


def _at(value: datetime) -> datetime:
    # SQLite keeps naive UTC text (crm.models.types.UTCDateTime); PostgreSQL timestamptz.
    return value if _postgresql() else value.replace(tzinfo=None)


def upgrade():
    pg = _postgresql()
    now = datetime.now(UTC)
    op.create_table('_split', sa.Column('repeat_id', sa.Integer(), primary_key=True),
                    sa.Column('reference', sa.String(20)),
                    sa.Column('company_key', sa.String(120)))
    _step('differing repeats', f"""
INSERT INTO _split (repeat_id, reference)
SELECT r.id, r.reference FROM inquiry_repeat r JOIN lead o ON o.id = r.original_lead_id
WHERE o.status NOT IN {JUNK} AND {differs(pg)}
  AND NOT EXISTS (SELECT 1 FROM lead x WHERE x.from_repeat_id = r.id)""")
    _keys_and_references()

    need = {k: _detail(k, pg) for k in (
        'deal_type', 'property_type', 'region_code', 'region_text', 'area_min_sqm',
        'area_max_sqm', 'area_unit', 'industry', 'usage', 'needs_eia', 'ceiling_height_m',
        'single_storey', 'needs_crane', 'crane_t', 'power_kva', 'floor_load_t', 'standalone',
        'divisible', 'annual_tax_wan', 'investment_wan', 'credit_code', 'wechat_id', 'email',
        'mobile_note', 'contact_preference', 'consent_version')}
    false = sa.false().compile(dialect=op.get_context().dialect)
    _step('needs from repeats', f"""
INSERT INTO lead (
    reference, created_at, channel, deal_type, property_type, region_code, region_text,
    area_min_sqm, area_max_sqm, area_unit, industry, usage, needs_eia, ceiling_height_m,
    single_storey, needs_crane, crane_t, power_kva, floor_load_t, standalone, divisible,
    annual_tax_wan, investment_wan, company, credit_code, credit_code_valid, contact_name,
    mobile_e164, mobile_display, mobile_note, contact_preference, wechat_id, email, message,
    consent, consent_at, consent_version, contact_id, company_id, from_repeat_id, status,
    stage_rank, lost_reason, team_id, assigned_to_id, assigned_at, routed_at,
    sla_provisional, page_url, referrer, utm_source, utm_medium, utm_campaign,
    source_site_id, listing_id, search_text, spam_reasons)
SELECT s.reference, r.created_at, r.channel, {need['deal_type']}, {need['property_type']},
    {need['region_code']}, COALESCE({need['region_text']}, ''), {need['area_min_sqm']},
    {need['area_max_sqm']}, COALESCE({need['area_unit']}, 'sqm'), {need['industry']},
    COALESCE({need['usage']}, ''), {need['needs_eia']}, {need['ceiling_height_m']},
    {need['single_storey']}, {need['needs_crane']}, {need['crane_t']}, {need['power_kva']},
    {need['floor_load_t']}, {need['standalone']}, {need['divisible']},
    {need['annual_tax_wan']}, {need['investment_wan']},
    CASE WHEN r.company <> '' THEN r.company ELSE o.company END,
    CASE WHEN r.company <> '' THEN {need['credit_code']} ELSE o.credit_code END,
    CASE WHEN r.company <> '' THEN NULL ELSE o.credit_code_valid END,
    CASE WHEN r.contact_name <> '' THEN r.contact_name ELSE o.contact_name END,
    CASE WHEN r.mobile_e164 <> '' THEN r.mobile_e164 ELSE o.mobile_e164 END,
    CASE WHEN r.mobile_e164 = '' OR r.mobile_e164 = o.mobile_e164 THEN o.mobile_display
         ELSE r.mobile_e164 END,
    COALESCE({need['mobile_note']}, CASE WHEN r.mobile_e164 = '' OR r.mobile_e164 = o.mobile_e164
                                         THEN o.mobile_note ELSE '' END),
    COALESCE({need['contact_preference']}, o.contact_preference),
    COALESCE({need['wechat_id']}, o.wechat_id), COALESCE({need['email']}, o.email), r.message,
    o.consent, o.consent_at, COALESCE({need['consent_version']}, o.consent_version),
    COALESCE(r.contact_id, o.contact_id), COALESCE(c.id, o.company_id), r.id,
    CASE WHEN r.created_at >= :recent THEN 'new' ELSE 'lost' END, 0,
    CASE WHEN r.created_at >= :recent THEN '' ELSE :lost_reason END,
    o.team_id, o.assigned_to_id, CASE WHEN o.assigned_to_id IS NOT NULL THEN r.created_at END,
    r.created_at, {false}, r.page_url, r.referrer, r.utm_source, r.utm_medium, r.utm_campaign,
    r.source_site_id, r.listing_id, '', ''
FROM _split s JOIN inquiry_repeat r ON r.id = s.repeat_id
JOIN lead o ON o.id = r.original_lead_id
LEFT JOIN company c ON c.name_key = s.company_key AND s.company_key <> ''""",
          recent=_at(now - timedelta(days=RECENT_DAYS)), lost_reason=LOST_REASON)
    # The reference moved: the prospect holding it now finds the need (lookup.by_reference).
    _step('repeat references moved', """
UPDATE inquiry_repeat SET reference = NULL WHERE id IN (SELECT repeat_id FROM _split)""")
    _step('stage rows', """
INSERT INTO lead_stage (lead_id, stage, reached_at)
SELECT n.id, 'new', n.created_at FROM lead n JOIN _split s ON s.repeat_id = n.from_repeat_id""")
    # Lost when the repeat came: the lost-reasons report counts it in that month, not today's.
    _step('lost stage rows', """
INSERT INTO lead_stage (lead_id, stage, reached_at)
SELECT n.id, 'lost', n.created_at FROM lead n JOIN _split s ON s.repeat_id = n.from_repeat_id
WHERE n.status = 'lost'""")
    activity = ("'由再次咨询拆分 (原需求 ' || o.reference || ')'",
                "'再次咨询已拆分为需求 ' || n.reference")
    for lead_side, body in (('n.id', activity[0]), ('o.id', activity[1])):
        _step('activities', f"""
INSERT INTO activity (lead_id, kind, body, created_at)
SELECT {lead_side}, 'repeat_inquiry', {body}, :now
FROM lead n JOIN _split s ON s.repeat_id = n.from_repeat_id
JOIN inquiry_repeat r ON r.id = s.repeat_id JOIN lead o ON o.id = r.original_lead_id""",
              now=_at(now))
    _renumber("SELECT n.contact_id FROM lead n JOIN _split s ON s.repeat_id = n.from_repeat_id")
    _text_and_score()
    op.drop_table('_split')


def _keys_and_references() -> None:
    """The Python steps over the few split rows: the company key of the repeat's company name
    (the runtime normaliser), and a reference for a repeat without one, or holding one a lead
    holds too."""
    from crm.inputs.company import name_key
    from crm.intake.reference import new_reference

    conn = op.get_bind()
    rows = conn.execute(sa.text("""
SELECT s.repeat_id, r.company, r.created_at, s.reference,
       CASE WHEN EXISTS (SELECT 1 FROM lead l WHERE l.reference = s.reference) THEN 1 ELSE 0 END
           AS taken
FROM _split s JOIN inquiry_repeat r ON r.id = s.repeat_id""").columns(
        sa.column('repeat_id', sa.Integer()), sa.column('company', sa.String()),
        sa.column('created_at', sa.DateTime()), sa.column('reference', sa.String()),
        sa.column('taken', sa.Integer()))).all()
    update = sa.text("UPDATE _split SET company_key = :key, reference = :reference"
                     " WHERE repeat_id = :repeat_id")
    started = time.monotonic()
    changes = []
    for row in rows:
        at = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
        reference = (row.reference if row.reference and not row.taken
                     else new_reference(at))
        changes.append({"key": name_key(row.company or "")[:120], "reference": reference,
                        "repeat_id": row.repeat_id})
    if changes:
        conn.execute(update, changes)
    log.info('split_repeats: company keys and references in %.1f s', time.monotonic() - started)


def _renumber(contacts: str) -> None:
    """contact_seq for the contacts touched: 1 + their non-junk needs before each."""
    op.create_table('_seq', sa.Column('lead_id', sa.Integer(), primary_key=True),
                    sa.Column('seq', sa.Integer(), nullable=False))
    _step('contact_seq', f"""
INSERT INTO _seq (lead_id, seq)
SELECT l.id, COALESCE(SUM(CASE WHEN l.status IN {JUNK} THEN 0 ELSE 1 END) OVER (
           PARTITION BY l.contact_id ORDER BY l.created_at, l.id
           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) + 1
FROM lead l WHERE l.contact_id IN ({contacts})""")
    _step('contact_seq written', """
UPDATE lead SET contact_seq = (SELECT CASE WHEN q.seq > 32767 THEN 32767 ELSE q.seq END
                               FROM _seq q WHERE q.lead_id = lead.id)
WHERE id IN (SELECT lead_id FROM _seq)""")
    op.drop_table('_seq')


def _text_and_score() -> None:
    """search_text and score of the split rows, by the runtime's own functions (few rows)."""
    from crm.leads import scoring
    from crm.models import Lead
    from crm.models.lead import refresh_search_text

    started = time.monotonic()
    conn = op.get_bind()
    lead = sa.Table('lead', sa.MetaData(), autoload_with=conn)
    rows = conn.execute(sa.select(lead).where(lead.c.from_repeat_id.in_(
        sa.select(sa.column('repeat_id')).select_from(sa.table('_split'))))).mappings().all()
    changes = []
    for row in rows:
        need = Lead(**{k: v for k, v in row.items() if k != 'id'})  # transient: no session
        refresh_search_text(need)
        changes.append({"b_id": row['id'], "search_text": need.search_text,
                        "score": scoring.compute(need, repeats=0).value})
    if changes:
        conn.execute(lead.update().where(lead.c.id == sa.bindparam('b_id'))
                     .values(search_text=sa.bindparam('search_text'),
                             score=sa.bindparam('score')), changes)
    log.info('split_repeats: search text and score in %.1f s', time.monotonic() - started)


def downgrade():
    conn = op.get_bind()
    op.create_table('_unsplit', sa.Column('lead_id', sa.Integer(), primary_key=True),
                    sa.Column('contact_id', sa.Integer()))
    _step('split needs', """
INSERT INTO _unsplit (lead_id, contact_id)
SELECT id, contact_id FROM lead WHERE from_repeat_id IS NOT NULL""")
    _step('references back', """
UPDATE inquiry_repeat SET reference = (
    SELECT l.reference FROM lead l WHERE l.from_repeat_id = inquiry_repeat.id)
WHERE id IN (SELECT from_repeat_id FROM lead WHERE from_repeat_id IS NOT NULL)""")
    _step('activities on the originals', """
DELETE FROM activity WHERE kind = 'repeat_inquiry' AND body LIKE '再次咨询已拆分为需求 %'""")
    if not _postgresql():
        # Migrations run with SQLite's foreign keys off (migrations/env.py): no cascade.
        _delete_dependants(conn, 'lead', 'SELECT lead_id FROM _unsplit')
        _step('split needs deleted', "DELETE FROM lead WHERE id IN (SELECT lead_id FROM _unsplit)")
    else:
        # Each deleted row's ON DELETE check looks up its referencing rows: without an index
        # on these columns that is a scan of `lead` or `notification` per split need.
        made = []
        for table, column in _unindexed_references(conn, 'lead'):
            made.append((f'_ix_unsplit_{table}_{column}'[:63], table))
            op.create_index(made[-1][0], table, [column])
        _step('split needs deleted', "DELETE FROM lead WHERE id IN (SELECT lead_id FROM _unsplit)")
        for name, table in made:
            op.drop_index(name, table_name=table)
    _renumber("SELECT contact_id FROM _unsplit")
    op.drop_table('_unsplit')


def _unindexed_references(conn, table: str) -> list[tuple[str, str]]:
    """(table, column) of the foreign keys to `table` that no index leads with."""
    inspector = sa.inspect(conn)
    out = []
    for child in inspector.get_table_names():
        leading = {(i['column_names'] or [None])[0] for i in inspector.get_indexes(child)}
        leading |= {(c['column_names'] or [None])[0] for c in inspector.get_unique_constraints(child)}
        leading.add((inspector.get_pk_constraint(child)['constrained_columns'] or [None])[0])
        for fk in inspector.get_foreign_keys(child):
            column = fk['constrained_columns'][0]
            if fk['referred_table'] == table and column not in leading:
                out.append((child, column))
    return out


def _delete_dependants(conn, table: str, ids: str) -> None:
    """What PostgreSQL's ON DELETE rules do for rows of `table` whose id is in `ids`: CASCADE
    children are deleted (theirs first), SET NULL ones let go."""
    inspector = sa.inspect(conn)
    for child in inspector.get_table_names():
        for fk in inspector.get_foreign_keys(child):
            if fk['referred_table'] != table or fk['referred_columns'] != ['id']:
                continue
            column = fk['constrained_columns'][0]
            rule = (fk.get('options') or {}).get('ondelete', '').upper()
            if child == table and rule != 'CASCADE':
                continue
            if rule == 'CASCADE':
                _delete_dependants(conn, child, f'SELECT id FROM {child} WHERE {column} IN ({ids})')
                conn.execute(sa.text(f'DELETE FROM {child} WHERE {column} IN ({ids})'))
            else:
                conn.execute(sa.text(f'UPDATE {child} SET {column} = NULL WHERE {column} IN ({ids})'))

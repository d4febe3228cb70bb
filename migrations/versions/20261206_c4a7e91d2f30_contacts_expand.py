"""Contacts and companies apart from the needs (issue 30, revision A "contacts_expand").

Tables `company` and `contact`; nullable `lead.contact_id`, `company_id`, `contact_seq`,
`from_repeat_id` and `inquiry_repeat.contact_id`, filled from today's leads, set-based:
- a company per credit code (named from its newest lead; a name key two codes share stays
  with the one with more leads), then one per remaining normalised name
  (crm.inputs.company.name_key, computed in Python over the distinct names only);
- a contact per person: the mobile, else a valid WeChat ID, else company + normalised name,
  else the lead alone (erased leads: one erased contact each). A weaker key joins a stronger
  one: a WeChat ID also seen beside a mobile, a company + name also seen beside a mobile or
  a WeChat ID, are that person;
- each lead linked, numbered in its contact's needs (contact_seq: 1 + the non-junk needs
  before it); each repeat linked to the contact of its own mobile, else of its lead's.
The lead's own contact columns stay (revision B drops them). Not done here yet: repeats that
asked for something else becoming needs of their own (design §5.4), the report indexes.
Each step logs its seconds (alembic's logger) for the bench note.

Revision ID: c4a7e91d2f30
Revises: eaf33a3a18e4
Create Date: 2026-12-06 17:45:00
"""
import logging
import time

from alembic import op
import sqlalchemy as sa

revision = 'c4a7e91d2f30'
down_revision = 'eaf33a3a18e4'
branch_labels = None
depends_on = None

log = logging.getLogger('alembic.runtime.migration')
JUNK = "('spam', 'merged')"
NOT_NULL = {name: sa.text(f'{column} IS NOT NULL') for name, column in (
    ('uq_contact_mobile', 'mobile_e164'), ('ix_contact_wechat', 'wechat_id'),
    ('uq_company_credit_code', 'credit_code'), ('uq_company_name_key', 'name_key'),
    ('ix_lead_company_created', 'company_id'), ('ix_lead_from_repeat', 'from_repeat_id'))}


def _postgresql() -> bool:
    return op.get_context().dialect.name == 'postgresql'


def _wechat_valid(column: str) -> str:
    """crm.inputs.wechat.is_wechat_id in SQL: 6–20 of letters, digits, - and _ starting with
    a letter, or a mobile number."""
    if _postgresql():
        return f"({column} ~ '^([A-Za-z][-_A-Za-z0-9]{{5,19}}|1[3-9][0-9]{{9}})$')"
    return (f"((length({column}) BETWEEN 6 AND 20 AND {column} GLOB '[A-Za-z]*'"
            f" AND {column} NOT GLOB '*[^-_A-Za-z0-9]*') OR (length({column}) = 11"
            f" AND {column} GLOB '1[3-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'))")


def _step(name: str, sql: str) -> None:
    started = time.monotonic()
    op.execute(sql)
    log.info('contacts_expand: %s in %.1f s', name, time.monotonic() - started)


def _keys(table: str, column: str, length: int, normalise) -> None:
    """The one non-SQL step: keys of the distinct values (not rows) by the runtime normaliser."""
    started = time.monotonic()
    keyed = op.create_table(table, sa.Column('raw', sa.String(length), primary_key=True),
                            sa.Column('key', sa.String(length), nullable=False))
    connection = op.get_bind()
    values = connection.execute(sa.text(
        f"SELECT DISTINCT {column} FROM lead WHERE {column} IS NOT NULL AND {column} <> ''")).scalars()
    batch = []
    for raw in values:
        batch.append({'raw': raw, 'key': normalise(raw)[:length]})
        if len(batch) == 5000:
            connection.execute(keyed.insert(), batch)
            batch = []
    if batch:
        connection.execute(keyed.insert(), batch)
    log.info('contacts_expand: %s in %.1f s', table, time.monotonic() - started)


def upgrade():
    from crm.inputs.company import name_key
    from crm.inputs.text import compact_key

    op.create_table(
        'company',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('name_key', sa.String(length=120), nullable=True),
        sa.Column('credit_code', sa.String(length=18), nullable=True),
        sa.Column('credit_code_valid', sa.Boolean(), nullable=True),
        sa.Column('industry', sa.String(length=30), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_company')))
    for name, column in (('uq_company_credit_code', 'credit_code'), ('uq_company_name_key', 'name_key')):
        op.create_index(name, 'company', [column], unique=True,
                        postgresql_where=NOT_NULL[name], sqlite_where=NOT_NULL[name])
    op.create_table(
        'contact',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('name_key', sa.String(length=60), nullable=False),
        sa.Column('mobile_e164', sa.String(length=16), nullable=True),
        sa.Column('mobile_display', sa.String(length=20), nullable=False),
        sa.Column('mobile_note', sa.String(length=60), nullable=False),
        sa.Column('wechat_id', sa.String(length=60), nullable=True),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('contact_preference', sa.String(length=10), nullable=False),
        sa.Column('consent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('consent_version', sa.String(length=20), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=True),
        sa.Column('is_peer', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['company_id'], ['company.id'], ondelete='SET NULL',
                                name=op.f('fk_contact_company_id_company')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_contact')))
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('company_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('contact_seq', sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column('from_repeat_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_lead_contact_id_contact', 'contact', ['contact_id'], ['id'])
        batch_op.create_foreign_key('fk_lead_company_id_company', 'company', ['company_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_foreign_key('fk_lead_from_repeat_id_inquiry_repeat', 'inquiry_repeat',
                                    ['from_repeat_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('inquiry_repeat', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_inquiry_repeat_contact_id_contact', 'contact',
                                    ['contact_id'], ['id'], ondelete='SET NULL')

    _keys('_company_key', 'company', 120, name_key)
    _keys('_name_key', 'contact_name', 60, compact_key)
    _fill()

    _index_after_fill()
    for table in ('_lead_map', '_person', '_lead_person', '_name_key', '_company_key'):
        op.drop_table(table)


def _fill() -> None:
    wechat = _wechat_valid('l.wechat_id')
    _step('companies by credit code', """
INSERT INTO company (created_at, name, name_key, credit_code, credit_code_valid)
SELECT first_at, company, CASE WHEN key_rank = 1 AND name_key <> '' THEN name_key END,
       credit_code, credit_code_valid
FROM (SELECT c.*, ROW_NUMBER() OVER (PARTITION BY COALESCE(c.name_key, '')
                                     ORDER BY c.n DESC, c.credit_code) AS key_rank
      FROM (SELECT x.credit_code, x.company, x.credit_code_valid, x.first_at, x.n, k.key AS name_key
            FROM (SELECT l.credit_code, l.company, l.credit_code_valid,
                         ROW_NUMBER() OVER (PARTITION BY l.credit_code
                                            ORDER BY l.created_at DESC, l.id DESC) AS rn,
                         MIN(l.created_at) OVER (PARTITION BY l.credit_code) AS first_at,
                         COUNT(*) OVER (PARTITION BY l.credit_code) AS n
                  FROM lead l WHERE l.credit_code IS NOT NULL AND l.credit_code <> '') x
            LEFT JOIN _company_key k ON k.raw = x.company
            WHERE x.rn = 1) c) ranked""")
    _step('companies by name', """
INSERT INTO company (created_at, name, name_key)
SELECT first_at, company, key
FROM (SELECT l.company, k.key,
             ROW_NUMBER() OVER (PARTITION BY k.key ORDER BY l.created_at DESC, l.id DESC) AS rn,
             MIN(l.created_at) OVER (PARTITION BY k.key) AS first_at
      FROM lead l JOIN _company_key k ON k.raw = l.company
      WHERE (l.credit_code IS NULL OR l.credit_code = '') AND k.key <> '') x
WHERE rn = 1 AND NOT EXISTS (SELECT 1 FROM company c WHERE c.name_key = x.key)""")

    op.create_table('_lead_person', sa.Column('lead_id', sa.Integer(), primary_key=True),
                    sa.Column('person_key', sa.String(90), nullable=False),
                    sa.Column('company_id', sa.Integer()),
                    sa.Column('name_key', sa.String(60), nullable=False))
    _step('person keys', f"""
INSERT INTO _lead_person (lead_id, person_key, company_id, name_key)
SELECT l.id,
       CASE WHEN l.erased_at IS NOT NULL THEN 'l:' || CAST(l.id AS VARCHAR(12))
            WHEN l.mobile_e164 IS NOT NULL AND l.mobile_e164 <> ''
                 AND l.mobile_e164 NOT LIKE 'erased:%' AND l.mobile_e164 NOT LIKE 'wechat:%'
                 THEN 'm:' || l.mobile_e164
            WHEN {wechat} THEN 'w:' || l.wechat_id
            WHEN COALESCE(cc.id, cn.id) IS NOT NULL AND COALESCE(nk.key, '') <> ''
                 THEN 'n:' || CAST(COALESCE(cc.id, cn.id) AS VARCHAR(12)) || '|' || nk.key
            ELSE 'l:' || CAST(l.id AS VARCHAR(12)) END,
       COALESCE(cc.id, cn.id), COALESCE(nk.key, '')
FROM lead l
LEFT JOIN company cc ON cc.credit_code = l.credit_code
LEFT JOIN _company_key ck ON ck.raw = l.company
LEFT JOIN company cn ON cn.name_key = ck.key
LEFT JOIN _name_key nk ON nk.raw = l.contact_name""")
    op.create_index('ix__lead_person_key', '_lead_person', ['person_key'])
    op.create_index('ix__lead_person_name', '_lead_person', ['company_id', 'name_key'])
    # A weaker key joins a stronger one: the newest lead holding both says who it is.
    _step('wechat joins mobile', """
UPDATE _lead_person SET person_key = (
    SELECT p2.person_key FROM lead l2 JOIN _lead_person p2 ON p2.lead_id = l2.id
    WHERE l2.wechat_id = substr(_lead_person.person_key, 3) AND p2.person_key LIKE 'm:%'
    ORDER BY l2.created_at DESC, l2.id DESC LIMIT 1)
WHERE person_key LIKE 'w:%' AND EXISTS (
    SELECT 1 FROM lead l2 JOIN _lead_person p2 ON p2.lead_id = l2.id
    WHERE l2.wechat_id = substr(_lead_person.person_key, 3) AND p2.person_key LIKE 'm:%')""")
    _step('company and name join mobile or wechat', """
UPDATE _lead_person SET person_key = (
    SELECT p2.person_key FROM _lead_person p2 JOIN lead l2 ON l2.id = p2.lead_id
    WHERE p2.company_id = _lead_person.company_id AND p2.name_key = _lead_person.name_key
      AND (p2.person_key LIKE 'm:%' OR p2.person_key LIKE 'w:%')
    ORDER BY l2.created_at DESC, l2.id DESC LIMIT 1)
WHERE person_key LIKE 'n:%' AND EXISTS (
    SELECT 1 FROM _lead_person p2
    WHERE p2.company_id = _lead_person.company_id AND p2.name_key = _lead_person.name_key
      AND (p2.person_key LIKE 'm:%' OR p2.person_key LIKE 'w:%'))""")

    # Contact ids drawn here (the table is new and empty), so leads map to them by key.
    op.create_table('_person', sa.Column('person_key', sa.String(90), primary_key=True),
                    sa.Column('contact_id', sa.Integer(), nullable=False))
    _step('persons', """
INSERT INTO _person (person_key, contact_id)
SELECT p.person_key, ROW_NUMBER() OVER (ORDER BY MIN(l.created_at), p.person_key)
FROM _lead_person p JOIN lead l ON l.id = p.lead_id GROUP BY p.person_key""")
    _step('contacts', f"""
INSERT INTO contact (id, created_at, name, name_key, mobile_e164, mobile_display, mobile_note,
                     wechat_id, email, contact_preference, consent_at, consent_version,
                     company_id, is_peer, erased_at)
SELECT ps.contact_id, x.first_at, x.contact_name, x.name_key,
       CASE WHEN x.person_key LIKE 'm:%' THEN substr(x.person_key, 3) END,
       x.mobile_display, x.mobile_note,
       CASE WHEN x.erased_at IS NOT NULL THEN NULL
            WHEN x.wechat_ok = 1 THEN x.wechat_id ELSE x.any_wechat END,
       x.email, x.contact_preference, x.consent_at, x.consent_version,
       COALESCE(x.company_id, x.any_company),
       {sa.false().compile(dialect=op.get_context().dialect)}, x.erased_at
FROM (SELECT p.person_key, p.name_key, p.company_id, l.contact_name, l.mobile_display,
             l.mobile_note, l.wechat_id, l.email, l.contact_preference, l.consent_at,
             l.consent_version, l.erased_at,
             CASE WHEN {wechat} THEN 1 ELSE 0 END AS wechat_ok,
             MAX(CASE WHEN {wechat} THEN l.wechat_id END) OVER (PARTITION BY p.person_key) AS any_wechat,
             MAX(p.company_id) OVER (PARTITION BY p.person_key) AS any_company,
             MIN(l.created_at) OVER (PARTITION BY p.person_key) AS first_at,
             ROW_NUMBER() OVER (PARTITION BY p.person_key
                                ORDER BY CASE WHEN l.mobile_e164 IS NULL THEN 1 ELSE 0 END,
                                         l.created_at DESC, l.id DESC) AS rn
      FROM _lead_person p JOIN lead l ON l.id = p.lead_id) x
JOIN _person ps ON ps.person_key = x.person_key
WHERE x.rn = 1""")
    if _postgresql():
        op.execute("SELECT setval(pg_get_serial_sequence('contact', 'id'),"
                   " COALESCE((SELECT MAX(id) FROM contact), 0) + 1, false)")
    op.create_index('uq_contact_mobile', 'contact', ['mobile_e164'], unique=True,
                    postgresql_where=NOT_NULL['uq_contact_mobile'],
                    sqlite_where=NOT_NULL['uq_contact_mobile'])

    # contact_seq: 1 + the contact's non-junk needs before this one (junk never counts).
    op.create_table('_lead_map', sa.Column('lead_id', sa.Integer(), primary_key=True),
                    sa.Column('contact_id', sa.Integer(), nullable=False),
                    sa.Column('company_id', sa.Integer()),
                    sa.Column('seq', sa.Integer(), nullable=False))
    _step('lead map', f"""
INSERT INTO _lead_map (lead_id, contact_id, company_id, seq)
SELECT p.lead_id, ps.contact_id, p.company_id,
       COALESCE(SUM(CASE WHEN l.status IN {JUNK} THEN 0 ELSE 1 END) OVER (
           PARTITION BY ps.contact_id ORDER BY l.created_at, l.id
           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) + 1
FROM _lead_person p JOIN _person ps ON ps.person_key = p.person_key
JOIN lead l ON l.id = p.lead_id""")
    if _postgresql():
        _step('leads linked', """
UPDATE lead SET contact_id = m.contact_id, company_id = m.company_id,
                contact_seq = LEAST(m.seq, 32767)
FROM _lead_map m WHERE m.lead_id = lead.id""")
    else:
        _step('leads linked', """
UPDATE lead SET (contact_id, company_id, contact_seq) = (
    SELECT m.contact_id, m.company_id, MIN(m.seq, 32767) FROM _lead_map m WHERE m.lead_id = lead.id)
WHERE id IN (SELECT lead_id FROM _lead_map)""")
    _step('repeats linked', """
UPDATE inquiry_repeat SET contact_id = COALESCE(
    (SELECT c.id FROM contact c WHERE c.mobile_e164 = inquiry_repeat.mobile_e164),
    (SELECT l.contact_id FROM lead l WHERE l.id = inquiry_repeat.original_lead_id))""")


def _index_after_fill() -> None:
    op.create_index('ix_contact_wechat', 'contact', ['wechat_id'],
                    postgresql_where=NOT_NULL['ix_contact_wechat'],
                    sqlite_where=NOT_NULL['ix_contact_wechat'])
    op.create_index('ix_contact_company_name', 'contact', ['company_id', 'name_key'])
    op.create_index('ix_lead_contact_status', 'lead', ['contact_id', 'status', 'created_at'])
    for name, column in (('ix_lead_company_created', 'company_id'), ('ix_lead_from_repeat', 'from_repeat_id')):
        columns = [column, 'created_at'] if column == 'company_id' else [column]
        op.create_index(name, 'lead', columns, postgresql_where=NOT_NULL[name],
                        sqlite_where=NOT_NULL[name])
    op.create_index('ix_inquiry_repeat_contact', 'inquiry_repeat', ['contact_id', 'created_at'])
    _step('company industry', """
UPDATE company SET industry = (
    SELECT l.industry FROM lead l
    WHERE l.company_id = company.id AND l.industry IS NOT NULL AND l.industry <> ''
    ORDER BY l.created_at DESC, l.id DESC LIMIT 1)""")
    if _postgresql():
        op.create_index('ix_contact_mobile_trgm', 'contact', ['mobile_e164'], postgresql_using='gin',
                        postgresql_ops={'mobile_e164': 'gin_trgm_ops'})


def downgrade():
    if _postgresql():
        op.drop_index('ix_contact_mobile_trgm', table_name='contact', postgresql_using='gin')
    op.drop_index('ix_inquiry_repeat_contact', table_name='inquiry_repeat')
    with op.batch_alter_table('inquiry_repeat', schema=None) as batch_op:
        batch_op.drop_constraint('fk_inquiry_repeat_contact_id_contact', type_='foreignkey')
        batch_op.drop_column('contact_id')
    for name in ('ix_lead_contact_status', 'ix_lead_company_created', 'ix_lead_from_repeat'):
        op.drop_index(name, table_name='lead')
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_constraint('fk_lead_from_repeat_id_inquiry_repeat', type_='foreignkey')
        batch_op.drop_constraint('fk_lead_company_id_company', type_='foreignkey')
        batch_op.drop_constraint('fk_lead_contact_id_contact', type_='foreignkey')
        batch_op.drop_column('from_repeat_id')
        batch_op.drop_column('contact_seq')
        batch_op.drop_column('company_id')
        batch_op.drop_column('contact_id')
    op.drop_table('contact')
    op.drop_table('company')

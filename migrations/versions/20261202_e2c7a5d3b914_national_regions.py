"""Regions: GB/T 2260 codes of the national divisions instead of the hand-written dotted
tree, and a table of the parks and zones admins keep under a county.

Every region code in leads, listings, routing rules and users' covered regions becomes the
new code (a city to its city code, a district to its county, a park to the park seeded here);
downgrade maps back, a place the old tree lacked to its nearest ancestor it had (昆山 → 苏州).
The map is frozen here: crm/regions/legacy.py may grow, this migration must not change.

Revision ID: e2c7a5d3b914
Revises: e3f1a6c2b9d4
Create Date: 2026-12-02 05:50:00
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = 'e2c7a5d3b914'
down_revision = 'e3f1a6c2b9d4'
branch_labels = None
depends_on = None

OLD_TO_NEW = {
    "sh": "31", "sh.songjiang": "310117",
    "sh.songjiang.g60": "310117P01", "sh.songjiang.epz": "310117P02",
    "sh.songjiang.dongjing": "310117P03", "sh.songjiang.sijing": "310117P04",
    "sh.songjiang.xinqiao": "310117P05", "sh.songjiang.yongfeng": "310117P06",
    "sh.lingang": "310115P01", "sh.baimaoling": "31P01",
    "zj": "33", "zj.huzhou": "3305", "zj.huzhou.changxing": "330522",
    "zj.huzhou.anji": "330523", "zj.huzhou.wuxing": "330502",
    "zj.huzhou.nantaihu": "330502P01", "zj.jiaxing": "3304", "zj.hangzhou": "3301",
    "zj.jinhua": "3307", "zj.jinhua.yiwu": "330782", "zj.shaoxing": "3306", "zj.quzhou": "3308",
    "js": "32", "js.suzhou": "3205", "js.suzhou.sip": "320576",
    "js.suzhou.changshu": "320581", "js.changzhou": "3204", "js.changzhou.liyang": "320481",
    "js.wuxi": "3202", "js.wuxi.yixing": "320282",
    "ah": "34", "ah.hefei": "3401", "ah.wuhu": "3402", "ah.xuancheng": "3418",
    "ah.xuancheng.guangde": "341882", "ah.xuancheng.langxi": "341821",
}
NEW_TO_OLD = {new: old for old, new in OLD_TO_NEW.items()}

PARKS = (  # code, parent, name, English, aliases
    ("310117P01", "310117", "G60科创走廊", "G60 Science and Innovation Corridor", "G60,G60走廊"),
    ("310117P02", "310117", "出口加工区", "Songjiang Export Processing Zone", "松江出口加工区"),
    ("310117P03", "310117", "洞泾镇", "Dongjing", "洞泾"),
    ("310117P04", "310117", "泗泾镇", "Sijing", "泗泾"),
    ("310117P05", "310117", "新桥镇", "Xinqiao", "新桥"),
    ("310117P06", "310117", "永丰街道", "Yongfeng", "永丰"),
    ("310115P01", "310115", "临港新片区", "Lingang New Area", "临港,临港新区"),
    ("31P01", "31", "白茅岭农场", "Baimaoling Farm", "白茅岭"),
    ("330502P01", "330502", "南太湖新区", "Nantaihu New Area", "南太湖"),
)

# Tables with one region code per row.
CODE_COLUMNS = (("lead", "region_code"), ("listing", "region_code"),
                ("routing_rule", "region_code"))


def _old(code):
    """The old dotted code for a new one: itself, else its nearest ancestor the old tree had."""
    if code in NEW_TO_OLD:
        return NEW_TO_OLD[code]
    base = code.split("P", 1)[0]
    for size in (6, 4, 2):
        if len(base) >= size and base[:size] in NEW_TO_OLD:
            return NEW_TO_OLD[base[:size]]
    return None


# The old schema has no code for a place outside its tree (北京, 深圳 …). A rule or an agent's
# coverage for such a place must not become "everywhere" (NULL / empty means every region):
# it gets a code no lead carries, so it matches nothing until someone sets it again.
NOWHERE = "unmapped"


def _recode(mapping, keep_narrow=False):
    conn = op.get_bind()
    for table, column in CODE_COLUMNS:
        t = sa.table(table, sa.column("id"), sa.column(column))
        rows = conn.execute(sa.select(t.c.id, t.c[column]).where(t.c[column].is_not(None))).all()
        by_value = {}
        for row_id, value in rows:
            by_value.setdefault(value, []).append(row_id)
        for value, ids in by_value.items():
            new = mapping(value)
            if new is None and keep_narrow and table == "routing_rule":
                new = NOWHERE
            if new != value:
                for chunk in range(0, len(ids), 500):
                    conn.execute(t.update().where(t.c.id.in_(ids[chunk:chunk + 500]))
                                 .values({column: new}))
    users = sa.table("user", sa.column("id"), sa.column("covers_regions"))
    for user_id, covers in conn.execute(sa.select(users.c.id, users.c.covers_regions)
                                        .where(users.c.covers_regions != "")).all():
        codes = [mapping(c) or (NOWHERE if keep_narrow else None) for c in covers.split(",") if c]
        new = ",".join(dict.fromkeys(c for c in codes if c))
        if new != covers:
            conn.execute(users.update().where(users.c.id == user_id).values(covers_regions=new))


def upgrade():
    park = op.create_table(
        'region_park',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=20), nullable=False),
        sa.Column('parent_code', sa.String(length=6), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('name_en', sa.String(length=120), server_default='', nullable=False),
        sa.Column('aliases', sa.Text(), server_default='', nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code'),
    )
    now = datetime.now(timezone.utc)
    if op.get_bind().dialect.name == "sqlite":   # UTCDateTime keeps naive UTC text there
        now = now.replace(tzinfo=None)
    op.bulk_insert(park, [{"code": code, "parent_code": parent, "name": name, "name_en": en,
                           "aliases": aliases, "active": True, "created_at": now}
                          for code, parent, name, en, aliases in PARKS])
    # Codes already new (a database some of which was recoded by hand) stay as they are.
    _recode(lambda value: OLD_TO_NEW.get(value, value))


def downgrade():
    _recode(lambda value: value if value in OLD_TO_NEW else _old(value), keep_narrow=True)
    op.drop_table('region_park')

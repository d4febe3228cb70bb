"""Migration d2b8f6a41c7e (repeats that asked for something else become needs, design §5.4)
on a real database: a contact's need and its repeats written at the revision before it, then
`flask db upgrade`, the needs it split and the repeats it kept, `flask db check`, and
`downgrade` back. Used by the SQLite unit test and the PostgreSQL integration test."""
import importlib.util
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from tests.support.region_migration import _insert, in_process, in_subprocess

__all__ = ["check", "in_process", "in_subprocess", "migration"]

BEFORE, REVISION = "c4a7e91d2f30", "d2b8f6a41c7e"
MOBILE = "+8613900000001"
ROOT = Path(__file__).resolve().parents[2]


def migration():
    """The revision's module (its SQL predicate is checked against crm.regions.same_area)."""
    path = next((ROOT / "migrations" / "versions").glob(f"*_{REVISION}_*.py"))
    spec = importlib.util.spec_from_file_location("split_migration_revision", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check(url: str, run) -> None:
    # The migration reads its own clock (recent splits stay open): the rows are placed
    # relative to it, so the test holds whatever today is.
    now = datetime.now(UTC).replace(microsecond=0)
    days = lambda n: now - timedelta(days=n)  # noqa: E731
    run("upgrade", BEFORE)
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    meta = sa.MetaData()
    meta.reflect(engine, only=["team", "user", "lead", "inquiry_repeat", "contact", "company"])
    t = meta.tables
    with engine.begin() as conn:
        _insert(conn, t["team"], id=1, name="招商组")
        _insert(conn, t["user"], id=1, email="a@example.com", team_id=1)
        _insert(conn, t["company"], id=1, name="苏州恒信科技有限公司", name_key="苏州恒信科技",
                created_at=days(500))
        _insert(conn, t["company"], id=2, name="湖州纺织厂", name_key="湖州纺织厂",
                created_at=days(500))
        _insert(conn, t["contact"], id=1, name="王经理", name_key="王经理", mobile_e164=MOBILE,
                company_id=1, created_at=days(500), is_peer=False, wechat_id=None,
                consent_at=None, erased_at=None)
        common = dict(team_id=1, assigned_to_id=1, status="contacted", contact_name="王经理",
                      mobile_e164=MOBILE, mobile_display="139 0000 0001", wechat_id="",
                      company="苏州恒信科技有限公司", contact_id=1, company_id=1, deal_type="rent",
                      property_type="factory", region_code="320583", credit_code=None,
                      lost_reason_id=None, source_site_id=None, rule_id=None,
                      escalated_to_id=None, sourced_by_id=None, merged_into_id=None,
                      erased_at=None, from_repeat_id=None, area_min_sqm=Decimal("2000"))
        _insert(conn, t["lead"], id=1, reference="CF250101-AAAAA", created_at=days(500),
                contact_seq=1, **common)
        _insert(conn, t["lead"], id=2, reference="CF250101-BBBBB", created_at=days(5),
                contact_seq=2, **common | {"region_code": "3101"})
        repeats = {
            # Another property type, recent, for another company: an open need of that company.
            1: (days(10), "CF250101-RPT01", "湖州纺织厂",
                {"deal_type": "rent", "property_type": "warehouse", "region_code": "320583",
                 "area_min_sqm": "3000.00", "area_max_sqm": "5000.00", "annual_tax_wan": "300",
                 "needs_eia": True, "usage": "冷链仓储", "ceiling_height_m": "9"}),
            # Another city (长兴, 湖州), old, no reference of its own yet: lost, a new reference.
            2: (days(400), None, "", {"region_code": "330522", "investment_wan": "8000"}),
            # The same need with other figures (苏州 contains 昆山): stays a repeat.
            3: (days(20), "CF250101-RPT03", "", {"deal_type": "rent", "region_code": "3205",
                                                 "area_min_sqm": "4000.00"}),
            # Another county of the same city (太仓, 苏州): stays a repeat.
            4: (days(30), "CF250101-RPT04", "", {"region_code": "320585"}),
        }
        for repeat_id, (at, reference, company, details) in repeats.items():
            _insert(conn, t["inquiry_repeat"], id=repeat_id, original_lead_id=1, created_at=at,
                    reference=reference, company=company, details=details, contact_id=1,
                    mobile_e164=MOBILE, contact_name="王经理", message=f"第{repeat_id}次",
                    source_site_id=None, matched_on="mobile", channel="web")
        if conn.dialect.name == "postgresql":  # ids given above: the sequences follow them
            for table in ("lead", "inquiry_repeat", "contact", "company"):
                conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                                     f" (SELECT MAX(id) FROM {table}))"))

    run("upgrade", REVISION)
    with engine.begin() as conn:
        lead = sa.Table("lead", sa.MetaData(), autoload_with=conn)
        split = {r.from_repeat_id: r for r in conn.execute(
            sa.select(lead).where(lead.c.from_repeat_id.is_not(None)))}
        seq = dict(conn.execute(sa.select(lead.c.id, lead.c.contact_seq)).all())
        refs = dict(conn.execute(sa.text("SELECT id, reference FROM inquiry_repeat")).all())
        stages = set(conn.execute(sa.text("SELECT lead_id, stage FROM lead_stage")).all())
        bodies = set(conn.execute(sa.text("SELECT lead_id, body FROM activity")).all())
    assert set(split) == {1, 2}
    fresh, old = split[1], split[2]
    assert (fresh.reference, refs[1]) == ("CF250101-RPT01", None)
    assert old.reference.startswith("CF") and len(old.reference) == 14 and refs[2] is None
    assert refs[3] == "CF250101-RPT03" and refs[4] == "CF250101-RPT04"
    assert (fresh.status, fresh.lost_reason) == ("new", "")
    assert (old.status, old.lost_reason) == ("lost", "历史再次咨询拆分，未跟进")
    assert (fresh.property_type, fresh.region_code, fresh.usage) == ("warehouse", "320583", "冷链仓储")
    assert (Decimal(fresh.area_min_sqm), Decimal(fresh.area_max_sqm)) == (3000, 5000)
    assert (Decimal(fresh.annual_tax_wan), bool(fresh.needs_eia)) == (300, True)
    assert Decimal(fresh.ceiling_height_m) == 9 and fresh.area_unit == "sqm"
    assert (old.region_code, Decimal(old.investment_wan), old.deal_type) == ("330522", 8000, None)
    assert (fresh.company_id, fresh.company) == (2, "湖州纺织厂")
    assert (old.company_id, old.company) == (1, "苏州恒信科技有限公司")
    assert fresh.contact_id == old.contact_id == 1
    assert (fresh.team_id, fresh.assigned_to_id, fresh.message) == (1, 1, "第1次")
    assert fresh.assigned_at == fresh.routed_at == fresh.created_at
    assert fresh.sla_due_at is None and fresh.stage_rank == 0
    assert "冷链仓储" in fresh.search_text and fresh.score is not None and old.score is not None
    # Numbered by time: the original, the old split, the recent split, the later need.
    assert (seq[1], seq[old.id], seq[fresh.id], seq[2]) == (1, 2, 3, 4)
    assert {(fresh.id, "new"), (old.id, "new"), (old.id, "lost")} == stages
    assert (fresh.id, "由再次咨询拆分 (原需求 CF250101-AAAAA)") in bodies
    assert (1, "再次咨询已拆分为需求 CF250101-RPT01") in bodies and len(bodies) == 4

    run("upgrade", "head")  # `check` compares the models with the newest revision
    run("check", None)
    run("downgrade", BEFORE)
    with engine.begin() as conn:
        ids = set(conn.execute(sa.text("SELECT id FROM lead")).scalars())
        seq = dict(conn.execute(sa.text("SELECT id, contact_seq FROM lead")).all())
        refs = dict(conn.execute(sa.text("SELECT id, reference FROM inquiry_repeat")).all())
        rows = {name: conn.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar()
                for name in ("activity", "lead_stage", "inquiry_repeat")}
    assert ids == {1, 2} and seq == {1: 1, 2: 2}
    assert refs[1] == "CF250101-RPT01" and refs[2] == old.reference and refs[3] == "CF250101-RPT03"
    assert rows == {"activity": 0, "lead_stage": 0, "inquiry_repeat": 4}
    engine.dispose()

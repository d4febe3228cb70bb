"""Migration c4a7e91d2f30 (contacts_expand) on a real database: leads as people filed them
at the revision before it, then `flask db upgrade`, the contacts, companies and links it
made, `flask db check`, and `downgrade` back. Used by the SQLite unit test and the
PostgreSQL integration test."""
from datetime import UTC, datetime

import sqlalchemy as sa

from tests.support.region_migration import _insert, in_process, in_subprocess

__all__ = ["check", "in_process", "in_subprocess"]

BEFORE, REVISION = "eaf33a3a18e4", "c4a7e91d2f30"
MOBILE, OTHER_MOBILE = "+8613900000001", "+8613900000002"


def _at(month: int) -> datetime:
    return datetime(2026, month, 1, 2, tzinfo=UTC)


# id → the lead's own columns; the rest are plain values.
LEADS = {
    # One mobile on three leads (one of them spam, one naming no company): one contact.
    1: dict(mobile_e164=MOBILE, contact_name="王经理", company="苏州恒信科技有限公司",
            industry="机械", created_at=_at(1)),
    2: dict(mobile_e164=MOBILE, contact_name="王总", company="蘇州恒信科技有限責任公司",
            status="spam", created_at=_at(2)),
    3: dict(mobile_e164=MOBILE, contact_name="王经理", company="", wechat_id="wang_wx01",
            status="contacted", created_at=_at(3)),
    # A WeChat ID also seen beside that mobile: the same person.
    4: dict(mobile_e164=None, contact_name="王", wechat_id="wang_wx01", created_at=_at(4)),
    # Only a WeChat ID: a contact of its own, no mobile.
    5: dict(mobile_e164=None, contact_name="刘先生", wechat_id="liu_wx88", created_at=_at(5)),
    # Company + name (spacing aside), no mobile, no valid WeChat ID ("无"): one contact.
    6: dict(mobile_e164=None, contact_name="李 娜", company="湖州纺织厂", wechat_id="无",
            created_at=_at(6)),
    7: dict(mobile_e164=None, contact_name="李娜", company="湖州纺织厂", created_at=_at(7)),
    # Nothing to know them by: a contact each, never one.
    8: dict(mobile_e164=None, contact_name="张", created_at=_at(8)),
    9: dict(mobile_e164=None, contact_name="张", created_at=_at(8)),
    # Erased: an erased contact of its own, no mobile.
    10: dict(mobile_e164="erased:10", contact_name="已删除", erased_at=_at(9), created_at=_at(9)),
    # A credit code: the company is found by it.
    11: dict(mobile_e164=OTHER_MOBILE, contact_name="陈", company="恒信科技(苏州)有限公司",
             credit_code="91320500MA1XXXXX8Y", created_at=_at(10)),
}
# id → (lead, the repeat's own mobile)
REPEATS = {1: (1, MOBILE), 2: (5, ""), 3: (1, OTHER_MOBILE)}


def check(url: str, run) -> None:
    run("upgrade", BEFORE)
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    meta = sa.MetaData()
    meta.reflect(engine, only=["team", "user", "lead", "inquiry_repeat"])
    t = meta.tables
    with engine.begin() as conn:
        _insert(conn, t["team"], id=1, name="招商组")
        _insert(conn, t["user"], id=1, email="a@example.com", team_id=1)
        for lead_id, values in LEADS.items():
            row = dict(status="new", wechat_id="", company="", credit_code=None, erased_at=None,
                       industry=None, merged_into_id=None) | values
            _insert(conn, t["lead"], id=lead_id, reference=f"R{lead_id:05d}", team_id=1,
                    assigned_to_id=1, lost_reason_id=None, source_site_id=None, rule_id=None,
                    escalated_to_id=None, sourced_by_id=None, **row)
        for repeat_id, (lead_id, mobile) in REPEATS.items():
            _insert(conn, t["inquiry_repeat"], id=repeat_id, original_lead_id=lead_id,
                    reference=f"P{repeat_id:05d}", mobile_e164=mobile, source_site_id=None,
                    created_at=_at(11))

    run("upgrade", REVISION)
    with engine.begin() as conn:
        leads = {r.id: r for r in conn.execute(sa.text(
            "SELECT id, contact_id, company_id, contact_seq FROM lead"))}
        contacts = {r.id: r for r in conn.execute(sa.text("SELECT * FROM contact"))}
        companies = {r.id: r for r in conn.execute(sa.text("SELECT * FROM company"))}
        repeats = dict(conn.execute(sa.text("SELECT id, contact_id FROM inquiry_repeat")).all())
    person = {i: leads[i].contact_id for i in leads}
    assert None not in person.values()
    assert person[1] == person[2] == person[3] == person[4]
    assert person[6] == person[7]
    assert len({person[i] for i in (1, 5, 6, 8, 9, 10, 11)}) == 7 == len(contacts)
    assert {i: leads[i].contact_seq for i in (1, 2, 3, 4, 6, 7, 8, 11)} == {
        1: 1, 2: 2, 3: 2, 4: 3, 6: 1, 7: 2, 8: 1, 11: 1}   # spam never counts as a need

    wang, liu, li = contacts[person[1]], contacts[person[5]], contacts[person[6]]
    assert (wang.mobile_e164, wang.wechat_id, wang.name) == (MOBILE, "wang_wx01", "王经理")
    assert (liu.mobile_e164, liu.wechat_id) == (None, "liu_wx88")
    assert (li.mobile_e164, li.wechat_id, li.name_key) == (None, None, "李娜")
    erased = contacts[person[10]]
    assert erased.mobile_e164 is None and erased.erased_at is not None

    by_key = {c.name_key: c for c in companies.values()}
    assert len(companies) == 3 and set(by_key) == {"苏州恒信科技", "湖州纺织厂", "恒信科技苏州"}
    hengxin = by_key["苏州恒信科技"]
    assert hengxin.industry == "机械" and hengxin.credit_code is None
    assert by_key["恒信科技苏州"].credit_code == "91320500MA1XXXXX8Y"
    assert leads[1].company_id == leads[2].company_id == hengxin.id and leads[3].company_id is None
    assert wang.company_id == hengxin.id                 # from a lead naming it
    assert li.company_id == by_key["湖州纺织厂"].id
    assert leads[8].company_id is None and contacts[person[8]].company_id is None
    assert repeats == {1: person[1], 2: person[5], 3: person[11]}

    run("upgrade", "head")  # `check` compares the models with the newest revision
    run("check", None)
    run("downgrade", BEFORE)
    with engine.begin() as conn:
        names = set(sa.inspect(conn).get_table_names())
        columns = {c["name"] for c in sa.inspect(conn).get_columns("lead")}
        assert conn.execute(sa.text("SELECT count(*) FROM lead")).scalar() == len(LEADS)
        assert conn.execute(sa.text("SELECT count(*) FROM inquiry_repeat")).scalar() == 3
    assert "contact" not in names and "company" not in names and "contact_id" not in columns
    engine.dispose()

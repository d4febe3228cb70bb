"""`flask crm seed-demo` at scale: 18 months of consistent history, bulk-loaded."""
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import func, select

from crm.leads.stages import PIPELINE
from crm.models import Activity, Lead, LeadStage, Team, User

RANK = {s: i for i, s in enumerate(PIPELINE)}


def check_history(db, n):
    assert db.session.scalar(select(func.count()).select_from(Lead)) == n
    leads = {lead.id: lead for lead in db.session.scalars(select(Lead))}
    rows = list(db.session.scalars(select(LeadStage)))
    by_lead = {}
    for row in rows:
        by_lead.setdefault(row.lead_id, {})[row.stage] = row.reached_at
    shanghai = ZoneInfo("Asia/Shanghai")
    for lead in leads.values():
        # A reference carries its lead's day (the queue searches its start by created_at).
        assert lead.reference[2:8] == f"{lead.created_at.astimezone(shanghai):%y%m%d}", lead.reference
        got = by_lead.get(lead.id, {})
        if lead.status == "spam":
            assert got == {} and lead.assigned_to_id is None
            continue
        assert got["new"] == lead.created_at
        reached = [RANK[s] for s in got if s in RANK]
        # The furthest stage recorded is the lead's rank; a skipped stage has no row.
        assert lead.stage_rank == max(reached)
        if lead.status in RANK:
            assert lead.status in got
        if lead.first_contact_at is not None:
            assert lead.first_contact_at >= lead.created_at
        for when in got.values():
            assert when >= lead.created_at
    return leads, rows


def test_history_seed_on_sqlite(runner, db):
    result = runner.invoke(args=["crm", "seed-demo", "--leads", "1200"])
    assert result.exit_code == 0, result.output
    assert "1,200 leads" in result.output and "stage rows" in result.output
    leads, rows = check_history(db, 1200)
    created = sorted(lead.created_at for lead in leads.values())
    assert (created[-1] - created[0]).days > 500  # about 18 months
    statuses = {lead.status for lead in leads.values()}
    assert {"won", "lost", "spam", "contacted"} <= statuses
    assert any(lead.lost_reason for lead in leads.values() if lead.status == "lost")
    assert db.session.scalar(select(func.count()).select_from(Activity)) > 1200
    # Teams by region and track, each with a manager; an admin; the demo logins still work.
    assert db.session.scalar(select(func.count()).select_from(Team)) == 8
    assert db.session.scalars(select(User).where(User.email == "admin@example.com")).one().role == "admin"
    assert len({lead.reference for lead in leads.values()}) == 1200


def test_history_seeded_just_after_midnight_keeps_references_on_their_day(runner, db):
    """Today's leads drawn later than now are moved earlier: never into yesterday."""
    with time_machine.travel(datetime(2026, 12, 1, 17, 30, tzinfo=UTC), tick=False):
        result = runner.invoke(args=["crm", "seed-demo", "--leads", "3000"])  # 01:30 Shanghai
    assert result.exit_code == 0, result.output
    check_history(db, 3000)


def test_small_default_still_routes_through_the_routing_service(runner, db):
    result = runner.invoke(args=["crm", "seed-demo"])
    assert result.exit_code == 0, result.output
    # 40 routed, and two prospects 李招商 typed in (one known only by WeChat), kept by them.
    check_history(db, 42)
    assert db.session.scalar(select(func.count()).select_from(Activity)
                             .where(Activity.kind == "assignment")) == 42
    own = db.session.scalars(select(Lead).where(Lead.sourced_by_id.is_not(None))).all()
    assert {lead.sourced_by.name for lead in own} == {"李招商"}
    assert sorted(lead.mobile_e164 is None for lead in own) == [False, True]


def test_demo_leads_use_the_national_codes_and_reach_beyond_the_old_tree(runner, db):
    from crm import regions
    from crm.models import Lead, Listing, Park
    assert runner.invoke(args=["crm", "seed-demo"]).exit_code == 0
    codes = set(db.session.scalars(select(Lead.region_code)))
    codes |= set(db.session.scalars(select(Listing.region_code)))
    assert {"320583", "330206", "340177"} <= codes          # 昆山, 宁波 / 北仑, 合肥经开区
    assert all(regions.is_valid(code) for code in codes if code)
    assert db.session.scalar(select(func.count()).select_from(Park)) == 9
    assert regions.full_name("310117P01") == "上海 / 松江区 / G60科创走廊"

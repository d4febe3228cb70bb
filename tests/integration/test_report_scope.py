"""A report's scope is exactly the leads the access policy lets its reader see, on SQLite AND
PostgreSQL: a manager's team plus their members' leads filed under another team, whether
those are listed by id (few) or named by their owners (many)."""
import dataclasses
from datetime import date

import pytest
from sqlalchemy import false, or_, select

from crm import access
from crm.extensions import db as _db
from crm.models import InquiryRepeat, Lead, Team, User
from crm.reporting import ranking, sources
from crm.reporting.scope import scope_for
from tests import report_data
from tests.report_data import NOW, utc

TZ = "Asia/Shanghai"
START, END = date(2000, 1, 1), date(2099, 12, 31)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def data(request):
    app = request.getfixturevalue("app" if request.param == "sqlite" else "pg_app")
    with app.test_request_context("/?lang=en"):
        found = report_data.build()
        third = Team(name="三组")
        no_team = User(email="m0@example.com", name="无组经理", role="manager", team=None)
        no_team.set_password("secret-pass")
        _db.session.add_all([third, no_team])
        _db.session.flush()
        found["t3"], found["m0"] = third, no_team
        # Strays: 甲's L1 filed under 二组, 乙's L3 under no team; 丙 (二组) holds L4 of 一组.
        leads = {lead.reference: lead for lead in _db.session.scalars(select(Lead))}
        leads["CF-T0001"].team_id = found["t2"].id
        leads["CF-T0003"].team_id = None
        leads["CF-T0004"].assigned_to_id = found["c"].id
        _db.session.add(InquiryRepeat(
            original_lead_id=leads["CF-T0001"].id, created_at=utc(2026, 11, 20, 2),
            matched_on="mobile", channel="web", contact_name="x",
            mobile_e164="+8613300000001", page_url="https://zj.example.cn/a"))
        _db.session.commit()
        yield found


def _ids(*where) -> set[int]:
    return set(_db.session.scalars(select(Lead.id).where(*where)))


def _by_owners(user, team_id=None, agent_id=None) -> list:
    """The scope as it was written before the strays lookup: team OR the members' leads."""
    if user.is_admin:
        where = [Lead.team_id == team_id] if team_id else []
    elif user.is_manager:
        members = access.managed_user_ids(user)
        team = Lead.team_id.in_((user.team_id,)) if user.team_id else false()
        where = [or_(team, Lead.assigned_to_id.in_(members)) if members else team]
    else:
        return [Lead.assigned_to_id == user.id]
    if agent_id:
        where.append(Lead.assigned_to_id == agent_id)
    return where


@pytest.mark.parametrize("listed", [1000, 0])
def test_every_readers_scope_is_what_the_access_policy_allows(data, monkeypatch, listed):
    monkeypatch.setattr(access, "STRAYS_LISTED", listed)
    every = list(_db.session.scalars(select(Lead)))
    cases = [("admin", None, None), ("admin", "t2", None), ("admin", "t3", None),
             ("m1", None, None), ("m2", None, None), ("m0", None, None),
             ("m1", "t2", None), ("m2", "t1", None),  # another team's id in the URL
             ("m1", None, "a"), ("m1", None, "c"), ("m2", None, "a"),
             ("a", None, None), ("c", None, None), ("a", None, "b")]
    for who, team, agent in cases:
        user = data[who]
        team_id = data[team].id if team else None
        agent_id = data[agent].id if agent else None
        scope = scope_for(user, START, END, TZ, team_id, agent_id, now=NOW)
        seen = _ids(*scope.who())
        assert seen == _ids(*_by_owners(user, team_id, agent_id)), (who, team, agent)
        if user.is_manager and not user.is_admin and agent is None:
            assert seen == {lead.id for lead in every if access.manages_lead(user, lead)}, who
            assert seen == _ids(access.lead_scope(user)), who
        assert _ids(*scope.with_range(START, START).who()) == seen


def test_reports_that_join_other_tables_count_the_same_leads(data):
    m1, m2 = data["m1"], data["m2"]
    listed = scope_for(m1, date(2026, 11, 1), date(2026, 11, 30), TZ, now=NOW)
    assert listed.stray_ids  # the strays are listed by id
    by_owners = dataclasses.replace(listed, stray_ids=(),
                                    member_ids=tuple(access.managed_user_ids(m1)))
    # The repeat inquiry on L1 counts for 一组's manager (甲 holds it) and for 二组's (filed there).
    assert sources.sources(listed, "page").total.duplicates == 1
    assert sources.sources(scope_for(m2, date(2026, 11, 1), date(2026, 11, 30), TZ, now=NOW),
                           "page").total.duplicates == 1
    assert sources.sources(listed, "page").total == sources.sources(by_owners, "page").total

    def rows(scope):
        return {r.agent_id: (r.this, r.prev)
                for r in ranking.ranking(scope, date(2026, 11, 1), 30).rows}
    assert rows(listed) == rows(by_owners)

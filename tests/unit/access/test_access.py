"""The one access policy (crm.access), asked by the queue and the reports alike.

A manager's leads are their team's leads and the leads their members hold, even under
another team; a lead of no team is not theirs; a manager without a team manages nothing.
Before the policy was unified, the reports used another rule (team leads plus every lead
of no team) and left out the members' leads the queue showed.
"""
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm import access
from crm.leads import queue
from crm.models import Role
from crm.reporting import funnel
from crm.reporting.scope import scope_for
from tests.factories import LeadFactory, TeamFactory, UserFactory


@pytest.fixture
def world(db):
    mine, other = TeamFactory(name="一组"), TeamFactory(name="二组")
    boss = UserFactory(team=mine, role="manager", email="boss@example.com")
    member = UserFactory(team=mine)
    stranger = UserFactory(team=other)
    leads = {
        "team": LeadFactory(team=mine),                      # filed under the team
        "member_elsewhere": LeadFactory(team=other, assigned_to=member),
        "other_team": LeadFactory(team=other, assigned_to=stranger),
        "no_team": LeadFactory(),                            # unrouted pool / spam
    }
    db.session.commit()
    return {"boss": boss, "member": member, "stranger": stranger, "leads": leads,
            "mine": mine, "other": other}


def _queue_refs(user):
    return {lead.reference for lead in queue.page(user, "all", queue.Filters(), None, 50).leads}


def _report_total(user):
    scope = scope_for(user, date(2000, 1, 1), date(2100, 12, 31), "Asia/Shanghai")
    return funnel.funnel(scope).overall.total


def test_queue_and_reports_agree_on_a_managers_leads(world):
    boss, leads = world["boss"], world["leads"]
    expected = {leads["team"].reference, leads["member_elsewhere"].reference}
    assert _queue_refs(boss) == expected
    assert _report_total(boss) == len(expected)
    assert {name for name, lead in leads.items() if access.manages_lead(boss, lead)} \
        == {"team", "member_elsewhere"}


def test_admin_manages_every_lead_and_an_agent_none(world, db):
    admin = UserFactory(role="admin", team=None)
    db.session.commit()
    assert len(_queue_refs(admin)) == 4 and _report_total(admin) == 4
    assert not any(access.manages_lead(world["member"], lead) for lead in world["leads"].values())


def test_a_manager_without_a_team_manages_nothing(world, db):
    lonely = UserFactory(role="manager", team=None, email="lonely@example.com")
    teamless_agent = UserFactory(team=None)
    LeadFactory(assigned_to=teamless_agent)  # team_id NULL == team_id NULL must not match
    db.session.commit()
    assert _queue_refs(lonely) == set()
    assert _report_total(lonely) == 0
    assert not access.can_manage_user(lonely, teamless_agent)
    assert access.managed_user_ids(lonely) == []


def test_one_decorator_ranks_roles(world, client, auth):
    auth.login("boss@example.com")
    assert client.get("/manage/routing/rules").status_code == 200      # manager page
    assert client.get("/admin/users").status_code == 403           # admin page
    assert access.has_role(world["boss"], Role.MANAGER)
    assert access.has_role(world["boss"], Role.AGENT)
    assert not access.has_role(world["boss"], Role.ADMIN)
    assert not access.has_role(world["member"], Role.MANAGER)


def test_a_manager_may_not_edit_another_teams_agent(world, client, auth):
    auth.login("boss@example.com")
    assert client.get(f"/manage/routing/agents/{world['member'].id}").status_code == 200
    assert client.get(f"/manage/routing/agents/{world['stranger'].id}").status_code == 403


def test_admin_pages_start_at_admin(client, auth, db):
    UserFactory(role="admin", email="root@example.com", team=None)
    db.session.commit()
    auth.login("root@example.com")
    response = client.get("/admin/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/users")


def test_a_manager_cannot_change_an_admin_or_another_manager_in_their_team(world, db):
    """Issue 14: a manager with an admin in their team could deactivate the admin."""
    boss, team = world["boss"], world["mine"]
    admin = UserFactory(role="admin", team=team, email="root@example.com")
    peer = UserFactory(role="manager", team=team, email="peer@example.com")
    db.session.commit()
    assert access.can_manage_user(boss, world["member"]) and access.can_manage_user(boss, boss)
    assert not access.can_manage_user(boss, admin)
    assert not access.can_manage_user(boss, peer)
    assert access.can_manage_user(admin, peer)


_NO_DIGITS = st.text(st.characters(blacklist_categories=("Nd", "Cs")), max_size=30)


@given(before=_NO_DIGITS, after=_NO_DIGITS,
       digits=st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
       shape=st.sampled_from([lambda d: d, lambda d: "+86" + d, lambda d: "+86 " + d,
                              lambda d: f"{d[:3]} {d[3:7]} {d[7:]}",
                              lambda d: f"{d[:3]}-{d[3:7]}-{d[7:]}"]))
@settings(max_examples=200, deadline=None)
def test_a_note_never_carries_a_mobile_it_was_given(before, after, digits, shape):
    """Issue 27: the prospect's note reaches chat robots masked (access.mask_note)."""
    from crm.access import mask_note
    typed = shape(digits)
    masked = mask_note(f"{before} {typed} {after}")
    shown = f"{digits[:3]}****{digits[-4:]}"
    assert shown in masked and typed not in masked
    assert digits[3:7] not in masked.replace(shown, "")

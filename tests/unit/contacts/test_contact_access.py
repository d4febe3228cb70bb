"""Who may see a contact follows from the needs they may see (crm.access.viewable_leads): an
agent of team A never sees team B's need of a shared contact, only how many there are."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm import access
from crm.choices import JUNK_STATUSES, STATUSES
from crm.leads import contacts
from crm.models import Contact
from tests.unit.contacts.conftest import need_of


# What team B's need says that team A must never read: reference, place, figures, owner, text.
def secrets_of(shared) -> list[str]:
    return [shared.theirs.reference, "合肥", "987", shared.agent_b.name, "秘密的锂电池项目",
            shared.theirs.team.name]


def test_agent_of_team_a_sees_their_need_and_only_a_count_of_team_bs(client, auth, shared):
    auth.login(shared.agent_a.email)
    html = client.get(f"/contacts/{shared.contact.id}").get_data(as_text=True)
    assert shared.mine.reference in html
    assert "另有 1 个需求由其他团队跟进" in html
    for secret in secrets_of(shared):
        assert secret not in html, secret
    # The lead page: "此联系人还有 1 个其他需求", none of them shown.
    lead_page = client.get(f"/agent/leads/{shared.mine.id}").get_data(as_text=True)
    others = lead_page[lead_page.index('id="other-needs"'):lead_page.index('id="timeline"')]
    assert "此联系人还有 1 个其他需求" in others and "另有 1 个需求由其他团队跟进" in others
    for secret in secrets_of(shared):
        assert secret not in others, secret


def test_team_bs_need_is_absent_from_team_as_search_and_export(client, auth, shared):
    auth.login(shared.agent_a.email)
    for tab in ("mine", "pool", "due"):
        found = client.get(f"/agent/leads?tab={tab}&q=5678").get_data(as_text=True)
        assert shared.theirs.reference not in found
    exported = client.post("/agent/leads/export.csv?tab=mine").get_data(as_text=True)
    assert shared.mine.reference in exported and shared.theirs.reference not in exported


def test_a_contact_or_company_with_only_other_teams_needs_is_a_404(client, auth, db, shared):
    shared.mine.assigned_to_id = shared.agent_b.id
    shared.mine.team_id = shared.theirs.team_id
    db.session.commit()
    auth.login(shared.agent_a.email)
    assert client.get(f"/contacts/{shared.contact.id}").status_code == 404
    assert client.get(f"/companies/{shared.company.id}").status_code == 404
    assert client.get("/contacts/999999").status_code == 404  # the same answer as unknown
    assert client.get(f"/agent/leads/{shared.theirs.id}").status_code == 403


def test_a_manager_sees_their_teams_needs_an_admin_every_need(client, auth, shared):
    auth.login(shared.manager_a.email)
    html = client.get(f"/contacts/{shared.contact.id}").get_data(as_text=True)
    assert shared.mine.reference in html and shared.theirs.reference not in html
    assert "139 1234 5678" in html  # a manager of one of its needs sees the number
    assert "另有 1 个需求由其他团队跟进" in html
    auth.logout()
    auth.login(shared.admin.email)
    html = client.get(f"/contacts/{shared.contact.id}").get_data(as_text=True)
    assert shared.mine.reference in html and shared.theirs.reference in html
    assert "其他团队" not in html and "139 1234 5678" in html


def test_a_pool_need_is_visible_to_its_teams_agents_only_while_new(client, auth, db, shared):
    s = shared
    s.theirs.assigned_to_id = None
    s.theirs.team_id = s.mine.team_id
    s.theirs.status = "new"
    db.session.commit()
    page = contacts.contact_page(s.agent_a, s.contact.id)
    assert {n.id for n in page.needs} == {s.mine.id, s.theirs.id} and page.hidden == 0
    assert page.full_mobile  # A holds one of the needs
    s.theirs.status = "contacted"
    db.session.commit()
    page = contacts.contact_page(s.agent_a, s.contact.id)
    assert [n.id for n in page.needs] == [s.mine.id] and page.hidden == 1


PROPERTIES = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture,
                                             HealthCheck.too_slow])
STATES = st.sampled_from([*STATUSES, *JUNK_STATUSES])


@PROPERTIES
@given(rows=st.lists(st.tuples(st.sampled_from(["a", "b", None]),      # team
                               st.sampled_from(["a", "b", None]),      # owner
                               st.sampled_from(["a", "b", None]),      # escalated to
                               STATES), min_size=1, max_size=6))
def test_the_contacts_needs_are_exactly_those_can_view_allows(db, shared, rows):
    """The SQL form (viewable_leads) and the row form (can_view) agree for every viewer, and
    the hidden count is the rest of the contact's needs (spam and merged are no needs)."""
    s = shared
    teams = {"a": s.mine.team, "b": s.theirs.team, None: None}
    agents = {"a": s.agent_a, "b": s.agent_b, None: None}
    person = Contact(name="周女士", name_key="周女士")  # a fresh contact per example
    db.session.add(person)
    db.session.commit()
    needs = [need_of(person, s.company, team=teams[t], assigned_to=agents[o],
                     escalated_to=agents[e], status=status) for t, o, e, status in rows]
    real = [n for n in needs if n.status not in JUNK_STATUSES]
    for viewer in (s.agent_a, s.agent_b, s.manager_a, s.admin):
        expected = {n.id for n in real if access.can_view(viewer, n)}
        got = {n.id for n in db.session.scalars(access.contact_needs(viewer, person.id))}
        assert got == expected, viewer.email
        assert access.can_view_contact(viewer, person) is bool(expected)
        page = contacts.contact_page(viewer, person.id)
        if page is None:
            assert not expected
        else:
            assert {n.id for n in page.needs} == expected
            assert page.hidden == len(real) - len(expected)


@pytest.mark.parametrize("viewer", ["agent_a", "manager_a"])
def test_viewable_leads_never_lets_an_agent_see_an_unteamed_pool(db, shared, viewer):
    """A user without a team must not see every unassigned team-less new lead."""
    user = getattr(shared, viewer)
    user.team_id = None
    db.session.commit()
    stray = need_of(shared.contact, None, team=None, assigned_to=None, status="new")
    assert stray.id not in {n.id for n in db.session.scalars(
        access.contact_needs(user, shared.contact.id))}
    assert isinstance(db.session.get(Contact, shared.contact.id), Contact)

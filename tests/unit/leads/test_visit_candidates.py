"""crm.leads.visits.candidates(): which listings and people a site-visit form offers."""
from crm.leads import recommend, visits
from crm.listings import inventory, matching
from tests.factories import LeadFactory, TeamFactory, UserFactory
from tests.unit.visits.support import lead_with_agent, listing


def test_recommended_then_linked_then_matches_each_once(db):
    team, agent, lead = lead_with_agent(region_code="330522")
    sent, linked, other = listing(db, title="发送过"), listing(db, title="看过"), listing(db)
    recommend.send(lead, agent, [sent, linked])
    inventory.record_link(lead, linked, "site_visit", agent)
    inventory.record_link(lead, other, "recommended", agent)
    matches = [m.listing for m in matching.rank(lead)[:5]]
    assert matches  # the open lead has matches (they are among the listings above)
    offer = visits.candidates(lead, agent)
    assert [x.id for x in offer.listings[:3]] == [sent.id, linked.id, other.id]
    assert len({x.id for x in offer.listings}) == len(offer.listings)
    assert {x.id for x in matches} <= {x.id for x in offer.listings}


def test_a_closed_lead_is_offered_no_matches(db):
    _team, agent, lead = lead_with_agent(region_code="330522")
    listing(db)
    lead.status = "lost"
    assert visits.candidates(lead, agent).listings == []


def test_attendees_are_the_teams_working_people_with_the_user_first(db):
    team, owner, lead = lead_with_agent()
    colleague = UserFactory(team=team, name="A 同事")
    boss = UserFactory(team=team, role="manager", name="B 经理")
    UserFactory(team=team, active=False, name="离职")
    UserFactory(team=team, role="admin", name="管理员")
    UserFactory(team=TeamFactory(), name="别队")
    helper = UserFactory(team=None, role="manager", name="Z 帮手")  # of no team
    people = visits.candidates(lead, helper).attendees
    assert people[0] == helper
    assert sorted(u.id for u in people) == sorted([helper.id, owner.id, colleague.id, boss.id])
    assert [u.name for u in people[1:]] == sorted(u.name for u in people[1:])


def test_the_owner_is_offered_even_from_another_team(db):
    team, owner, lead = lead_with_agent()
    colleague = UserFactory(team=team)
    lead.assigned_to = UserFactory(team=None, name="外援")
    people = visits.candidates(lead, colleague).attendees
    assert people[0] == lead.assigned_to and owner in people and colleague in people
    assert len(set(people)) == len(people)
    lone, user = LeadFactory(), UserFactory(team=None)  # no team anywhere: only the user
    assert visits.candidates(lone, user).attendees == [user]

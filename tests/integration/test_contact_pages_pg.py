"""The contact and company pages' SQL on PostgreSQL: the visible needs with their counts in
one statement (window count and scalar subquery), the scope clauses of each role."""
import pytest
from sqlalchemy import select

from crm import access
from crm.extensions import db
from crm.leads import contacts
from crm.models import Company, Contact, Lead
from tests.factories import LeadFactory, TeamFactory, UserFactory
from tests.support.sql import statements_run

pytestmark = pytest.mark.integration


def test_contact_and_company_pages_on_postgresql(pg_app):
    team_a, team_b = TeamFactory(), TeamFactory(is_default=False)
    agent_a, agent_b = UserFactory(team=team_a), UserFactory(team=team_b)
    manager_a = UserFactory(team=team_a, role="manager")
    admin = UserFactory(team=None, role="admin")
    company = Company(name="苏州恒信科技有限公司")
    db.session.add(company)
    db.session.flush()
    person = Contact(name="王经理", mobile_e164="+8613912345678", company_id=company.id)
    db.session.add(person)
    db.session.commit()
    link = {"contact_id": person.id, "company_id": company.id}
    mine = [LeadFactory(team=team_a, assigned_to=agent_a, **link) for _ in range(3)]
    theirs = LeadFactory(team=team_b, assigned_to=agent_b, **link)
    LeadFactory(team=team_a, assigned_to=agent_a, status="spam", **link)  # no need

    assert agent_a.role == "agent"  # loaded again after the commits, before counting
    with statements_run(db.engine) as statements:
        page = contacts.contact_page(agent_a, person.id)
    assert page is not None and {n.id for n in page.needs} == {n.id for n in mine}
    assert page.hidden == 1 and page.full_mobile
    # The contact, its needs with counts, repeats, visits, pages sent, timeline.
    assert len(statements) <= 6, [s[:90] for s in statements]
    others = contacts.other_needs(agent_a, mine[0])
    assert (others.visible, others.hidden, len(others.needs)) == (2, 1, 2)
    assert contacts.contact_page(manager_a, person.id).hidden == 1
    everything = contacts.contact_page(admin, person.id)
    assert len(everything.needs) == 4 and everything.hidden == 0

    firm = contacts.company_page(agent_b, company.id)
    assert [n.id for n in firm.needs] == [theirs.id] and firm.hidden == 3
    assert [c.id for c in firm.contacts] == [person.id]
    # Nobody else's: no need visible → no page (a 404 for the view).
    outsider = UserFactory(team=TeamFactory(is_default=False))
    assert contacts.contact_page(outsider, person.id) is None
    assert contacts.company_page(outsider, company.id) is None
    assert not access.can_view_contact(outsider, person.id)
    assert db.session.scalar(select(db.func.count()).select_from(Lead)
                             .where(Lead.contact_id == person.id)) == 5

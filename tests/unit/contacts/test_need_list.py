"""One rule for a page's list of needs (crm.leads.contacts.need_list): the contact page, the
company page and the lead page's other needs list the newest visible needs and count the
hidden ones to the same cap, read from a bounded window of the newest needs whoever looks.
NEEDS_SHOWN 2 and COUNT_CAP 3 here instead of 100 and 1000: a window of 2 + 3 + 1 rows."""
from datetime import timedelta

import pytest

from crm.extensions import db as _db
from crm.leads import contacts
from crm.models import Contact
from tests.factories import TeamFactory, UserFactory
from tests.support.sql import statements_run
from tests.unit.contacts.conftest import NOW, need_of


@pytest.fixture
def small(monkeypatch):
    monkeypatch.setattr(contacts, "NEEDS_SHOWN", 2)
    monkeypatch.setattr(contacts, "COUNT_CAP", 3)


def _theirs(shared, n: int, days_ago: int = 0) -> None:
    for _ in range(n):
        need_of(shared.contact, shared.company, team=shared.theirs.team,
                assigned_to=shared.agent_b, created_at=NOW - timedelta(days=days_ago))


def _section(html: str, start: str, end: str = "</section>") -> str:
    part = html[html.index(start):]
    return part[:part.index(end)]


def test_the_contact_page_counts_the_hidden_needs_to_the_company_pages_cap(
        client, auth, db, shared, small):
    _theirs(shared, 4)
    db.session.commit()
    auth.login(shared.agent_a.email)
    needs = _section(client.get(f"/contacts/{shared.contact.id}").get_data(as_text=True),
                     'id="contact-needs"')
    # Five of the other team's (theirs and four more): "more than 3", as on the company page.
    assert "另有超过 3 个需求由其他团队跟进" in needs and shared.mine.reference in needs
    company = _section(client.get(f"/companies/{shared.company.id}").get_data(as_text=True),
                       'id="company-needs"')
    assert "另有超过 3 个需求由其他团队跟进" in company


def test_the_contact_page_says_when_it_lists_only_the_newest(client, auth, db, shared, small):
    for _ in range(2):
        need_of(shared.contact, shared.company, team=shared.mine.team,
                assigned_to=shared.agent_a)
    db.session.commit()
    auth.login(shared.agent_a.email)
    needs = _section(client.get(f"/contacts/{shared.contact.id}").get_data(as_text=True),
                     'id="contact-needs"')
    assert "(2+)" in needs and "仅列出最新的 2 个" in needs
    assert needs.count('class="lead-item') == 2 and shared.mine.reference not in needs
    assert "另有 1 个需求由其他团队跟进" in needs


def test_the_lead_page_counts_the_other_needs_by_the_same_rule(client, auth, db, shared, small):
    _theirs(shared, 4)
    db.session.commit()
    listed = contacts.other_needs(shared.agent_a, shared.mine)
    assert (listed.needs, listed.visible, listed.hidden) == ([], 0, 4)  # 5 hidden, to 3 + 1
    assert listed.hidden_over_cap
    auth.login(shared.agent_a.email)
    html = _section(client.get(f"/agent/leads/{shared.mine.id}").get_data(as_text=True),
                    'id="other-needs"')
    assert "另有超过 3 个需求由其他团队跟进" in html


def test_a_window_full_of_visible_needs_gives_the_hidden_count_as_a_floor(
        client, auth, db, shared, small):
    """Five newer needs of the manager's team and the other team's need of two days ago fill
    the window (2 + 3 + 1); two older ones of the other team are not read: the page says
    "at least 1" rather than a count it did not make."""
    for _ in range(5):
        need_of(shared.contact, shared.company, team=shared.mine.team,
                assigned_to=shared.agent_a)
    _theirs(shared, 2, days_ago=60)
    db.session.commit()
    page = contacts.company_page(shared.manager_a, shared.company.id)
    assert page is not None and len(page.needs) == 2 and page.listed.more
    assert page.hidden == 1 and page.listed.window_full and page.listed.hidden_at_least
    auth.login(shared.manager_a.email)
    html = _section(client.get(f"/companies/{shared.company.id}").get_data(as_text=True),
                    'id="company-needs"')
    assert "另有至少 1 个需求由其他团队跟进" in html and "仅列出最新的 2 个" in html


def test_an_agent_who_sees_few_needs_of_a_big_company_reads_the_window_only(
        db, shared, small):
    """Before: the agent's query walked the company's needs until it found enough visible
    ones (all of them here). Now it reads the newest 2 + 3 + 1, whoever looks: the agent's
    month-old need is older than those, so it is not listed, and the page still opens."""
    _theirs(shared, 6)
    db.session.commit()
    with statements_run(_db.engine) as statements:
        page = contacts.company_page(shared.agent_a, shared.company.id)
    assert page is not None and page.needs == [] and page.listed.hidden_over_cap
    assert [c.id for c in page.contacts] == [shared.contact.id]
    window = [s for s in statements if "need_window" in s]
    assert window and all("LIMIT" in s for s in window)
    # An admin reads the same window: the newest two listed, more said.
    page = contacts.company_page(shared.admin, shared.company.id)
    assert len(page.needs) == 2 and page.listed.more and page.hidden == 0


def test_a_big_company_opens_for_whoever_may_see_an_older_need_only(db, shared, small,
                                                                   monkeypatch):
    """Nothing visible among the newest needs nor the first contacts: the page is there for
    whoever may view an older need, and still a 404 for everyone else."""
    monkeypatch.setattr(contacts, "ROWS_SHOWN", 2)  # contacts looked at: 2 + 3
    others = [Contact(name=f"联系人{i}", name_key=f"联系人{i}", company_id=shared.company.id,
                      created_at=NOW - timedelta(days=90)) for i in range(2 + 3)]
    db.session.add_all(others)
    db.session.flush()
    for other in others:
        need_of(other, shared.company, team=shared.theirs.team, assigned_to=shared.agent_b)
    db.session.commit()
    # Agent A's contact is the company's newest, past the 2 + 3 contacts looked at.
    page = contacts.company_page(shared.agent_a, shared.company.id)
    assert page is not None and page.needs == [] and page.contacts == []
    assert page.listed.window_full
    outsider = UserFactory(team=TeamFactory(is_default=False))
    assert contacts.company_page(outsider, shared.company.id) is None
    assert contacts.contact_page(outsider, shared.contact.id) is None
    # The contact page too: the agent's need is older than its window, the page opens.
    _theirs(shared, 6)
    db.session.commit()
    page = contacts.contact_page(shared.agent_a, shared.contact.id)
    assert page is not None and page.needs == [] and page.listed.hidden_over_cap

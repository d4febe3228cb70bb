"""The company page (企业): name, credit code, industry; the contacts and needs the user may
see; nothing personal beyond those contacts' names."""
from crm.models import Contact
from tests.unit.contacts.conftest import need_of


def _second_contact(db, shared, **need):
    other = Contact(name="陈总", name_key="陈总", mobile_e164="+8613700001111",
                    mobile_display="137 0000 1111", email="chen@example.cn",
                    company_id=shared.company.id)
    db.session.add(other)
    db.session.commit()
    return other, need_of(other, shared.company, **need)


def test_a_company_with_two_contacts_shows_both_and_their_needs(client, auth, db, shared):
    other, third = _second_contact(db, shared, team=shared.mine.team,
                                   assigned_to=shared.manager_a, property_type="warehouse")
    auth.login(shared.admin.email)
    html = client.get(f"/companies/{shared.company.id}").get_data(as_text=True)
    assert "苏州恒信科技有限公司" in html and "91320583MA1XXXXX0K" in html and "机械" in html
    people = html[html.index('id="company-contacts"'):html.index('id="company-needs"')]
    assert f'href="/contacts/{shared.contact.id}"' in people and "王经理" in people
    assert f'href="/contacts/{other.id}"' in people and "陈总" in people
    needs = html[html.index('id="company-needs"'):]
    for lead in (shared.mine, shared.theirs, third):
        assert lead.reference in needs
    # A company record shows no one's number, WeChat or email.
    for personal in ("139", "137", "@example.cn", "tel:"):
        assert personal not in html, personal


def test_an_agent_sees_only_the_contacts_and_needs_of_their_needs(client, auth, db, shared):
    other, third = _second_contact(db, shared, team=shared.theirs.team,
                                   assigned_to=shared.agent_b, property_type="warehouse")
    auth.login(shared.agent_a.email)
    html = client.get(f"/companies/{shared.company.id}").get_data(as_text=True)
    assert "王经理" in html and "陈总" not in html and f"/contacts/{other.id}" not in html
    assert shared.mine.reference in html
    assert shared.theirs.reference not in html and third.reference not in html
    assert "另有 2 个需求由其他团队跟进" in html


def test_a_big_company_lists_its_newest_needs_and_counts_the_hidden_to_a_cap(
        client, auth, db, shared, monkeypatch):
    """A group with thousands of needs: the page reads a bounded number of rows whoever
    looks, lists the newest, says there are more, and counts another team's only up to the
    cap (here 2 and 3 instead of 100 and 1000)."""
    from crm.leads import contacts
    monkeypatch.setattr(contacts, "NEEDS_SHOWN", 2)
    monkeypatch.setattr(contacts, "COUNT_CAP", 3)
    for _ in range(4):
        need_of(shared.contact, shared.company, team=shared.theirs.team,
                assigned_to=shared.agent_b)
    db.session.commit()
    auth.login(shared.agent_a.email)
    html = client.get(f"/companies/{shared.company.id}").get_data(as_text=True)
    # One visible need; five of the other team, counted to the cap (3 + 1).
    assert "另有超过 3 个需求由其他团队跟进" in html and shared.mine.reference in html
    assert "仅列出最新的" not in html
    auth.logout()
    auth.login(shared.admin.email)
    html = client.get(f"/companies/{shared.company.id}").get_data(as_text=True)
    needs = html[html.index('id="company-needs"'):]
    assert "(2+)" in needs and "仅列出最新的 2 个" in needs and "其他团队" not in needs
    assert needs.count('class="lead-item') == 2

"""The queue's search runs one of two ways after a look at how common the query is
(crm.leads.search.queue_search): from the ids of a few matches, or index-free, walking
bucket by bucket newest first. Both must find the same leads in the queue's own order.
tests/integration/test_queue_search_pg.py runs the same checks on PostgreSQL."""
import re
from datetime import date, timedelta

import pytest

from crm.leads import search
from crm.models.types import utcnow
from tests.conftest import Auth
from tests.factories import LeadFactory, TeamFactory, UserFactory


def _refs(html: str) -> list[str]:
    section = html[html.index('id="queue"'):] if 'id="queue"' in html else ""
    return re.findall(r'class="ref">(CF[^<]+)<', section)


def _walk(client, url: str, **params) -> list[str]:
    seen, query = [], dict(params)
    for _ in range(50):  # pages of 4: a queue of 20 leads needs 5
        html = client.get(url, query_string=query).get_data(as_text=True)
        seen += _refs(html)
        nxt = re.search(r'href="/agent/leads\?[^"]*after=([^"&]+)', html)
        if not nxt:
            return seen
        query = {**params, "after": nxt.group(1)}
    raise AssertionError(f"the pages never end: {seen}")


def make_queue(db):
    """Leads of a team in every urgency bucket, open and closed, most of them with 长兴 in
    their company; one with the two characters apart, one of another team."""
    team, other = TeamFactory(), TeamFactory()
    me = UserFactory(team=team, email="me@example.com")
    mate = UserFactory(team=team)
    UserFactory(team=team, email="boss@example.com", role="manager")
    now = utcnow()
    kinds = [
        {"sla_half_at": now - timedelta(minutes=1), "sla_due_at": now + timedelta(minutes=9)},
        {"status": "contacted", "next_follow_up_on": date(2020, 1, 1),
         "first_contact_at": now - timedelta(days=1)},
        {},  # new
        {"status": "qualified", "first_contact_at": now - timedelta(days=1)},
        {"status": "won", "first_contact_at": now - timedelta(days=2)},
        {"status": "lost", "sla_half_at": now - timedelta(days=3),
         "sla_due_at": now - timedelta(days=2)},
    ]
    matching = []
    for i in range(18):
        lead = LeadFactory(team=team, assigned_to=(me, mate)[i % 2],
                           created_at=now - timedelta(hours=i), company=f"长兴{i}号电池材料有限公司",
                           **kinds[i % len(kinds)])
        matching.append(lead.reference)
    LeadFactory(team=team, assigned_to=me, company="兴业长江物流有限公司")  # 兴…长: no match
    LeadFactory(team=other, assigned_to=UserFactory(team=other), company="长兴电池材料有限公司")
    return matching


def check_plans(app, client, db, monkeypatch, few: int):
    monkeypatch.setattr(search, "FEW", few)
    matching = make_queue(db)
    app.config["LEADS_PER_PAGE"] = 4
    auth = Auth(client)
    for email, params, mine in (("me@example.com", {}, 9),
                                ("boss@example.com", {"tab": "all"}, 18)):
        auth.login(email)
        # Every lead of the tab matches but one: the search gives the unsearched order.
        unsearched = _walk(client, "/agent/leads", **params)
        found = _walk(client, "/agent/leads", q="長興", **params)
        assert found == [ref for ref in unsearched if ref in matching]
        assert len(found) == mine
        assert _walk(client, "/agent/leads", q="池", **params) == found
        assert _walk(client, "/agent/leads", q="長興5號", **params) == \
            [ref for ref in found if ref == matching[5]]
        assert _walk(client, "/agent/leads", q="兴长", **params) == []
        auth.logout()


@pytest.mark.parametrize("few", [2000, 0], ids=["from-ids", "index-free"])
def test_both_plans_find_the_same_leads_in_queue_order(app, client, db, monkeypatch, few):
    check_plans(app, client, db, monkeypatch, few)


def test_search_badges_count_to_99(app, client, db):
    team = TeamFactory()
    me = UserFactory(team=team, email="me@example.com")
    for _ in range(101):
        LeadFactory(assigned_to=me, team=team, company="苏州精工机械有限公司")
    auth = Auth(client)
    auth.login("me@example.com")
    html = client.get("/agent/leads", query_string={"q": "精工"}).get_data(as_text=True)
    assert re.search(r'id="count-mine">99\+<', html)
    html = client.get("/agent/leads").get_data(as_text=True)
    assert re.search(r'id="count-mine">101<', html)

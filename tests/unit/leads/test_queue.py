"""The workspace queue: urgency order, keyset pages, tabs and counts, filters and search."""
import re
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from crm import access
from crm.leads import queue
from crm.models import Activity, AuditLog, Lead
from crm.models.types import utcnow
from tests.factories import LeadFactory, TeamFactory, UserFactory


def _refs(html: str) -> list[str]:
    section = html[html.index('id="queue"'):] if 'id="queue"' in html else ""
    return re.findall(r'class="ref">(CF[^<]+)<', section)


def test_urgency_order_sla_then_due_then_new_then_rest(client, auth, db):
    me = UserFactory(email="me@example.com")
    now = utcnow()
    rest = LeadFactory(assigned_to=me, status="qualified", created_at=now)
    new = LeadFactory(assigned_to=me, created_at=now - timedelta(hours=1))
    due = LeadFactory(assigned_to=me, status="contacted", next_follow_up_on=date(2020, 1, 1),
                      created_at=now - timedelta(hours=2))
    sla = LeadFactory(assigned_to=me, created_at=now - timedelta(hours=3),
                      sla_half_at=now - timedelta(minutes=1), sla_due_at=now + timedelta(minutes=14))
    later_sla = LeadFactory(assigned_to=me, created_at=now - timedelta(hours=4),
                            sla_half_at=now + timedelta(hours=2), sla_due_at=now + timedelta(hours=3))
    auth.login("me@example.com")
    refs = _refs(client.get("/agent/leads").get_data(as_text=True))
    # A lead whose first-contact deadline is far off waits among the new ones.
    assert refs == [sla.reference, due.reference, new.reference, later_sla.reference, rest.reference]


def test_keyset_pages_walk_every_lead_once_across_buckets(app, client, auth, db):
    app.config["LEADS_PER_PAGE"] = 2
    me = UserFactory(email="me@example.com")
    now = utcnow()
    expected = set()
    for i in range(7):
        kwargs = {"created_at": now - timedelta(minutes=i)}
        if i % 3 == 0:
            kwargs.update(status="contacted", next_follow_up_on=date(2020, 1, 1))
        elif i % 3 == 1:
            kwargs.update(status="negotiating")
        expected.add(LeadFactory(assigned_to=me, **kwargs).reference)
    auth.login("me@example.com")
    seen, url, pages = [], "/agent/leads", 0
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += _refs(html)
        nxt = re.search(r'href="(/agent/leads\?after=[^"]+)"', html)
        url = nxt.group(1).replace("&amp;", "&") if nxt else None
        pages += 1
    assert pages == 4 and len(seen) == 7 and set(seen) == expected


def _walk(client, url: str) -> list[str]:
    seen = []
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += _refs(html)
        nxt = re.search(r'href="(/agent/leads\?[^"]*after=[^"]+)"', html)
        url = nxt.group(1).replace("&amp;", "&") if nxt else None
    return seen


def test_pages_merge_owned_escalated_open_and_closed_leads_in_one_order(app, client, auth, db,
                                                                       monkeypatch):
    """The queue queries owned and escalated leads, open and closed ones, apart (each on its
    own index); the pages must still be one order: urgency, then newest first."""
    app.config["LEADS_PER_PAGE"] = 2
    team, other_team = TeamFactory(), TeamFactory()
    me = UserFactory(team=team, email="me@example.com", is_senior=True)
    UserFactory(team=team, email="boss@example.com", role="manager")
    colleague = UserFactory(team=other_team)
    now = utcnow()

    def lead(minutes_ago, **kwargs):
        return LeadFactory(created_at=now - timedelta(minutes=minutes_ago), **kwargs).reference
    won = lead(1, assigned_to=me, team=team, status="won")
    escalated_new = lead(2, assigned_to=colleague, team=other_team, escalated_to=me)
    qualified = lead(3, assigned_to=me, team=team, status="qualified")
    new = lead(4, assigned_to=me, team=team)
    escalated_won = lead(5, assigned_to=colleague, team=other_team, escalated_to=me,
                         status="won")
    due = lead(6, assigned_to=me, team=team, status="contacted",
               next_follow_up_on=date(2020, 1, 1))
    lost = lead(7, assigned_to=me, team=team, status="lost")
    # Mine, but filed under another team (reassigned across teams): the manager sees it.
    stray = lead(8, assigned_to=me, team=other_team, status="negotiating")
    auth.login("me@example.com")
    assert _walk(client, "/agent/leads") == [due, escalated_new, new, won, qualified,
                                             escalated_won, lost, stray]
    auth.logout()
    auth.login("boss@example.com")
    assert _walk(client, "/agent/leads?tab=all") == [due, new, won, qualified, lost, stray]
    # Too many strays to list by id: the same queue from their clause.
    monkeypatch.setattr(access, "STRAYS_LISTED", 0)
    assert _walk(client, "/agent/leads?tab=all") == [due, new, won, qualified, lost, stray]


def test_tab_badges_stop_counting_at_the_cap(client, auth, db, monkeypatch):
    monkeypatch.setattr(queue, "COUNT_CAP", 2)
    me = UserFactory(email="me@example.com")
    for _ in range(3):
        LeadFactory(assigned_to=me)
    auth.login("me@example.com")
    html = client.get("/agent/leads").get_data(as_text=True)
    assert re.search(r'id="tab-mine">[^<]*<span class="count" id="count-mine">2\+<', html)
    assert len(_refs(html)) == 3


def test_tabs_and_their_counts(client, auth, db):
    team = TeamFactory()
    me = UserFactory(team=team, email="me@example.com")
    LeadFactory(assigned_to=me)
    LeadFactory(assigned_to=me, status="contacted", next_follow_up_on=date(2020, 1, 1))
    LeadFactory(team=team, company="池中")  # unassigned: the pool
    LeadFactory(assigned_to=UserFactory(team=team))  # a colleague's
    auth.login("me@example.com")
    html = client.get("/agent/leads").get_data(as_text=True)
    counts = dict(re.findall(r'id="tab-(\w+)">[^<]*<span class="count" id="count-\w+">(\d+)<', html))
    assert counts == {"mine": "2", "pool": "1", "due": "1"}  # no "all" for an agent
    pool = client.get("/agent/leads?tab=pool").get_data(as_text=True)
    assert "池中" in pool and "Take it" in client.get("/agent/leads?tab=pool&lang=en").get_data(as_text=True)
    assert len(_refs(client.get("/agent/leads?tab=due").get_data(as_text=True))) == 1
    # An agent asking for "all" gets their own queue.
    assert len(_refs(client.get("/agent/leads?tab=all").get_data(as_text=True))) == 2


def test_manager_all_tab_is_the_team_admin_sees_everything(client, auth, db):
    team = TeamFactory()
    boss = UserFactory(team=team, email="boss@example.com", role="manager")
    UserFactory(team=team, email="root@example.com", role="admin")
    mine = LeadFactory(assigned_to=UserFactory(team=team))
    other = LeadFactory(assigned_to=UserFactory())
    auth.login("boss@example.com")
    refs = _refs(client.get("/agent/leads?tab=all").get_data(as_text=True))
    assert refs == [mine.reference]
    agent_filter = client.get(f"/agent/leads?tab=all&agent_id={mine.assigned_to_id}").get_data(as_text=True)
    assert _refs(agent_filter) == [mine.reference]
    auth.logout()
    auth.login("root@example.com")
    assert set(_refs(client.get("/agent/leads?tab=all").get_data(as_text=True))) == {
        mine.reference, other.reference}
    assert boss


def test_filters(client, auth, db):
    me = UserFactory(email="me@example.com")
    a = LeadFactory(assigned_to=me, property_type="land", region_code="330522",
                    industry="nev", channel="phone", score=80, utm_source="baidu")
    b = LeadFactory(assigned_to=me, property_type="factory", region_code="310117",
                    industry="ic", channel="web", score=20, page_url="https://zj.example.cn/a")
    auth.login("me@example.com")

    def refs(query):
        return set(_refs(client.get("/agent/leads?" + query).get_data(as_text=True)))
    assert refs("need=land") == {a.reference}
    assert refs("region=zj") == {a.reference}  # everything under Zhejiang
    assert refs("region=sh.songjiang") == {b.reference}
    assert refs("industry=ic") == {b.reference}
    assert refs("source=phone") == {a.reference}
    assert refs("source=baidu") == {a.reference}
    assert refs("source=example.cn") == {b.reference}
    assert refs("score_min=50") == {a.reference}
    assert refs("status=new") == {a.reference, b.reference}
    today = date.today().isoformat()
    assert refs(f"date_from={today}") == {a.reference, b.reference}
    assert refs("date_to=2020-01-01") == set()
    # Bad input is shown next to the field, never a 500, and never widens to every lead.
    response = client.get("/agent/leads?score_min=abc&date_from=yesterday&region=nowhere")
    assert response.status_code == 400 and not _refs(response.get_data(as_text=True))


def test_search_by_name_company_reference_last_digits_and_either_script(client, auth, db):
    me = UserFactory(email="me@example.com")
    a = LeadFactory(assigned_to=me, contact_name="陈长兴", company="湖州廠房科技有限公司",
                    mobile_e164="+8613391219793")
    b = LeadFactory(assigned_to=me, contact_name="王女士", company="苏州仓储物流有限公司",
                    mobile_e164="+8613800001111", message="想看長三角的倉庫")
    auth.login("me@example.com")

    def refs(q):
        return set(_refs(client.get("/agent/leads", query_string={"q": q}).get_data(as_text=True)))
    assert refs("9793") == {a.reference}
    assert refs("1111") == {b.reference}
    assert refs(b.reference.lower()) == {b.reference}
    assert refs("陈") == {a.reference}
    assert refs("陳長興") == {a.reference}      # traditional query, simplified data
    assert refs("厂房") == {a.reference}        # simplified query, traditional data
    assert refs("仓库") == {b.reference}        # found in the message, written traditional
    assert refs("倉儲") == {b.reference}
    assert refs("%") == set()


def test_digit_search_finds_whole_numbers_and_last_four_only(client, auth, db):
    """Issue 14: any run of 5+ digits matched inside a number, so a masked mobile could be
    rebuilt in about 40 unaudited searches."""
    me = UserFactory(email="me@example.com")
    a = LeadFactory(assigned_to=me, mobile_e164="+8613391219793", message="也可打 13391219793")
    auth.login("me@example.com")

    def refs(q):
        return set(_refs(client.get("/agent/leads", query_string={"q": q}).get_data(as_text=True)))
    assert refs("9793") == {a.reference}
    assert refs("13391219793") == {a.reference} == refs("133 9121 9793") == refs("+86 13391219793")
    for probe in ("33912", "1339121", "91219793", "3391219793", "1219"):
        assert refs(probe) == set(), probe


def test_new_assignments_poll_fragment(client, auth, db):
    me = UserFactory(email="me@example.com")
    auth.login("me@example.com")
    page = client.get("/agent/leads").get_data(as_text=True)
    since = re.search(r'hx-get="/agent/leads/poll\?since=(\d+)"', page).group(1)
    assert 'hx-trigger="every 20s"' in page
    assert "<script>" not in page  # a strict CSP forbids inline scripts
    empty = client.get(f"/agent/leads/poll?since={since}").get_data(as_text=True)
    assert "CF" not in empty
    lead = LeadFactory(assigned_to=me, assigned_at=utcnow() + timedelta(seconds=2))
    fresh = client.get(f"/agent/leads/poll?since={since}").get_data(as_text=True)
    assert lead.reference in fresh and 'hx-get="/agent/leads/poll' in fresh
    # Issue 15: the tab badge follows a lead that arrives while the queue is open.
    assert 'id="count-mine" hx-swap-oob="true">1</span>' in fresh
    assert "hx-swap-oob" not in empty
    assert 'id="count-mine">' in page
    # The page itself has each badge once, in its tab: the poll's out-of-band copies were
    # rendered too, loose under the tabs ("100" for counts 1, 0, 0).
    assert page.count('id="count-mine"') == 1 and "hx-swap-oob" not in page
    assert client.get("/agent/leads/poll?since=garbage").status_code == 200


def test_bulk_reassign_with_a_reason(client, auth, db):
    team = TeamFactory()
    UserFactory(team=team, email="boss@example.com", role="manager")
    old, new = UserFactory(team=team), UserFactory(team=team, name="新人")
    outsider_lead = LeadFactory(assigned_to=UserFactory())
    leads = [LeadFactory(assigned_to=old, team=team) for _ in range(3)]
    auth.login("boss@example.com")
    response = client.post("/agent/leads/reassign", data={
        "lead_ids": [str(lead.id) for lead in leads] + [str(outsider_lead.id)],
        "agent_id": new.id, "reason": "休假交接"})
    assert response.status_code == 302
    db.session.expire_all()
    assert {db.session.get(Lead, lead.id).assigned_to_id for lead in leads} == {new.id}
    assert db.session.get(Lead, outsider_lead.id).assigned_to_id != new.id  # not in scope
    notes = db.session.scalars(select(Activity).where(Activity.kind == "assignment")).all()
    assert len(notes) == 3 and all("休假交接" in n.body for n in notes)
    assert len(db.session.scalars(select(AuditLog).where(AuditLog.action == "reassign")).all()) == 3
    # No reason, no move.
    client.post("/agent/leads/reassign", data={"lead_ids": [str(leads[0].id)], "agent_id": old.id})
    db.session.expire_all()
    assert db.session.get(Lead, leads[0].id).assigned_to_id == new.id


def test_export_audited_masked_and_filtered(client, auth, db):
    import csv
    import io

    from openpyxl import load_workbook
    team = TeamFactory()
    me = UserFactory(team=team, email="me@example.com")
    UserFactory(team=team, email="boss@example.com", role="manager")
    mine = LeadFactory(assigned_to=me, mobile_e164="+8613391219793", mobile_display="133 9121 9793",
                       property_type="land", company="=HYPERLINK(\"x\")")
    LeadFactory(assigned_to=me, property_type="factory")
    escalated = LeadFactory(assigned_to=UserFactory(team=team), escalated_to=me,
                            mobile_e164="+8613800001111", mobile_display="138 0000 1111",
                            property_type="land")
    auth.login("me@example.com")
    response = client.post("/agent/leads/export.csv?need=land", buffered=True)
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 3  # header + the two land leads the agent may see
    by_ref = {row[0]: row for row in rows[1:]}
    assert "133 9121 9793" in by_ref[mine.reference]          # the owner sees the number
    assert "138****1111" in by_ref[escalated.reference]        # an escalation sees it masked
    assert by_ref[mine.reference][6].startswith("'=")          # no formula injection
    xlsx = client.post("/agent/leads/export.xlsx?need=land", buffered=True)
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert len(values) == 3 and any("138****1111" in row for row in values)
    entries = db.session.scalars(select(AuditLog).where(AuditLog.action == "export")).all()
    assert [e.new["format"] for e in entries] == ["csv", "xlsx"]
    assert entries[0].new["filters"] == {"need": "land"}


def test_score_index_and_urgency_expression_work_on_this_backend(app, db):
    me = UserFactory()
    LeadFactory(assigned_to=me, score=10, investment_wan=Decimal("1"))
    result = queue.page(me, "mine", queue.Filters(score_min=5), None, 10)
    assert len(result.leads) == 1 and result.leads[0].urgency == queue.NEW


def test_a_repeats_own_reference_finds_its_lead(client, auth, db):
    from crm.models import InquiryRepeat
    me = UserFactory(email="me@example.com")
    lead = LeadFactory(assigned_to=me)
    db.session.add(InquiryRepeat(original_lead_id=lead.id, matched_on="mobile",
                                 reference="CF261201-ABCDE", mobile_e164=lead.mobile_e164))
    db.session.commit()
    auth.login("me@example.com")
    html = client.get("/agent/leads", query_string={"q": "cf261201-abcde"}).get_data(as_text=True)
    assert set(_refs(html)) == {lead.reference}

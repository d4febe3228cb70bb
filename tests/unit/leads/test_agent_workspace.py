from datetime import date

from sqlalchemy import select

from crm.models import Activity
from tests.conftest import errors_in
from tests.factories import LeadFactory, UserFactory


def test_login_required(client):
    response = client.get("/agent/leads")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_wrong_password_is_refused(client, auth):
    UserFactory(email="a@example.com")
    html = auth.login("a@example.com", "wrong").get_data(as_text=True)
    assert "邮箱或密码错误。" in html


def test_inactive_user_cannot_log_in(client, auth):
    UserFactory(email="gone@example.com", active=False)
    response = auth.login("gone@example.com")  # the right password
    # The form again with the same answer as a wrong password (no hint that the account exists)...
    assert response.status_code == 200 and "邮箱或密码错误。" in response.get_data(as_text=True)
    # ...and no session: the workspace still sends them to the login page.
    workspace = client.get("/agent/leads")
    assert workspace.status_code == 302 and "/login" in workspace.headers["Location"]


def test_agent_sees_only_own_leads_newest_first(client, auth):
    me = UserFactory(email="me@example.com")
    other = UserFactory(team=me.team)
    older = LeadFactory(assigned_to=me, company="旧公司")
    newer = LeadFactory(assigned_to=me, company="新公司")
    LeadFactory(assigned_to=other, company="别人的公司")
    auth.login("me@example.com")
    html = client.get("/agent/leads").get_data(as_text=True)
    assert "别人的公司" not in html
    assert html.index(newer.reference) < html.index(older.reference)


def test_keyset_pagination_walks_every_lead_once(app, client, auth):
    app.config["LEADS_PER_PAGE"] = 3
    me = UserFactory(email="me@example.com")
    refs = {LeadFactory(assigned_to=me).reference for _ in range(8)}
    auth.login("me@example.com")
    seen, url = [], "/agent/leads"
    import re
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += re.findall(r'class="ref">(CF[^<]+)<', html)
        nxt = re.search(r'href="(/agent/leads\?after=[^"]+)"', html)
        url = nxt.group(1).replace("&amp;", "&") if nxt else None
    assert len(seen) == 8 and set(seen) == refs


def test_agent_gets_403_on_another_agents_lead(client, auth):
    me = UserFactory(email="me@example.com")
    lead = LeadFactory(assigned_to=UserFactory(team=me.team))
    auth.login("me@example.com")
    assert client.get(f"/agent/leads/{lead.id}").status_code == 403
    assert client.post(f"/agent/leads/{lead.id}/follow-ups",
                       data={"kind": "call", "body": "x"}).status_code == 403


def test_manager_sees_the_team_leads_admin_sees_any(client, auth):
    boss = UserFactory(email="boss@example.com", role="manager")
    UserFactory(email="root@example.com", role="admin")
    lead = LeadFactory(assigned_to=UserFactory(team=boss.team))
    elsewhere = LeadFactory(assigned_to=UserFactory())  # another team
    auth.login("boss@example.com")
    assert client.get(f"/agent/leads/{lead.id}").status_code == 200
    assert client.get(f"/agent/leads/{elsewhere.id}").status_code == 403
    auth.logout()
    auth.login("root@example.com")
    assert client.get(f"/agent/leads/{elsewhere.id}").status_code == 200


def test_first_call_sets_first_contact_and_moves_to_contacted(client, auth, db):
    me = UserFactory(email="me@example.com")
    lead = LeadFactory(assigned_to=me)
    auth.login("me@example.com")
    response = client.post(f"/agent/leads/{lead.id}/follow-ups", data={
        "kind": "call", "body": "客户要3000平，下周看厂", "next_follow_up": "2026-12-01"})
    assert response.status_code == 302
    db.session.refresh(lead)
    assert lead.first_contact_at is not None and lead.status == "contacted"
    first = lead.first_contact_at
    client.post(f"/agent/leads/{lead.id}/follow-ups", data={"kind": "wechat", "body": "发了资料"})
    db.session.refresh(lead)
    assert lead.first_contact_at == first
    kinds = db.session.scalars(select(Activity.kind).where(Activity.lead_id == lead.id)
                               .order_by(Activity.id)).all()
    assert kinds == ["call", "status_change", "wechat"]
    call = db.session.scalars(select(Activity).where(Activity.kind == "call")).one()
    assert call.next_follow_up == date(2026, 12, 1) and call.author_id == me.id
    page = client.get(f"/agent/leads/{lead.id}").get_data(as_text=True)
    assert "客户要3000平，下周看厂" in page


def test_a_note_is_not_a_contact(client, auth, db):
    me = UserFactory(email="me@example.com")
    lead = LeadFactory(assigned_to=me)
    auth.login("me@example.com")
    client.post(f"/agent/leads/{lead.id}/follow-ups", data={"kind": "note", "body": "查了企业信息"})
    db.session.refresh(lead)
    assert lead.first_contact_at is None and lead.status == "new"


def test_empty_follow_up_is_refused_with_a_message(client, auth):
    me = UserFactory(email="me@example.com")
    lead = LeadFactory(assigned_to=me)
    auth.login("me@example.com")
    response = client.post(f"/agent/leads/{lead.id}/follow-ups", data={"kind": "call", "body": " "})
    assert response.status_code == 422
    assert "请填写跟进内容。" in errors_in(response.get_data(as_text=True))


def test_status_moves_along_and_illegal_jumps_are_refused(client, auth, db):
    me = UserFactory(email="me@example.com")
    lead = LeadFactory(assigned_to=me)
    auth.login("me@example.com")
    assert client.post(f"/agent/leads/{lead.id}/status", data={"status": "won"}).status_code == 422
    db.session.refresh(lead)
    assert lead.status == "new"
    assert client.post(f"/agent/leads/{lead.id}/status", data={"status": "qualified"}).status_code == 302
    db.session.refresh(lead)
    assert lead.status == "qualified"
    change = db.session.scalars(select(Activity).where(Activity.kind == "status_change")).one()
    assert (change.from_status, change.to_status) == ("new", "qualified")


def test_lost_needs_a_reason_from_the_managed_list(client, auth, db):
    from crm.models import LostReason
    price = LostReason(name="价格")
    db.session.add(price)
    db.session.commit()
    me = UserFactory(email="me@example.com")
    lead = LeadFactory(assigned_to=me)
    auth.login("me@example.com")
    response = client.post(f"/agent/leads/{lead.id}/status", data={"status": "lost",
                                                                    "lost_reason": "价格"})
    assert response.status_code == 422  # a free note alone is not a reason
    assert "请填写线索流失原因。" in errors_in(response.get_data(as_text=True))
    client.post(f"/agent/leads/{lead.id}/status", data={
        "status": "lost", "lost_reason_id": price.id, "lost_reason": "嫌贵"})
    db.session.refresh(lead)
    assert lead.status == "lost" and lead.lost_reason_id == price.id and lead.lost_reason == "嫌贵"


def test_logout_ends_the_session(client, auth):
    UserFactory(email="me@example.com")
    auth.login("me@example.com")
    assert client.get("/agent/leads").status_code == 200
    auth.logout()
    assert client.get("/agent/leads").status_code == 302

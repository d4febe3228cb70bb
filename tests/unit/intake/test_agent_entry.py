"""Agents type in leads from the 400 hotline and WeChat through the same validation."""
from sqlalchemy import select

from crm.models import InquiryRepeat, Lead
from tests.conftest import errors_in
from tests.factories import UserFactory, known_lead

GOOD = {"contact_name": "周女士", "mobile": "13800138000", "consent": "y", "channel": "phone"}


def test_login_required(client):
    assert client.get("/agent/leads/new").status_code == 302


def test_agent_enters_a_wechat_lead_which_is_routed(client, auth, db):
    me = UserFactory(email="me@example.com")
    auth.login("me@example.com")
    page = client.get("/agent/leads/new").get_data(as_text=True)
    assert 'name="channel"' in page and 'name="website"' not in page  # no bot traps for staff
    response = client.post("/agent/leads/new", data={
        **GOOD, "channel": "wechat", "company": "常州某某新材料有限公司", "message": "加了微信，要仓库"})
    assert response.status_code == 302
    lead = db.session.scalars(select(Lead)).one()
    assert lead.channel == "wechat" and lead.status == "new" and lead.assigned_to_id == me.id


def test_same_messages_as_the_public_form(client, auth, db):
    UserFactory(email="me@example.com")
    auth.login("me@example.com")
    response = client.post("/agent/leads/new", data={**GOOD, "mobile": "400 0123 021"})
    assert response.status_code == 422
    assert "400/800 号码是企业热线，不是手机号码。请输入手机号码。" in errors_in(response.get_data(as_text=True))
    response = client.post("/agent/leads/new", data={**GOOD, "channel": "web"})
    assert response.status_code == 422  # only phone or WeChat by hand
    assert db.session.scalars(select(Lead)).all() == []


def test_spam_words_from_an_agent_are_not_judged(client, auth, db):
    UserFactory(email="me@example.com")
    auth.login("me@example.com")
    client.post("/agent/leads/new", data={**GOOD, "message": "客户说看到 www.example.com 的广告"})
    assert db.session.scalars(select(Lead)).one().status == "new"


def test_a_caller_who_asked_before_becomes_a_repeat(client, auth, db):
    UserFactory(email="boss@example.com", role="manager")
    first = known_lead(mobile_e164="+8613800138000")
    auth.login("boss@example.com")
    response = client.post("/agent/leads/new?lang=en", data=GOOD)
    assert response.headers["Location"].endswith(f"/agent/leads/{first.id}")
    repeat = db.session.scalars(select(InquiryRepeat)).one()
    assert repeat.original_lead_id == first.id and repeat.channel == "phone"
    assert len(db.session.scalars(select(Lead)).all()) == 1


def test_a_lead_an_agent_enters_stays_with_them_unless_they_hand_it_to_routing(client, auth, db):
    """Issue 15: the lead went to routing, another agent got it, and its author got 403."""
    from crm.models import Activity
    from tests.factories import TeamFactory
    team = TeamFactory(is_default=True)
    from crm.models.types import utcnow
    # Round-robin gives the next lead to whoever was assigned longest ago: the other agent.
    me = UserFactory(email="me@example.com", team=team, last_assigned_at=utcnow())
    UserFactory(email="other@example.com", team=team)
    db.session.commit()
    auth.login("me@example.com")
    response = client.post("/agent/leads/new", data={**GOOD, "channel": "wechat"})
    lead = db.session.scalars(select(Lead)).one()
    assert lead.assigned_to_id == me.id and lead.team_id == team.id
    assert lead.routed_at is not None and lead.sla_due_at is not None
    assert response.headers["Location"].endswith(f"/agent/leads/{lead.id}")
    assert client.get(f"/agent/leads/{lead.id}").status_code == 200
    assert db.session.scalars(select(Activity.kind).where(Activity.lead_id == lead.id)
                              .order_by(Activity.id)).all() == ["assignment", "note"]  # + consent

    client.post("/agent/leads/new", data={**GOOD, "mobile": "13900139000", "to_routing": "y"})
    handed = db.session.scalars(select(Lead).where(Lead.mobile_e164 == "+8613900139000")).one()
    assert handed.routed_at is not None and handed.assigned_to_id is not None

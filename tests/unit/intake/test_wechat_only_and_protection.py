"""Issue 17: prospects known only by WeChat, and the agent's own clients (客户保护期)."""
import json
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import func, select

from crm.intake import policy
from crm.leads import scoring
from crm.models import AuditLog, InquiryRepeat, Lead
from crm.models.types import utcnow
from crm.privacy import rights
from tests.conftest import errors_in
from tests.factories import LeadFactory, TeamFactory, UserFactory, known_lead, make_site

NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)   # a Monday, 10:00 in Shanghai


def count(db, model=Lead) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def enter(client, **data):
    return client.post("/agent/leads/new", data={"contact_name": "刘总", "consent": "y",
                                                "channel": "wechat", **data})


def wechat_only_lead(**kwargs) -> Lead:
    return LeadFactory(mobile_e164=None, mobile_display="", contact_preference="wechat", **kwargs)


def known_wechat_only_lead(**kwargs) -> Lead:
    return known_lead(mobile_e164=None, mobile_display="", contact_preference="wechat", **kwargs)


# --- WeChat-only prospects ----------------------------------------------------------------

def test_an_agent_enters_a_prospect_known_only_by_wechat(client, auth, db):
    UserFactory(email="me@example.com", name="王招商")
    auth.login("me@example.com")
    response = enter(client, wechat_id="liu_factory88", company="苏州某某精密机械有限公司")
    assert response.status_code == 302, errors_in(response.get_data(as_text=True))
    lead = db.session.scalars(select(Lead)).one()
    assert lead.mobile_e164 is None and lead.wechat_id == "liu_factory88"
    assert lead.contact_preference == "wechat" and lead.sourced_by.name == "王招商"
    html = client.get(f"/agent/leads/{lead.id}").get_data(as_text=True)
    assert "仅微信" in html and 'data-copy="liu_factory88"' in html and "tel:" not in html
    assert "王招商 的客户，保护至" in html       # 客户保护期, 90 days by default


def test_neither_a_mobile_nor_a_wechat_id_is_refused_next_to_the_field(client, auth, db):
    UserFactory(email="me@example.com")
    auth.login("me@example.com")
    response = enter(client, company="湖州某某科技有限公司")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert errors_in(html) == ["请填写手机号或微信号。"]
    assert 'value="湖州某某科技有限公司"' in html          # what was typed stays
    # "同手机号" in the WeChat box is not an ID: without a mobile it cannot stand alone.
    response = enter(client, wechat_id="同手机号")
    assert response.status_code == 422 and "微信号" in errors_in(response.get_data(as_text=True))[0]
    assert count(db) == 0


def test_the_api_takes_a_wechat_id_or_a_mobile(client, db):
    site, key = make_site()
    UserFactory()

    def post(body):
        return client.post("/api/v1/inquiries", data=json.dumps(body), headers={"X-Api-Key": key},
                           content_type="application/json")
    assert post({"contact_name": "刘先生", "wechat": "liu_wx2026", "consent": True}).status_code == 201
    refused = post({"contact_name": "刘先生", "consent": True})
    assert refused.status_code == 422 and "mobile" in refused.get_json()["errors"]
    lead = db.session.scalars(select(Lead)).one()
    assert lead.mobile_e164 is None and lead.channel == "api" and lead.assigned_to_id is not None


def test_the_public_form_requires_a_mobile_unless_an_admin_turns_that_off(client, auth, db):
    admin = UserFactory(role="admin", email="admin@example.com")
    form = {"contact_name": "陈女士", "wechat_id": "chen_wx88", "consent": "y"}
    refused = client.post("/inquiry", data=form)
    assert refused.status_code == 422 and errors_in(refused.get_data(as_text=True)) == ["请输入手机号码。"]
    assert 'class="req"' in client.get("/inquiry").get_data(as_text=True).split('id="mobile"')[0][-400:]

    auth.login("admin@example.com")
    saved = client.post("/admin/intake", data={"protection_days": "90"})  # box unticked
    assert saved.status_code == 302 and policy.current().public_mobile_required is False
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "intake_policy_edit")).one()
    assert entry.actor_id == admin.id and entry.new == {"public_mobile_required": False}
    auth.logout()

    accepted = client.post("/inquiry", data=form)
    assert accepted.status_code == 302 and "/thanks" in accepted.headers["Location"]
    assert db.session.scalars(select(Lead.wechat_id)).one() == "chen_wx88"
    alone = client.post("/inquiry", data={"contact_name": "陈女士", "consent": "y"})
    assert errors_in(alone.get_data(as_text=True)) == ["请填写手机号或微信号。"]


def test_the_intake_rules_page_refuses_a_bad_number_and_keeps_the_form(client, auth, db):
    UserFactory(role="admin", email="admin@example.com")
    auth.login("admin@example.com")
    response = client.post("/admin/intake", data={"public_mobile_required": "y",
                                                  "protection_days": "-5"})
    assert response.status_code == 422
    assert errors_in(response.get_data(as_text=True)) == ["请输入 0 到 730 之间的数字。"]
    assert policy.current().protection_days == 90


def test_wechat_only_prospects_are_not_one_person_and_are_found_again_by_their_id(client, db):
    site, key = make_site()
    UserFactory()
    first = known_wechat_only_lead(wechat_id="zhang_wx01")
    other = known_wechat_only_lead(wechat_id="li_wx0002")
    # No mobile is not a shared mobile: neither counts the other as asking again.
    assert scoring.repeat_count(first) == 0 and scoring.repeat_count(other) == 0

    response = client.post("/api/v1/inquiries", headers={"X-Api-Key": key},
                           content_type="application/json",
                           data=json.dumps({"contact_name": "张先生", "wechat": "zhang_wx01",
                                            "company": "另一家公司", "consent": True}))
    assert response.get_json()["status"] == "duplicate"
    repeat = db.session.scalars(select(InquiryRepeat)).one()
    assert repeat.original_lead_id == first.id and repeat.matched_on == "wechat"
    # A third WeChat-only prospect with a new ID is a new lead.
    client.post("/api/v1/inquiries", headers={"X-Api-Key": key}, content_type="application/json",
                data=json.dumps({"contact_name": "王先生", "wechat": "wang_wx03", "consent": True}))
    assert count(db) == 3


def test_a_stranger_sees_the_wechat_id_masked_and_reveals_it_audited(client, auth, db):
    team = TeamFactory()
    owner = UserFactory(team=team, email="owner@example.com")
    UserFactory(role="manager", team=team, email="boss@example.com")
    lead = wechat_only_lead(wechat_id="liu_factory88", assigned_to=owner, team=team)
    db.session.commit()
    auth.login("owner@example.com")
    queue = client.get("/agent/leads").get_data(as_text=True)
    assert "微信 liu_factory88" in queue
    auth.logout()

    stranger = UserFactory(team=TeamFactory(), email="other@example.com")
    lead.escalated_to = stranger      # may view the lead, is not its owner
    db.session.commit()
    auth.login("other@example.com")
    html = client.get(f"/agent/leads/{lead.id}").get_data(as_text=True)
    assert "li****88" in html and "liu_factory88" not in html
    revealed = client.post(f"/agent/leads/{lead.id}/reveal").get_data(as_text=True)
    assert "liu_factory88" in revealed
    assert db.session.scalars(select(AuditLog.action).where(
        AuditLog.entity_id == lead.id)).all() == ["reveal_contact"]


def test_a_person_known_only_by_wechat_is_erased_by_their_id(db):
    admin = UserFactory(role="admin")
    lead = wechat_only_lead(wechat_id="liu_factory88", message="微信聊过")
    kept = LeadFactory(wechat_id="someone_else")
    db.session.commit()
    assert rights.person_key("liu_factory88") == "liu_factory88"
    assert rights.person_key("133 9121 9793") == "+8613391219793"
    assert rights.person_key("同上") is None
    assert rights.erase_person("liu_factory88", admin) == 1
    db.session.expire_all()
    assert lead.wechat_id == "" and lead.message == "" and lead.erased_at is not None
    assert kept.wechat_id == "someone_else" and kept.erased_at is None


# --- 客户保护期: the agent's own clients ------------------------------------------------------

def test_a_contact_an_agent_brought_in_stays_theirs_through_the_protection_period(
        app, client, auth, db):
    """Issue 30: the same need asked again is a repeat on it, whoever types it or however
    old (撞单 names the owner); another need of that contact goes to the agent who brought
    them in while their protection lasts, then to whoever enters it."""
    owner = UserFactory(email="owner@example.com", name="李招商")
    me = UserFactory(email="me@example.com", name="王新人")
    with time_machine.travel(NOW, tick=False):
        auth.login("owner@example.com")
        assert enter(client, mobile="133 9121 9793", deal_type="rent",
                     property_type="factory", region_code="320583").status_code == 302
        auth.logout()
    mine = db.session.scalars(select(Lead).where(Lead.sourced_by_id == owner.id)).one()

    with time_machine.travel(NOW + timedelta(days=60), tick=False):
        auth.login("me@example.com")
        response = enter(client, mobile="13391219793", wechat_id="同手机号")
        html = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "李招商已在跟进这位客户" in html
        assert db.session.scalars(select(InquiryRepeat.original_lead_id)).all() == [mine.id]
        # Another need of theirs: a lead of its own, given to the protecting agent.
        response = enter(client, mobile="13391219793", deal_type="buy", property_type="land",
                         region_code="3401")
        html = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "李招商已在跟进这位客户" in html
        second = db.session.scalars(select(Lead).where(Lead.id != mine.id)).one()
        assert (second.assigned_to_id, second.contact_id, second.contact_seq) == (
            owner.id, mine.contact_id, 2)
        assert second.sourced_by_id is None

    with time_machine.travel(NOW + timedelta(days=100), tick=False):
        # The protection has run out: a third need stays with whoever enters it.
        auth.login("me@example.com")
        response = enter(client, mobile="13391219793", deal_type="rent", property_type="warehouse",
                         region_code="3101")
        assert response.headers["Location"].endswith("/agent/leads/3")
        third = db.session.scalars(select(Lead).order_by(Lead.id.desc()).limit(1)).one()
        assert third.contact_seq == 3 and third.assigned_to_id == me.id
        # The web form's same need is still a repeat on the open need (no window).
        client.post("/inquiry", data={"contact_name": "刘总", "mobile": "133 9121 9793",
                                      "consent": "y", "region_code": "320583"})
        assert count(db) == 3 and count(db, InquiryRepeat) == 2


def test_protection_off_keeps_a_new_need_with_whoever_enters_it(app, client, auth, db):
    admin = UserFactory(role="admin")
    policy.save(policy.IntakePolicy(protection_days=0), admin)
    owner = UserFactory(email="owner@example.com")
    me = UserFactory(email="me@example.com")
    with time_machine.travel(NOW, tick=False):
        known_lead(mobile_e164="+8613391219793", sourced_by=owner, assigned_to=owner,
                   created_at=utcnow(), status="lost")
    with time_machine.travel(NOW + timedelta(days=20), tick=False):
        auth.login("me@example.com")
        enter(client, mobile="13391219793")
        assert count(db) == 2 and count(db, InquiryRepeat) == 0
        lead = db.session.scalars(select(Lead).order_by(Lead.id.desc()).limit(1)).one()
        assert lead.assigned_to_id == me.id and lead.sourced_by_id == me.id

"""Managers edit routing from the UI; every route checks the role server-side."""
import pytest
from sqlalchemy import select

from crm.models import Lead, NotificationChannel, RoutingRule, User
from tests.conftest import errors_in
from tests.factories import ChannelFactory, LeadFactory, RuleFactory, TeamFactory, UserFactory

PAGES = ["/manage/routing/rules", "/manage/routing/rules/new", "/manage/routing/preview",
         "/manage/routing/agents"]


@pytest.mark.parametrize("url", PAGES + ["/manage/routing/channels"])
def test_agents_are_refused(client, auth, url):
    UserFactory(email="a@example.com")
    auth.login("a@example.com")
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", PAGES)
def test_managers_get_in(client, auth, url):
    UserFactory(email="m@example.com", role="manager")
    auth.login("m@example.com")
    assert client.get(url).status_code == 200


def test_channels_are_for_admins(client, auth):
    UserFactory(email="m@example.com", role="manager")
    auth.login("m@example.com")
    assert client.get("/manage/routing/channels").status_code == 403


def test_manager_creates_a_rule_that_then_routes(client, auth, db):
    zj_team = TeamFactory(is_default=False, name="浙江组")
    manager = UserFactory(email="m@example.com", role="manager", team=zj_team)
    zj_agent = UserFactory(team=zj_team)
    auth.login("m@example.com")
    response = client.post("/manage/routing/rules/new", data={
        "name": "浙江厂房", "position": "10", "active": "y", "region_code": "33",
        "property_type": "factory", "team_id": str(zj_team.id), "agent_id": "0",
        "strategy": "least_loaded", "sla_minutes": "20", "area_min_sqm": "1,000"})
    assert response.status_code == 302
    rule = db.session.scalars(select(RoutingRule)).one()
    assert (rule.region_code, rule.team_id, rule.strategy, rule.sla_minutes) == ("33", zj_team.id, "least_loaded", 20)
    assert rule.deal_type is None and rule.area_min_sqm == 1000
    assert "浙江厂房" in client.get("/manage/routing/rules").get_data(as_text=True)
    from crm.routing import engine
    lead = LeadFactory(region_code="3305", property_type="factory", area_max_sqm=2000)
    assert engine.route_lead(lead.id) == zj_agent.id
    assert manager  # the manager is not a routing candidate


def test_rule_form_errors_are_shown_next_to_fields(client, auth, db):
    UserFactory(email="m@example.com", role="manager")
    auth.login("m@example.com")
    response = client.post("/manage/routing/rules/new", data={
        "name": "", "position": "10", "team_id": "0", "agent_id": "0", "strategy": "round_robin",
        "sla_minutes": "0", "area_min_sqm": "5000", "area_max_sqm": "100"})
    assert response.status_code == 422
    errors = errors_in(response.get_data(as_text=True))
    assert "请为规则命名。" in errors or "Please name the rule." in errors
    assert len(errors) >= 4
    assert db.session.scalars(select(RoutingRule)).first() is None


def test_preview_shows_rule_and_agent_without_assigning(client, auth, db):
    team = TeamFactory(is_default=False)
    UserFactory(email="m@example.com", role="manager", team=team)
    agent = UserFactory(team=team, name="预览顾问")
    RuleFactory(team=team, name="合肥规则", region_code="3401")
    lead = LeadFactory(region_code="3401", team=team)
    auth.login("m@example.com")
    html = client.get(f"/manage/routing/preview?reference={lead.reference.lower()}").get_data(as_text=True)
    assert "合肥规则" in html and "预览顾问" in html
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).assigned_to_id is None
    assert agent.id


def test_manager_sets_an_agents_availability(client, auth, db):
    manager = UserFactory(email="m@example.com", role="manager")
    agent = UserFactory(team=manager.team)
    auth.login("m@example.com")
    response = client.post(f"/manage/routing/agents/{agent.id}", data={
        "active": "y", "on_leave": "y", "capacity": "15", "weight": "2", "work_start": "09:00",
        "work_end": "18:00", "covers_regions": ["33", "310117"], "covers_industries": ["nev"]})
    assert response.status_code == 302
    db.session.expire_all()
    agent = db.session.get(User, agent.id)
    assert agent.on_leave and agent.capacity == 15 and agent.weight == 2
    assert agent.region_list == ["33", "310117"] and agent.industry_list == ["nev"]


def test_manager_cannot_edit_another_teams_agent(client, auth):
    UserFactory(email="m@example.com", role="manager")
    other = UserFactory(team=TeamFactory(is_default=False))
    auth.login("m@example.com")
    assert client.get(f"/manage/routing/agents/{other.id}").status_code == 403


def test_admin_sees_failing_channels_and_adds_one(client, auth, db):
    admin = UserFactory(email="root@example.com", role="admin")
    ChannelFactory(user=admin, failures=3, last_error="HTTP 500")
    auth.login("root@example.com")
    html = client.get("/manage/routing/channels").get_data(as_text=True)
    assert "HTTP 500" in html and "failing" in html
    bad = client.post("/manage/routing/channels", data={
        "owner": f"user:{admin.id}", "kind": "webhook", "target": "not a url"})
    assert bad.status_code == 422
    ok = client.post("/manage/routing/channels", data={
        "owner": f"team:{admin.team_id}", "kind": "wecom",
        "target": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"})
    assert ok.status_code == 302
    assert db.session.scalars(select(NotificationChannel).where(
        NotificationChannel.team_id == admin.team_id)).one().kind == "wecom"


def test_agent_sees_what_needs_attention_first(client, auth, db):
    from datetime import date, timedelta

    from crm.models.types import utcnow
    me = UserFactory(email="me@example.com")
    due = LeadFactory(assigned_to=me, company="今天要跟进", next_follow_up_on=date(2020, 1, 1))
    late = LeadFactory(assigned_to=me, company="快超时了", sla_half_at=utcnow() - timedelta(minutes=1),
                       sla_due_at=utcnow() + timedelta(minutes=14))
    LeadFactory(assigned_to=me, company="普通线索")
    auth.login("me@example.com")
    html = client.get("/agent/leads").get_data(as_text=True)
    section = html[html.index('id="attention"'):html.index("</section>", html.index('id="attention"'))]
    assert due.reference in section and late.reference in section
    assert "普通线索" not in section


def test_pool_is_visible_to_the_team_and_the_first_claim_wins(client, auth, db):
    team = TeamFactory()
    me = UserFactory(team=team, email="me@example.com", on_leave=True)
    other = UserFactory(team=team, on_leave=True)
    outsider = UserFactory(team=TeamFactory(is_default=False), email="out@example.com")
    from crm.routing import engine
    lead = LeadFactory(company="池中线索")
    assert engine.route_lead(lead.id) is None  # everybody on leave: it waits in the pool
    auth.login("me@example.com")
    html = client.get("/agent/leads").get_data(as_text=True)
    assert 'id="pool"' in html and "池中线索" in html
    assert engine.claim(lead.id, other) is True  # a colleague is quicker
    response = client.post(f"/agent/leads/{lead.id}/claim")
    assert response.status_code == 302 and "/agent/leads" in response.headers["Location"]
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).assigned_to_id == other.id
    assert engine.claim(lead.id, outsider) is False
    assert me



def test_managers_edit_only_their_own_teams_rules_and_every_change_is_audited(client, auth, db):
    """Issue 14: any manager could create, edit or delete any rule, pulling another team's
    leads into theirs, and the preview showed any lead's company."""
    from crm.models import AuditLog
    mine, theirs = TeamFactory(is_default=False, name="一组"), TeamFactory(is_default=False, name="二组")
    UserFactory(email="m@example.com", role="manager", team=mine)
    their_rule = RuleFactory(team=theirs, name="二组规则")
    their_lead = LeadFactory(team=theirs, company="别组的公司")
    db.session.commit()
    auth.login("m@example.com")
    data = {"name": "抢线索", "position": "1", "active": "y", "team_id": str(theirs.id),
            "agent_id": "0", "strategy": "round_robin", "sla_minutes": "30", "deal_type": "",
            "property_type": "", "region_code": "", "industry": "", "channel": "",
            "source_site_id": "0"}
    assert client.post("/manage/routing/rules/new", data=data).status_code == 422
    assert client.get(f"/manage/routing/rules/{their_rule.id}").status_code == 403
    assert client.post(f"/manage/routing/rules/{their_rule.id}/delete").status_code == 403
    html = client.get(f"/manage/routing/preview?reference={their_lead.reference}").get_data(
        as_text=True)
    assert "别组的公司" not in html
    assert client.post("/manage/routing/rules/new",
                       data={**data, "name": "一组规则", "team_id": str(mine.id)}).status_code == 302
    rule = db.session.scalars(select(RoutingRule).where(RoutingRule.name == "一组规则")).one()
    assert client.post(f"/manage/routing/rules/{rule.id}",
                       data={**data, "name": "一组规则", "team_id": str(mine.id),
                             "sla_minutes": "20"}).status_code == 302
    entries = db.session.scalars(select(AuditLog).where(AuditLog.entity == "routing_rule")
                                 .order_by(AuditLog.id)).all()
    assert [e.action for e in entries] == ["rule_create", "rule_edit"]
    assert entries[1].old == {"sla_minutes": 30} and entries[1].new == {"sla_minutes": 20}

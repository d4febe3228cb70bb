"""Rule matching, strategies, caps, duty and coverage, escalation and preview."""
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from crm.models import Activity, Lead, RoutingRule
from crm.routing import engine
from tests.factories import LeadFactory, RuleFactory, TeamFactory, UserFactory

SH = ZoneInfo("Asia/Shanghai")


def owner(db, lead):
    db.session.expire_all()
    return db.session.get(Lead, lead.id).assigned_to_id


@pytest.mark.parametrize("rule_kwargs,lead_kwargs,matches", [
    ({}, {}, True),                                                          # catch-all
    ({"deal_type": "buy"}, {"deal_type": "buy"}, True),
    ({"deal_type": "buy"}, {"deal_type": "rent"}, False),
    ({"property_type": "land"}, {"property_type": "factory"}, False),
    ({"region_code": "33"}, {"region_code": "330522"}, True),  # sub-region
    ({"region_code": "3305"}, {"region_code": "3305"}, True),
    ({"region_code": "3305"}, {"region_code": "3301"}, False),
    ({"region_code": "330522"}, {"region_code": "3305"}, False),  # the city is wider than the rule
    ({"region_code": "33"}, {"region_code": None}, False),
    ({"industry": "nev"}, {"industry": "nev"}, True),
    ({"industry": "nev"}, {"industry": "ic"}, False),
    ({"channel": "api"}, {"channel": "web"}, False),
    ({"area_min_sqm": Decimal(5000)}, {"area_min_sqm": Decimal(2000), "area_max_sqm": Decimal(6000)}, True),
    ({"area_min_sqm": Decimal(5000)}, {"area_min_sqm": Decimal(2000), "area_max_sqm": Decimal(3000)}, False),
    ({"area_max_sqm": Decimal(1000)}, {"area_min_sqm": Decimal(2000)}, False),
    ({"area_min_sqm": Decimal(1)}, {}, False),                               # no area given
    ({"min_tax_wan": Decimal(500)}, {"annual_tax_wan": Decimal(500)}, True),
    ({"min_tax_wan": Decimal(500)}, {"annual_tax_wan": None}, False),
    ({"min_investment_wan": Decimal(30000)}, {"investment_wan": Decimal(29999)}, False),
])
def test_rule_conditions(db, rule_kwargs, lead_kwargs, matches):
    rule = RoutingRule(name="r", **rule_kwargs)
    lead = Lead(**{"deal_type": None, "property_type": None, "region_code": None, "industry": None,
                   "channel": "web", "area_min_sqm": None, "area_max_sqm": None,
                   "annual_tax_wan": None, "investment_wan": None, **lead_kwargs})
    assert engine.rule_matches(rule, lead) is matches


def test_first_matching_rule_wins_and_inactive_rules_are_ignored(db):
    land_team, zj_team, rest = TeamFactory(is_default=False), TeamFactory(is_default=False), TeamFactory()
    land_agent, zj_agent, rest_agent = UserFactory(team=land_team), UserFactory(team=zj_team), UserFactory(team=rest)
    RuleFactory(position=1, team=land_team, property_type="land", active=False)
    RuleFactory(position=2, team=zj_team, region_code="33")
    RuleFactory(position=3, team=land_team, property_type="land")
    RuleFactory(position=99, team=rest, name="兜底")
    zj_land = LeadFactory(property_type="land", region_code="3305")
    sh_land = LeadFactory(property_type="land", region_code="310115P01")
    other = LeadFactory(property_type="office", region_code="3401")
    for lead in (zj_land, sh_land, other):
        engine.route_lead(lead.id)
    assert owner(db, zj_land) == zj_agent.id
    assert owner(db, sh_land) == land_agent.id
    assert owner(db, other) == rest_agent.id
    assert db.session.get(Lead, other.id).rule.name == "兜底"


def test_least_loaded_picks_the_agent_with_fewest_open_leads(db):
    team = TeamFactory()
    busy, idle = UserFactory(team=team), UserFactory(team=team)
    RuleFactory(team=team, strategy="least_loaded")
    for _ in range(3):
        LeadFactory(assigned_to=busy, status="contacted", routed_at=datetime.now(SH))
    LeadFactory(assigned_to=idle, status="won", routed_at=datetime.now(SH))  # closed: not load
    LeadFactory(assigned_to=idle, status="qualified", routed_at=datetime.now(SH))
    leads = [LeadFactory() for _ in range(3)]
    for lead in leads:
        engine.route_lead(lead.id)
    assert [owner(db, lead) for lead in leads] == [idle.id, idle.id, busy.id]


def test_weighted_round_robin_is_proportional_and_interleaved(db):
    team = TeamFactory()
    heavy, light = UserFactory(team=team, weight=2), UserFactory(team=team, weight=1)
    RuleFactory(team=team, strategy="weighted")
    leads = [LeadFactory() for _ in range(6)]
    for lead in leads:
        engine.route_lead(lead.id)
    owners = [owner(db, lead) for lead in leads]
    assert owners.count(heavy.id) == 4 and owners.count(light.id) == 2
    assert owners[:3] == [heavy.id, light.id, heavy.id]


def test_agents_at_capacity_are_skipped_and_the_lead_waits_when_all_are(db):
    team = TeamFactory()
    a, b = UserFactory(team=team, capacity=1), UserFactory(team=team, capacity=2)
    leads = [LeadFactory() for _ in range(4)]
    for lead in leads:
        engine.route_lead(lead.id)
    owners = [owner(db, lead) for lead in leads]
    assert owners[:3].count(a.id) == 1 and owners[:3].count(b.id) == 2
    waiting = db.session.get(Lead, leads[3].id)
    assert waiting.assigned_to_id is None and waiting.team_id == team.id
    # A lead is closed: capacity frees up, and the sweeper's next pass assigns the waiting one.
    closed = db.session.get(Lead, leads[0].id)
    closed.status = "lost"
    db.session.commit()
    assert engine.route_lead(waiting.id) == closed.assigned_to_id


def test_on_leave_and_off_duty_agents_are_skipped(db):
    from datetime import time
    team = TeamFactory()
    UserFactory(team=team, on_leave=True, name="休假的")
    UserFactory(team=team, work_start=time(9), work_end=time(18), name="白班")
    night = UserFactory(team=team, work_start=time(18), work_end=time(9), name="夜班")
    lead = LeadFactory()
    with time_machine.travel(datetime(2026, 11, 23, 22, 0, tzinfo=SH), tick=False):
        assert engine.route_lead(lead.id) == night.id
    body = db.session.scalars(select(Activity.body).where(Activity.lead_id == lead.id)).one()
    assert "休假的" in body and "白班" in body  # the explanation says who was skipped and why


def test_nobody_on_duty_on_a_holiday_then_assigned_when_someone_comes_on(db):
    from datetime import time
    team = TeamFactory()
    agent = UserFactory(team=team, work_start=time(9), work_end=time(18))
    lead = LeadFactory(created_at=datetime(2026, 10, 1, 9, 58, tzinfo=SH))
    with time_machine.travel(datetime(2026, 10, 1, 10, 0, tzinfo=SH), tick=False):  # National Day
        assert engine.route_lead(lead.id) is None
    with time_machine.travel(datetime(2026, 10, 10, 9, 5, tzinfo=SH), tick=False):  # make-up Saturday
        assert engine.unrouted_lead_ids(0) == [lead.id]
        assert engine.route_lead(lead.id) == agent.id


def test_coverage_of_regions_and_industries(db):
    team = TeamFactory()
    UserFactory(team=team, covers_regions="31", name="上海的")
    zj = UserFactory(team=team, covers_regions="33,3205", covers_industries="nev,ic")
    assert engine.route_lead(LeadFactory(region_code="330523", industry="nev").id) == zj.id
    assert engine.route_lead(LeadFactory(region_code="320576", industry="ic").id) == zj.id
    assert engine.route_lead(LeadFactory(region_code="3305", industry="cosmetics").id) is None


def test_named_agent_target_and_fallback_to_their_team(db):
    team = TeamFactory()
    star, colleague = UserFactory(team=team), UserFactory(team=team)
    RuleFactory(team=None, agent=star, industry="ic")
    assert engine.route_lead(LeadFactory(industry="ic").id) == star.id
    star.on_leave = True
    db.session.commit()
    assert engine.route_lead(LeadFactory(industry="ic").id) == colleague.id


def test_big_projects_escalate_to_the_senior(db):
    team = TeamFactory()
    agent = UserFactory(team=team)
    senior = UserFactory(team=team, role="manager", is_senior=True, name="一把手")
    big = LeadFactory(investment_wan=Decimal("30000"))
    small = LeadFactory(investment_wan=Decimal("500"), annual_tax_wan=Decimal("10"))
    engine.route_lead(big.id)
    engine.route_lead(small.id)
    db.session.expire_all()
    assert db.session.get(Lead, big.id).assigned_to_id == agent.id
    assert db.session.get(Lead, big.id).escalated_to_id == senior.id
    assert db.session.get(Lead, small.id).escalated_to_id is None
    taxed = LeadFactory(investment_wan=None, annual_tax_wan=Decimal("1000"))
    engine.route_lead(taxed.id)
    assert db.session.get(Lead, taxed.id).escalated_to_id == senior.id


def test_preview_explains_without_writing(db):
    team = TeamFactory()
    agent = UserFactory(team=team, weight=3, name="预览对象")
    RuleFactory(team=team, strategy="weighted", region_code="33", name="浙江规则")
    lead = LeadFactory(region_code="3304")
    decision = engine.preview(lead)
    assert decision.agent.id == agent.id and decision.rule.name == "浙江规则"
    assert any("浙江规则" in line for line in decision.reasons)
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).assigned_to_id is None
    assert db.session.get(type(agent), agent.id).rr_credit == 0


def test_sla_deadline_is_set_in_working_minutes(db):
    team = TeamFactory()
    UserFactory(team=team)
    RuleFactory(team=team, sla_minutes=30)
    lead = LeadFactory()
    with time_machine.travel(datetime(2026, 11, 20, 17, 50, tzinfo=SH), tick=False):  # Friday
        engine.route_lead(lead.id)
    lead = db.session.get(Lead, lead.id)
    assert lead.sla_due_at == datetime(2026, 11, 23, 9, 20, tzinfo=SH)
    assert lead.sla_half_at == datetime(2026, 11, 23, 9, 5, tzinfo=SH)


def test_rule_on_source_site(db):
    from tests.factories import make_site
    site, _key = make_site()
    zj_team, rest = TeamFactory(is_default=False), TeamFactory()
    zj_agent, rest_agent = UserFactory(team=zj_team), UserFactory(team=rest)
    RuleFactory(team=zj_team, source_site_id=site.id, position=1)
    from_site = LeadFactory(source_site_id=site.id)
    elsewhere = LeadFactory()
    assert engine.route_lead(from_site.id) == zj_agent.id
    assert engine.route_lead(elsewhere.id) == rest_agent.id

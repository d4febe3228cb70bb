"""Routing step 0 (issue 30, design §2 step 4): one person, one agent. A new need of a known
contact goes to the agent protecting the contact (客户保护期), else to the owner of its open
needs; only a contact nobody holds goes by the rules."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import time_machine
from sqlalchemy import select

from crm.inputs.phone import parse_mobile
from crm.intake import capture
from crm.intake.inquiry import ContactInput, Inquiry, NeedInput, Source
from crm.models import Activity, Lead, Notification
from crm.routing import engine
from tests.factories import ChannelFactory, TeamFactory, UserFactory, known_lead

NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)   # a Monday, 10:00 in Shanghai
MOBILE = "+8613912345678"


def assignment(db, lead_id) -> str:
    return db.session.scalars(select(Activity.body).where(
        Activity.lead_id == lead_id, Activity.kind == "assignment")).one()


def test_new_need_goes_to_owner_of_open_needs(app, db):
    """The issue's walkthrough, routed: agent A works the contact's land need; their new
    factory need goes to A (not to the round-robin's next), told "1 other need"."""
    team = TeamFactory()
    first_in_turn = UserFactory(team=team, name="周一")
    owner = UserFactory(team=team, name="甲顾问")
    ChannelFactory(user=owner)
    with time_machine.travel(NOW - timedelta(days=200), tick=False):
        land = known_lead(mobile_e164=MOBILE, deal_type="buy", property_type="land",
                          region_code="3401", assigned_to=owner, team=team, status="contacted")
    with time_machine.travel(NOW, tick=False):
        outcome = capture.capture_inquiry(Inquiry(
            contact=ContactInput(name="王经理", mobile=parse_mobile(MOBILE),
                                 company="昆山锐驰精密有限公司"),
            need=NeedInput(deal_type="rent", property_type="factory", region_code="320583",
                           area_min=Decimal("2000"), area_max=Decimal("3000"),
                           annual_tax_wan=Decimal("300"), needs_eia=True, industry="新能源"),
            source=Source(channel="api"), consent=True))
    assert outcome.status == "new" and outcome.new_need and outcome.lead_id != land.id
    lead = db.session.get(Lead, outcome.lead_id)
    assert (lead.assigned_to_id, lead.team_id) == (owner.id, team.id)
    assert lead.assigned_to_id != first_in_turn.id
    body = assignment(db, lead.id)
    assert "同一联系人的其他需求由 甲顾问 跟进" in body and "此联系人还有 1 个其他需求" in body
    notice = db.session.scalars(select(Notification.body).where(
        Notification.lead_id == lead.id)).one()
    assert "此联系人还有 1 个其他需求" in notice


def test_protected_agent_wins(app, db):
    """The agent who brought the contact in keeps them for the protection period, over the
    owner of a newer open need, whatever their capacity."""
    team, other_team = TeamFactory(), TeamFactory(is_default=False)
    owner = UserFactory(team=team, name="甲顾问")
    protector = UserFactory(team=other_team, name="乙顾问", capacity=0)
    with time_machine.travel(NOW - timedelta(days=10), tick=False):
        known_lead(mobile_e164=MOBILE, sourced_by=protector, assigned_to=protector,
                   team=other_team, status="lost")
    with time_machine.travel(NOW - timedelta(days=5), tick=False):
        known_lead(mobile_e164=MOBILE, deal_type="buy", property_type="land",
                   assigned_to=owner, team=team, status="contacted")
    with time_machine.travel(NOW, tick=False):
        lead = known_lead(mobile_e164=MOBILE, deal_type="rent", property_type="office")
        engine.route_lead(lead.id)
    db.session.expire_all()
    lead = db.session.get(Lead, lead.id)
    assert (lead.assigned_to_id, lead.team_id) == (protector.id, other_team.id)
    body = assignment(db, lead.id)
    assert "客户保护期: 乙顾问" in body and "此联系人还有 1 个其他需求" in body


def test_protection_run_out_leaves_the_owner_of_open_needs(app, db):
    team = TeamFactory()
    owner = UserFactory(team=team, name="甲顾问")
    protector = UserFactory(team=team, name="乙顾问")
    with time_machine.travel(NOW - timedelta(days=120), tick=False):   # 90 days by default
        known_lead(mobile_e164=MOBILE, sourced_by=protector, assigned_to=owner, team=team,
                   status="contacted")
    with time_machine.travel(NOW, tick=False):
        lead = known_lead(mobile_e164=MOBILE, deal_type="buy")
        engine.route_lead(lead.id)
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).assigned_to_id == owner.id


def test_inactive_owner_falls_back_to_the_rules(app, db):
    team = TeamFactory()
    colleague = UserFactory(team=team, name="丙顾问")
    owner = UserFactory(team=team, name="甲顾问", active=False)
    with time_machine.travel(NOW - timedelta(days=3), tick=False):
        known_lead(mobile_e164=MOBILE, assigned_to=owner, team=team, status="qualified")
    with time_machine.travel(NOW, tick=False):
        lead = known_lead(mobile_e164=MOBILE, deal_type="buy")
        engine.route_lead(lead.id)
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).assigned_to_id == colleague.id
    body = assignment(db, lead.id)
    assert "甲顾问 跟进" not in body and "此联系人还有 1 个其他需求" in body


def test_a_batch_reads_the_contacts_needs_once(app, db):
    """Step 0 is read for the whole batch: one statement on lead for every contact in it."""
    from tests.support.sql import statements_run
    team = TeamFactory()
    owners = [UserFactory(team=team) for _ in range(3)]
    leads = []
    for i, owner in enumerate(owners):
        mobile = f"+86139123456{i:02d}"
        with time_machine.travel(NOW - timedelta(days=3), tick=False):
            known_lead(mobile_e164=mobile, assigned_to=owner, team=team, status="contacted")
        with time_machine.travel(NOW, tick=False):
            leads.append(known_lead(mobile_e164=mobile, deal_type="buy"))
    with time_machine.travel(NOW, tick=False), statements_run(db.engine) as seen:
        engine.route_batch(leads[0].id, more=10)
    db.session.expire_all()
    assert [db.session.get(Lead, lead.id).assigned_to_id for lead in leads] == [
        owner.id for owner in owners]
    assert sum("lead.contact_id IN" in s for s in seen) == 1

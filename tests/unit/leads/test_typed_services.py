"""Each service called with its typed input directly: no form, no request context."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm import people
from crm.inputs.phone import parse_mobile
from crm.inputs.prospect import ContactInput, NeedInput
from crm.leads import edit
from crm.listings import inventory
from crm.models import Activity, AuditLog, Listing, NotificationChannel, RoutingRule, User
from crm.notifications.channels import ChannelInput, add_channel
from crm.routing import settings
from tests.factories import LeadFactory, TeamFactory, UserFactory


def _audited(db, action):
    return db.session.scalars(select(AuditLog).where(AuditLog.action == action)).all()


def test_update_lead_takes_a_lead_edit(app, db):
    actor = UserFactory()
    lead = LeadFactory(assigned_to=actor)
    changed = edit.update_lead(lead, edit.LeadEdit(
        contact=ContactInput(name="刘先生", mobile=parse_mobile("13912345678"),
                             company="湖州新能源汽车零部件有限公司"),
        need=NeedInput(deal_type="rent", property_type="factory", area_min=Decimal("5"),
                       area_unit="mu", investment_wan=Decimal("5000"))), actor)
    assert changed["mobile_e164"] == "+8613912345678"
    assert changed["area_min_sqm"] == Decimal("3333.35") and changed["area_unit"] == "mu"
    assert "company" not in changed  # unchanged fields are not audited
    assert db.session.get(type(lead), lead.id).mobile_display == "139 1234 5678"
    assert [sorted(a.new) for a in _audited(db, "lead_edit")] == [sorted(changed)]
    assert db.session.scalars(select(Activity.kind).where(Activity.lead_id == lead.id)).all() == [
        "edit"]


def test_inventory_save_takes_a_listing_input(app, db):
    actor = UserFactory()
    listing = inventory.save(Listing(), inventory.ListingInput(
        title="长兴独栋厂房", property_type="factory", deal_type="rent", area=Decimal("30"),
        area_unit="mu", region_code="330522", price=Decimal("0.8"), price_negotiable=True),
        actor)
    stored = db.session.get(Listing, listing.id)
    assert (stored.area_sqm, stored.price, stored.created_by_id) == (
        Decimal("20000.10"), None, actor.id)
    assert [a.entity_id for a in _audited(db, "listing_create")] == [listing.id]


def test_save_rule_takes_a_rule_input(app, db):
    actor = UserFactory(role="manager")
    team = TeamFactory(is_default=False)
    rule = settings.save_rule(RoutingRule(), settings.RuleInput(
        name="浙江", region_code="33", deal_type="", team_id=team.id, agent_id=0), actor)
    stored = db.session.get(RoutingRule, rule.id)
    assert (stored.region_code, stored.deal_type, stored.team_id, stored.agent_id) == (
        "33", None, team.id, None)
    assert [a.entity_id for a in _audited(db, "rule_create")] == [rule.id]


def test_add_channel_takes_a_channel_input(app, db):
    team = TeamFactory()
    channel = add_channel(ChannelInput(kind="email", target="ops@example.com", team_id=team.id))
    stored = db.session.get(NotificationChannel, channel.id)
    assert (stored.team_id, stored.user_id, stored.secret) == (team.id, None, "")
    with pytest.raises(ValueError):
        add_channel(ChannelInput(kind="email", target="ops@example.com"))


def test_save_user_takes_a_user_input(app, db):
    admin = UserFactory(role="admin")
    data = people.UserInput(email="new@example.com", name="新同事", role="agent",
                            password="correct horse battery staple 42")
    assert "correct horse" not in repr(data)
    user = people.save_user(None, data, admin)
    stored = db.session.get(User, user.id)
    assert stored.check_password("correct horse battery staple 42")
    assert stored.must_change_password is True
    with pytest.raises(people.PeopleError) as refused:
        people.save_user(None, people.UserInput(email="NEW@example.com", name="又一个"), admin)
    assert refused.value.field == "email"

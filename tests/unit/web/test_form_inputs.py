"""Each service form makes the typed input its service takes (the view passes it on)."""
from datetime import date
from decimal import Decimal

from werkzeug.datastructures import MultiDict

from crm.inputs.phone import parse_mobile
from crm.inputs.prospect import ContactInput
from crm.leads.edit import LeadEdit
from crm.listings.inventory import ListingInput
from crm.notifications.channels import ChannelInput
from crm.people import UserInput
from crm.routing.settings import RuleInput
from crm.web.admin.forms import UserForm
from crm.web.agent.forms import AgentInquiryForm, LeadEditForm
from crm.web.listings.forms import ListingForm
from crm.web.routing_admin.forms import ChannelForm, RuleForm
from tests.factories import TeamFactory, UserFactory

NO_CSRF = {"csrf": False}


def test_the_listing_form_makes_a_listing_input(app):
    form = ListingForm(formdata=MultiDict({
        "title": "长兴独栋厂房", "property_type": "factory", "deal_type": "rent",
        "region_code": "330522", "area": "30亩", "area_unit": "sqm", "floors": "2",
        "power_kva": "2MVA", "crane_t": "0", "standalone": "no", "divisible": "y",
        "price_negotiable": "y", "available_from": "2027-01-15", "status": "available"}),
        meta=NO_CSRF)
    assert form.validate(), form.errors
    assert form.to_input() == ListingInput(
        title="长兴独栋厂房", property_type="factory", deal_type="rent", area=Decimal("30"),
        area_unit="mu", region_code="330522", floors=2, power_kva=2000, crane_t=Decimal("0"),
        standalone=False, divisible=True, price_negotiable=True,
        available_from=date(2027, 1, 15), status="available")


def test_the_rule_form_makes_a_rule_input(app, db):
    team = TeamFactory()
    form = RuleForm([team], [], [], formdata=MultiDict({
        "name": "浙江大项目", "position": "10", "active": "y", "deal_type": "",
        "region_code": "33", "area_min_sqm": "10亩", "min_tax_wan": "500", "team_id": str(team.id),
        "agent_id": "0", "source_site_id": "0", "strategy": "least_loaded", "sla_minutes": "60"}),
        meta=NO_CSRF)
    assert form.validate(), form.errors
    assert form.to_input() == RuleInput(
        name="浙江大项目", strategy="least_loaded", position=10, active=True, region_code="33",
        area_min_sqm=Decimal("6666.70"), min_tax_wan=Decimal("500"), team_id=team.id,
        sla_minutes=60)


def test_the_channel_form_makes_a_channel_input(app, db):
    team = TeamFactory()
    user = UserFactory()
    for owner, expected in ((f"team:{team.id}", {"team_id": team.id}),
                            (f"user:{user.id}", {"user_id": user.id})):
        form = ChannelForm([team], [user], formdata=MultiDict({
            "kind": "email", "target": "ops@example.com", "owner": owner}), meta=NO_CSRF)
        assert form.validate(), form.errors
        assert form.to_input() == ChannelInput(kind="email", target="ops@example.com", **expected)


def test_the_user_form_makes_a_user_input(app, db):
    team = TeamFactory()
    form = UserForm([team], formdata=MultiDict({
        "email": "new@example.com", "name": "新同事", "role": "manager", "team_id": str(team.id),
        "active": "y", "contact_phone": "0572-1234567", "password": ""}), meta=NO_CSRF)
    assert form.validate(), form.errors
    data = form.to_input()
    assert data == UserInput(email="new@example.com", name="新同事", role="manager",
                             team_id=team.id, active=True, contact_phone="0572-1234567")
    assert data.password is None


def test_the_lead_edit_form_makes_a_lead_edit(app):
    form = LeadEditForm(formdata=MultiDict({
        "contact_name": "王经理", "mobile": "13912345678", "company": "精工", "area_min": "3000",
        "area_unit": "sqm", "needs_crane": "y", "message": "改了面积"}), meta=NO_CSRF)
    assert form.validate(), form.errors
    edit = form.to_edit()
    assert isinstance(edit, LeadEdit) and edit.message == "改了面积"
    assert edit.contact == ContactInput(name="王经理", mobile=parse_mobile("13912345678"),
                                        company="精工")
    assert edit.need.area_min == Decimal("3000") and edit.need.needs_crane is True


def test_agent_entry_makes_an_inquiry_of_its_channel(app):
    form = AgentInquiryForm(formdata=MultiDict({
        "contact_name": "王经理", "wechat_id": "wang_jg01", "channel": "wechat",
        "consent": "y"}), meta=NO_CSRF)
    assert form.validate(), form.errors
    inquiry = form.to_inquiry(channel=form.channel.data)
    assert inquiry.source.channel == "wechat" and inquiry.contact.mobile is None


def test_a_required_figure_typed_as_nothing_is_its_please_enter_message(app):
    """A zero-width space or NUL passes InputRequired (something was sent) but reads as no
    figure: the field's own message, never a None handed on (a 500 before)."""
    for typed in ("\u200b", "\x00", "\u3000"):
        form = ListingForm(formdata=MultiDict({
            "title": "长兴独栋厂房", "property_type": "factory", "deal_type": "rent",
            "region_code": "330522", "area": typed, "area_unit": "sqm", "status": "available"}),
            meta=NO_CSRF)
        assert not form.validate()
        assert [str(e) for e in form.area.errors] == ["请填写面积。"], typed

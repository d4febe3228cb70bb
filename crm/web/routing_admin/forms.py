from decimal import Decimal

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TimeField,
)
from wtforms.validators import URL, DataRequired, Email, NumberRange, Optional, ValidationError

from crm import choices, regions
from crm.i18n import ui_language
from crm.inputs import webhooks
from crm.inputs.fields import LooseDecimalField, RegionField, clean, given, max_length, options
from crm.inputs.forms import Form
from crm.models.notification import CHANNEL_KINDS
from crm.models.routing_rule import STRATEGIES
from crm.notifications.channels import ChannelInput
from crm.routing.settings import RuleInput

STRATEGY_LABELS = {"round_robin": _l("Round-robin"), "least_loaded": _l("Least-loaded"),
                   "weighted": _l("Weighted round-robin")}
CHANNEL_LABELS = {"email": _l("Email"), "wecom": _l("WeCom group robot"),
                  "dingtalk": _l("DingTalk group robot"), "feishu": _l("Feishu group bot"),
                  "webhook": _l("Signed webhook")}
ANY = _l("(any)")


class RuleForm(Form):
    name = StringField(_l("Name"), filters=[clean],
                       validators=[DataRequired(_l("Please name the rule.")), max_length(80)])
    position = IntegerField(_l("Order"), default=100, validators=[
        NumberRange(0, 100000, _l("Please enter a number between 0 and 100000."))])
    active = BooleanField(_l("Active"), default=True)
    deal_type = SelectField(_l("Rent or buy"), choices=options(choices.DEAL_TYPES, blank=ANY), default="")
    property_type = SelectField(_l("Property type"), choices=options(choices.PROPERTY_TYPES, blank=ANY), default="")
    region_code = RegionField(_l("Region (and everything under it)"), validators=[Optional()])
    industry = SelectField(_l("Industry"), choices=options(choices.INDUSTRIES, blank=ANY), default="")
    channel = SelectField(_l("Channel"), choices=options(choices.CHANNELS, blank=ANY), default="")
    source_site_id = SelectField(_l("Source site"), coerce=int, default=0)
    # In ㎡; "30亩" is understood and turned into ㎡.
    area_min_sqm = LooseDecimalField(_l("Area from (㎡)"), maximum=Decimal("100000000"),
                                     kind="area", in_sqm=True, validators=[Optional()])
    area_max_sqm = LooseDecimalField(_l("Area to (㎡)"), maximum=Decimal("100000000"),
                                     kind="area", in_sqm=True, validators=[Optional()])
    min_tax_wan = LooseDecimalField(_l("Annual tax at least (10k yuan)"), kind="money",
                                    maximum=Decimal("100000000"), validators=[Optional()])
    min_investment_wan = LooseDecimalField(_l("Investment at least (10k yuan)"), kind="money",
                                           maximum=Decimal("1000000000"), validators=[Optional()])
    team_id = SelectField(_l("Team"), coerce=int)
    agent_id = SelectField(_l("Or a named agent"), coerce=int)
    strategy = SelectField(_l("Strategy"), choices=options((s, STRATEGY_LABELS[s]) for s in STRATEGIES))
    sla_minutes = IntegerField(_l("First contact within (working minutes)"), default=30, validators=[
        NumberRange(1, 7 * 24 * 60, _l("Please enter a number between 1 and 10080."))])
    reassign_on_breach = BooleanField(_l("Reassign to the next agent when the deadline passes"))

    def __init__(self, teams, agents, sites, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.source_site_id.choices = options([(0, ANY)] + [(s.id, s.name) for s in sites])
        self.team_id.choices = options([(0, "—")] + [(t.id, t.name) for t in teams])
        self.agent_id.choices = options([(0, "—")] + [(u.id, u.name) for u in agents])

    def validate_agent_id(self, field):
        if not field.data and not self.team_id.data:
            raise ValidationError(_l("Pick a team or an agent to send these leads to."))

    def validate_area_max_sqm(self, field):
        if (field.data is not None and self.area_min_sqm.data is not None
                and field.data < self.area_min_sqm.data):
            raise ValidationError(_l("The upper bound is smaller than the lower bound."))

    def to_input(self) -> RuleInput:
        """The validated form as crm.routing.settings.save_rule() takes it ("any", "—": None)."""
        return RuleInput(
            name=given(self.name.data), strategy=self.strategy.data, position=given(self.position.data),
            active=self.active.data, deal_type=self.deal_type.data or None,
            property_type=self.property_type.data or None,
            region_code=self.region_code.data or None, industry=self.industry.data or None,
            channel=self.channel.data or None, source_site_id=self.source_site_id.data or None,
            area_min_sqm=self.area_min_sqm.data, area_max_sqm=self.area_max_sqm.data,
            min_tax_wan=self.min_tax_wan.data, min_investment_wan=self.min_investment_wan.data,
            team_id=self.team_id.data or None, agent_id=self.agent_id.data or None,
            sla_minutes=given(self.sla_minutes.data), reassign_on_breach=self.reassign_on_breach.data)


class AgentSettingsForm(Form):
    active = BooleanField(_l("Active"))
    on_leave = BooleanField(_l("On leave"))
    is_senior = BooleanField(_l("Senior: also receives big projects"))
    capacity = IntegerField(_l("Most open leads at once"), validators=[
        Optional(), NumberRange(0, 100000, _l("Please enter a number between 0 and 100000."))])
    weight = IntegerField(_l("Weight (weighted round-robin)"), default=1, validators=[
        NumberRange(1, 100, _l("Please enter a number between 1 and 100."))])
    work_start = TimeField(_l("Working hours from"), validators=[Optional()])
    work_end = TimeField(_l("Working hours to"), validators=[Optional()])
    weekends_too = BooleanField(_l("Also works on rest days"))
    covers_regions = SelectMultipleField(_l("Regions covered (none: all)"))
    covers_industries = SelectMultipleField(_l("Industries covered (none: all)"),
                                            choices=options(choices.INDUSTRIES))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # WTForms calls choices given as a callable at each use; its stubs know only lists.
        self.covers_regions.choices = self._region_choices  # type: ignore[assignment]

    def _region_choices(self):
        """Provinces and cities (a few hundred), and a county or park the agent already covers."""
        offered = regions.choices(ui_language(), max_depth=2)
        known = {code for code, _label in offered}
        offered += [(code, regions.full_name(code, ui_language()) or code)
                    for code in (self.covers_regions.data or []) if code not in known]
        return options(offered)

    def validate_work_end(self, field):
        if bool(field.data) != bool(self.work_start.data):
            raise ValidationError(_l("Give both ends of the working hours, or neither."))


class ChannelForm(Form):
    kind = SelectField(_l("Kind"), choices=options((k, CHANNEL_LABELS[k]) for k in CHANNEL_KINDS))
    target = StringField(_l("Email address or webhook URL"), filters=[clean], validators=[
        DataRequired(_l("Please enter an address.")), max_length(500)])
    secret = StringField(_l("Signing secret (optional)"), filters=[clean], validators=[max_length(200)])
    owner = SelectField(_l("For"))

    def __init__(self, teams, users, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner.choices = options(
            [(f"team:{t.id}", f"{_l('Team')}: {t.name}") for t in teams]
            + [(f"user:{u.id}", u.name) for u in users])

    def validate_target(self, field):
        if self.kind.data == "email":
            Email(_l("Please enter a valid email address."), check_deliverability=False)(self, field)
        else:
            URL(require_tld=False, message=_l("Please enter an http(s) URL."))(self, field)
            if not field.data.isascii():
                raise ValidationError(_l("Please enter the URL with non-ASCII characters percent-encoded."))
            refused = webhooks.problem(field.data, current_app.config["CRM_WEBHOOK_ALLOW_LOCAL"])
            if refused:
                raise ValidationError(webhooks.REFUSED[refused])

    def to_input(self) -> ChannelInput:
        """The validated form as crm.notifications.channels.add_channel() takes it."""
        owner_kind, owner_id = self.owner.data.split(":")
        return ChannelInput(kind=self.kind.data, target=given(self.target.data),
                            secret=self.secret.data or "",
                            team_id=int(owner_id) if owner_kind == "team" else None,
                            user_id=int(owner_id) if owner_kind != "team" else None)

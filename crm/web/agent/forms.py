from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, ValidationError

from crm import choices
from crm.inputs.building import requirements_form_data
from crm.inputs.dates import DayField
from crm.inputs.fields import RegionField, clean, clean_multiline, max_length, options
from crm.inputs.forms import Form
from crm.intake.forms import InquiryForm
from crm.leads import edit
from crm.leads.edit import LeadEdit

ANY = _l("(any)")


class FollowUpForm(Form):
    kind = RadioField(_l("Kind"), choices=options(choices.FOLLOW_UP_KINDS), default="call")
    outcome = RadioField(_l("Outcome"), choices=options(choices.OUTCOMES),
                         validators=[Optional()])
    body = TextAreaField(_l("What happened"), filters=[clean_multiline],
                         render_kw={"rows": 2}, validators=[max_length(2000)])
    next_follow_up = DayField(_l("Next follow-up"), validators=[Optional()])
    # Optional: a follow-up at a time of day (Asia/Shanghai) is reminded before it.
    next_follow_up_time = TimeField(_l("At (time, optional)"), validators=[Optional()])

    def validate_next_follow_up_time(self, field):
        if field.data is not None and self.next_follow_up.data is None:
            raise ValidationError(_l("Please pick the day of the follow-up too."))

    def validate_body(self, field):
        # Two taps are enough: a kind and an outcome. Without an outcome, say what happened.
        if not field.data and not self.outcome.data:
            raise ValidationError(_l("Please write what happened."))


class StatusForm(Form):
    status = SelectField(_l("Move to"), validate_choice=True)
    lost_reason_id = SelectField(_l("Lost reason"), coerce=int, default=0, validate_choice=False)
    lost_reason = StringField(_l("Note"), filters=[clean], validators=[max_length(200)])
    # Negotiating on a listing: reserve it? Asked, never done silently (crm.listings.occupancy).
    reserve_listing_id = SelectField(_l("Reserve a listing for this negotiation?"), coerce=int,
                                     default=0, validate_choice=True)

    def __init__(self, allowed: tuple[str, ...], reasons=(), reservable=(), *args, **kwargs):
        """`allowed`: the stages it may move to, won excepted (won is the deal form's);
        `reservable`: the need's listings still available."""
        super().__init__(*args, **kwargs)
        self.status.choices = options((s, choices.STATUSES[s]) for s in allowed if s != "won")
        self.lost_reason_id.choices = options([(0, "—")] + [(r.id, r.name) for r in reasons])
        self.reserve_listing_id.choices = options(
            [(0, _l("No, do not reserve"))] + [(x.id, f"#{x.id} {x.title}") for x in reservable])


class AgentInquiryForm(InquiryForm):
    """A lead an agent types in from the 400 hotline or WeChat: the same validation as the
    public form, plus the channel it came through."""
    channel = RadioField(_l("Came in by"), choices=options(choices.MANUAL_CHANNELS),
                         default="phone",
                         validators=[InputRequired(_l("Please say how the lead came in."))])
    to_routing = BooleanField(_l("Hand it to routing (another agent may get it)"), default=False)

    def __init__(self, *args, **kwargs):
        # A WeChat contact may have given only their WeChat ID.
        super().__init__(*args, mobile_required=False, **kwargs)


class QueueFilterForm(Form):
    """The queue's filters: a GET form, so links and exports carry them."""
    class Meta:
        csrf = False

    tab = HiddenField(default="mine")
    q = StringField(_l("Search"), filters=[clean], render_kw={
        "placeholder": _l("Name, company, reference, last 4 digits"), "type": "search"},
        validators=[max_length(100)])
    status = SelectField(_l("Status"), choices=options(choices.STATUSES, blank=ANY), default="")
    need = SelectField(_l("Property type"), choices=options(choices.PROPERTY_TYPES, blank=ANY), default="")
    deal = SelectField(_l("Rent or buy"), choices=options(choices.DEAL_TYPES, blank=ANY), default="")
    region = RegionField(_l("Region"), validators=[Optional()])
    to_confirm = BooleanField(_l("Place to confirm"))
    industry = SelectField(_l("Industry"), choices=options(choices.INDUSTRIES, blank=ANY), default="")
    source = StringField(_l("Source (channel, utm_source or page)"), filters=[clean],
                         validators=[max_length(100)])
    date_from = DayField(_l("Received from"), validators=[Optional()])
    date_to = DayField(_l("Received to"), validators=[Optional()])
    score_min = IntegerField(_l("Score at least"), validators=[
        Optional(), NumberRange(0, 100, _l("Please enter a number between 0 and 100."))])
    agent_id = SelectField(_l("Agent"), coerce=int, default=0, validate_choice=True)
    team_id = SelectField(_l("Team"), coerce=int, default=0, validate_choice=True)

    def __init__(self, agents=(), teams=(), *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.agent_id.choices = options([(0, ANY)] + [(u.id, u.name) for u in agents])
        self.team_id.choices = options([(0, ANY)] + [(t.id, t.name) for t in teams])


class ReassignForm(Form):
    agent_id = SelectField(_l("Give to"), coerce=int, validate_choice=True)
    reason = StringField(_l("Reason"), filters=[clean], validators=[
        DataRequired(_l("Please give a reason.")), max_length(200)])

    def __init__(self, agents=(), *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.agent_id.choices = options([(u.id, u.name) for u in agents])


class MergeForm(Form):
    reference = StringField(_l("Reference of the duplicate lead"), filters=[clean], validators=[
        DataRequired(_l("Please enter a reference.")), max_length(20)])


class LeadEditForm(InquiryForm):
    """The inquiry form's fields and checks, without consent and attribution."""
    # WTForms removes an inherited field set to None; its stubs expect a field.
    consent = None  # type: ignore[assignment]
    page_url = None  # type: ignore[assignment]
    referrer = None  # type: ignore[assignment]
    utm_source = None  # type: ignore[assignment]
    utm_medium = None  # type: ignore[assignment]
    utm_campaign = None  # type: ignore[assignment]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, mobile_required=False, **kwargs)

    def to_edit(self) -> LeadEdit:
        """The validated form as crm.leads.edit.update_lead() takes it."""
        return LeadEdit(contact=self.contact_input(), need=self.need_input(),
                        message=self.message.data or "")


def lead_edit_data(lead) -> dict:
    """Form data for the edit form from a stored lead, in the unit the prospect used."""
    from crm.choices import SQM_PER_MU

    def area(value):
        if value is None:
            return None
        if lead.area_unit == "mu":
            return (value / Decimal(str(SQM_PER_MU))).quantize(Decimal("0.01"))
        return value

    return {"deal_type": lead.deal_type, "property_type": lead.property_type,
            "region_code": lead.region_code or "", "region_text": lead.region_text,
            "area_min": area(lead.area_min_sqm), "area_max": area(lead.area_max_sqm),
            "area_unit": lead.area_unit, "industry": lead.industry or "", "usage": lead.usage,
            "needs_eia": {True: "yes", False: "no"}.get(lead.needs_eia, "unknown"),
            "annual_tax_wan": lead.annual_tax_wan, "investment_wan": lead.investment_wan,
            "company": lead.company, "credit_code": lead.credit_code or "",
            "contact_name": lead.contact_name,
            **edit.contact_as_typed(lead), "message": lead.message,
            **requirements_form_data(lead)}

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from crm import choices
from crm.inputs.dates import DayField
from crm.inputs.fields import clean, database_id, given, max_length, options
from crm.inputs.forms import Form
from crm.intake.policy import MAX_PROTECTION_DAYS
from crm.people import UserInput
from crm.privacy import audit
from crm.web.auth.forms import AccountForm, StrongPassword


class UserForm(AccountForm):
    email = EmailField(_l("Email"), filters=[clean], validators=[
        DataRequired(_l("Please enter an email.")),
        Email(_l("Please enter a valid email address."), check_deliverability=False), max_length(254)])
    name = StringField(_l("Name"), filters=[clean], validators=[
        DataRequired(_l("Please enter a name.")), max_length(80)])
    role = SelectField(_l("Role"), choices=options(choices.ROLES), default="agent")
    team_id = SelectField(_l("Team"), coerce=int, default=0)
    active = BooleanField(_l("Active"), default=True)
    password = PasswordField(_l("Password"), validators=[Optional(), StrongPassword("email", "name")],
                             description=_l("The user chooses their own at the first login."))

    def __init__(self, teams, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.team_id.choices = options([(0, "—")] + [(t.id, t.name) for t in teams])

    def to_input(self) -> UserInput:
        """The validated form as crm.people.save_user() takes it."""
        return UserInput(email=given(self.email.data), name=given(self.name.data), role=self.role.data,
                         team_id=self.team_id.data or None, active=self.active.data,
                         contact_phone=self.contact_phone.data or "",
                         contact_wechat=self.contact_wechat.data or "",
                         password=self.password.data or None)


class PasswordResetForm(Form):
    password = PasswordField(_l("New password"), validators=[
        DataRequired(_l("Please enter a password.")), StrongPassword()],
        description=_l("The user must change it at the next login."))

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.password_hints = [user.email, user.name]


class TeamForm(Form):
    name = StringField(_l("Name"), filters=[clean], validators=[
        DataRequired(_l("Please enter a name.")), max_length(80)])
    is_default = BooleanField(_l("Default team (gets leads no rule takes)"))
    work_start = TimeField(_l("Working day starts"), validators=[Optional()])
    work_end = TimeField(_l("Working day ends"), validators=[Optional()],
                         description=_l("Used for first-contact deadlines and for members "
                                        "without their own shift; empty: the app's office hours."))
    lunch_start = TimeField(_l("Lunch break from"), validators=[Optional()])
    lunch_end = TimeField(_l("Lunch break until"), validators=[Optional()])
    weekends_too = BooleanField(_l("Also works on weekends and holidays"))


class AuditFilterForm(Form):
    class Meta:
        csrf = False

    action = SelectField(_l("Action"), default="", validate_choice=False, validators=[max_length(40)])
    entity = SelectField(_l("Entity"), default="", validate_choice=False, validators=[max_length(40)])
    entity_id = StringField(_l("Entity id"), filters=[clean], validators=[max_length(12)])
    actor_id = SelectField(_l("Who"), coerce=int, default=0)
    date_from = DayField(_l("From"), validators=[Optional()])
    date_to = DayField(_l("To"), validators=[Optional()])

    def validate_entity_id(self, field):
        # Ignored, an unreadable id would show the whole log instead of the one entity.
        if field.data and database_id(field.data) is None:
            raise ValidationError(_l("Please enter a whole number."))

    def __init__(self, users, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor_id.choices = options([(0, _l("(any)"))] + [(u.id, u.name) for u in users])
        self.action.choices = options([("", _l("(any)"))] + list(audit.ACTIONS.items()))
        self.entity.choices = options([("", _l("(any)"))] + list(audit.ENTITIES.items()))


class PersonForm(Form):
    # A person is found by their mobile, or by their WeChat ID when that is all they gave.
    mobile = StringField(_l("Mobile or WeChat ID"), filters=[clean], validators=[
        DataRequired(_l("Please enter a mobile number or a WeChat ID."))])


_HOTLINE = r"^\+?[0-9][0-9 \-()]{5,22}(转[0-9]{1,6})?$"


class BrandingForm(Form):
    brand_name = StringField(_l("Business name"), filters=[clean], validators=[max_length(40)],
                             description=_l("Shown to prospects on the form, the thank-you page "
                                            "and the auto-reply, e.g. 长三角厂房网."))
    hotline = StringField(_l("Hotline"), filters=[clean], validators=[
        max_length(30), Optional(),
        Regexp(_HOTLINE, message=_l("A phone number, e.g. 400-800-1234 or 0572-1234567."))])
    wechat = StringField(_l("WeChat"), filters=[clean], validators=[max_length(40)],
                         description=_l("A WeChat ID or official account prospects can add."))


class IntakePolicyForm(Form):
    public_mobile_required = BooleanField(
        _l("The public form requires a mobile number"),
        description=_l("Recommended: the hotline calls back by mobile within the SLA, and the "
                       "limit per mobile keeps one person from flooding the queue. Turned off, "
                       "a WeChat ID alone is accepted. Agent entry and the API always take a "
                       "mobile or a WeChat ID."))
    protection_days = IntegerField(
        _l("Client protection (days)"),
        description=_l("A lead an agent brought in stays theirs this long: whoever enters or "
                       "sends the same mobile or WeChat ID is linked to it and told who owns it. "
                       "0 turns protection off (the repeat window still applies)."),
        validators=[InputRequired(_l("Please enter a number of days.")),
                    NumberRange(0, MAX_PROTECTION_DAYS, _l(
                        "Please enter a number between 0 and %(max)d.", max=MAX_PROTECTION_DAYS))])

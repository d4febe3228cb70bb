from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError

from crm.inputs.dates import NOT_A_MONTH, MonthField
from crm.inputs.fields import LooseDecimalField, clean, clean_multiline, given, max_length
from crm.inputs.forms import Form
from crm.inputs.origins import parse_origins
from crm.inputs.spend import MAX_WAN, SpendInput, yuan


class SourceSiteForm(Form):
    name = StringField(_l("Name"), filters=[clean], validators=[
        DataRequired(_l("Please give the site a name.")), max_length(80)])
    origins = TextAreaField(_l("Allowed origins (one per line)"), filters=[clean_multiline],
                            validators=[max_length(2000)])
    active = BooleanField(_l("Active"), default=True)

    parsed_origins: list[str] = []

    def validate_origins(self, field):
        try:
            self.parsed_origins = parse_origins(field.data or "")
        except ValueError as exc:
            raise ValidationError(_l("Not an origin: %(value)s. Write it like "
                                     "https://www.example.cn (no path).",
                                     value=str(exc)[:80])) from None


class ConfirmForm(Form):
    """A button that posts (rotate a key, release a lead): the form carries only CSRF."""


class SpendForm(Form):
    """A month's spend on one source site or channel. `source` is "site:<id>" or
    "channel:<code>"; the view fills its choices and the team's (admins only)."""
    month = MonthField(_l("Month"), validators=[InputRequired(NOT_A_MONTH)])
    source = SelectField(_l("Source"), validators=[InputRequired(_l("Please pick a source."))])
    team = SelectField(_l("Team"), validators=[Optional()])
    amount = LooseDecimalField(_l("Amount (万元)"), kind="money", maximum=MAX_WAN, places=4,
                               validators=[InputRequired(_l("Please enter the amount spent."))])
    note = StringField(_l("Note"), filters=[clean], validators=[max_length(200)])

    def to_input(self, team_id: int | None) -> SpendInput:
        kind, _sep, value = given(self.source.data).partition(":")
        return SpendInput(month=given(self.month.data),
                          source_site_id=int(value) if kind == "site" else None,
                          channel=value if kind == "channel" else None, team_id=team_id,
                          amount_yuan=yuan(given(self.amount.data)), note=self.note.data or "")

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import Optional, ValidationError

from crm.inputs.dates import OUT_OF_RANGE, DayField, known_day
from crm.inputs.forms import Form

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class ReportFilterForm(Form):
    """The filters above every report, read from the query string (GET, no CSRF)."""

    class Meta:
        csrf = False

    start = DayField(_l("From"), name="from", validators=[Optional()])
    end = DayField(_l("To"), name="to", validators=[Optional()])
    team = SelectField(_l("Team"), validators=[Optional()])
    agent = SelectField(_l("Agent"), validators=[Optional()])
    dim = SelectField(_l("Break down by"), validators=[Optional()])
    month = StringField(_l("Month"), validators=[Optional()])
    by = SelectField(_l("Rank"), validators=[Optional()])

    def validate_month(self, field):
        if field.data and not _MONTH.match(field.data.strip()):
            raise ValidationError(_l("Please give a month as YYYY-MM, e.g. 2026-11."))
        if field.data and known_day(date(int(field.data[:4]), 1, 1)) is None:
            raise ValidationError(OUT_OF_RANGE)

    def validate_end(self, field):
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("The end date is before the start date; they were swapped."))

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Optional, ValidationError

from crm.inputs.forms import Form
from crm.reporting.scope import FIRST_DAY, LAST_DAY, known_day

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
OUT_OF_RANGE = _l("Please give a date between %(first)s and %(last)s.",
                  first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat())


class ReportFilterForm(Form):
    """The filters above every report, read from the query string (GET, no CSRF)."""

    class Meta:
        csrf = False

    start = DateField(_l("From"), name="from", validators=[Optional()])
    end = DateField(_l("To"), name="to", validators=[Optional()])
    team = SelectField(_l("Team"), validators=[Optional()])
    agent = SelectField(_l("Agent"), validators=[Optional()])
    dim = SelectField(_l("Break down by"), validators=[Optional()])
    month = StringField(_l("Month"), validators=[Optional()])

    def validate_month(self, field):
        if field.data and not _MONTH.match(field.data.strip()):
            raise ValidationError(_l("Please give a month as YYYY-MM, e.g. 2026-11."))
        if field.data and known_day(date(int(field.data[:4]), 1, 1)) is None:
            raise ValidationError(OUT_OF_RANGE)

    def validate_start(self, field):
        if field.data and known_day(field.data) is None:
            raise ValidationError(OUT_OF_RANGE)

    def validate_end(self, field):
        if field.data and known_day(field.data) is None:
            raise ValidationError(OUT_OF_RANGE)
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("The end date is before the start date; they were swapped."))

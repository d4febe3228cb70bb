from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, NumberRange

from crm.inputs.dates import DayField
from crm.inputs.fields import clean, clean_multiline, max_length, options
from crm.inputs.forms import Form

KINDS = [("holiday", _l("Holiday")), ("workday", _l("Make-up workday")),
         ("", _l("Ordinary day (Mon–Fri work)"))]


class DayForm(Form):
    day = DayField(_l("Date"), validators=[DataRequired(_l("Please pick a date."))])
    kind = SelectField(_l("The day is"), choices=options(KINDS), default="holiday")
    name = StringField(_l("Name (春节, 国庆节 …)"), filters=[clean], validators=[max_length(40)])


class NoticeForm(Form):
    year = IntegerField(_l("Year"), validators=[
        DataRequired(_l("Please enter the year.")),
        NumberRange(2000, 2100, _l("A year between 2000 and 2100, please."))])
    text = TextAreaField(_l("Text of the State Council's notice"), filters=[clean_multiline],
                         validators=[DataRequired(_l("Please paste the notice.")),
                                     max_length(20000)])
    confirm = HiddenField()

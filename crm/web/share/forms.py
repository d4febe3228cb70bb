from datetime import timedelta

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField, TimeField
from wtforms.validators import DataRequired, ValidationError

from crm.formatting import today_local
from crm.inputs.dates import DayField
from crm.inputs.fields import clean_multiline, max_length
from crm.inputs.forms import Form
from crm.web.fields import CheckboxesField


class VisitRequestForm(Form):
    """What a prospect fills on their recommendation page: no personal data asked."""
    preferred_date = DayField(_l("Preferred day"),
                               validators=[DataRequired(_l("Please pick a day."))])
    preferred_time = TimeField(_l("Preferred time"),
                               validators=[DataRequired(_l("Please pick a time."))])
    listing_ids = CheckboxesField(_l("Which properties?"), coerce=int)
    note = TextAreaField(_l("Anything we should know (optional)"), filters=[clean_multiline],
                         render_kw={"rows": 3}, validators=[max_length(500)])

    def validate_preferred_date(self, field):
        today = today_local()
        if field.data < today:
            raise ValidationError(_l("Please pick today or a later day."))
        if field.data > today + timedelta(days=180):
            raise ValidationError(_l("Please pick a day within the next six months."))

    def validate_listing_ids(self, field):
        if not field.data:
            raise ValidationError(_l("Please tick at least one property."))

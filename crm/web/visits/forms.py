from datetime import timedelta

from flask_babel import lazy_gettext as _l
from wtforms import (
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TimeField,
)
from wtforms.validators import DataRequired, Optional, ValidationError

from crm.formatting import today_local
from crm.inputs.dates import DayField
from crm.inputs.fields import clean, max_length, options
from crm.inputs.forms import Form
from crm.web.fields import CheckboxesField

DURATIONS = [(30, _l("30 minutes")), (60, _l("1 hour")), (90, _l("1½ hours")),
             (120, _l("2 hours")), (180, _l("3 hours")), (240, _l("4 hours")),
             (480, _l("a day"))]


class SiteVisitForm(Form):
    day = DayField(_l("Day"), validators=[DataRequired(_l("Please pick a day."))])
    start = TimeField(_l("Time"), validators=[DataRequired(_l("Please pick a time."))])
    duration = SelectField(_l("Duration"), coerce=int, choices=options(DURATIONS),
                           default=90)
    meeting_point = StringField(_l("Meeting point"), filters=[clean],
                                validators=[DataRequired(_l("Please say where to meet.")),
                                            max_length(200)],
                                render_kw={"placeholder": _l("e.g. park gate, 长兴经济开发区 north gate")})
    map_url = StringField(_l("Map link (optional)"), filters=[clean],
                          validators=[Optional(), max_length(500)])
    listing_ids = CheckboxesField(_l("Listings to see"), coerce=int)
    attendee_ids = CheckboxesField(_l("Who goes"), coerce=int)
    request_id = HiddenField()

    def validate_map_url(self, field):
        if field.data and not field.data.lower().startswith(("https://", "http://")):
            raise ValidationError(_l("A map link starts with https://"))

    def validate_listing_ids(self, field):
        if not field.data:
            raise ValidationError(_l("Please tick at least one listing."))

    def validate_attendee_ids(self, field):
        if not field.data:
            raise ValidationError(_l("Please tick who goes."))

    def validate_day(self, field):
        if field.data < today_local() - timedelta(days=1):
            raise ValidationError(_l("Please pick today or a later day."))


VERDICTS = [("1", _l("Liked")), ("0", _l("Not liked")), ("", _l("No verdict"))]


def feedback_form(stops, formdata=None):
    """One liked/why pair per listing of the visit."""
    class FeedbackForm(Form):
        pass
    for stop in stops:
        setattr(FeedbackForm, f"liked_{stop.listing_id}",
                RadioField(stop.listing.title, choices=options(VERDICTS), default="",
                           validators=[Optional()]))
        setattr(FeedbackForm, f"reason_{stop.listing_id}",
                StringField(_l("Why"), filters=[clean], validators=[max_length(300)]))
    return FeedbackForm(formdata=formdata) if formdata is not None else FeedbackForm()

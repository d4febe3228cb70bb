from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Optional

from crm import choices
from crm.inputs.fields import clean, clean_multiline, max_length, options
from crm.public.forms import InquiryForm


class FollowUpForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=options(choices.FOLLOW_UP_KINDS),
                       default="call")
    body = TextAreaField(_l("What happened"), filters=[clean_multiline], validators=[
        DataRequired(_l("Please write what happened.")), max_length(2000)])
    next_follow_up = DateField(_l("Next follow-up"), validators=[Optional()])


class StatusForm(FlaskForm):
    status = SelectField(_l("Move to"), validate_choice=True)
    lost_reason = StringField(_l("Lost reason"), filters=[clean], validators=[max_length(200)])

    def __init__(self, allowed: tuple[str, ...], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = options((s, choices.STATUSES[s]) for s in allowed)


class AgentInquiryForm(InquiryForm):
    """A lead an agent types in from the 400 hotline or WeChat: the same validation as the
    public form, plus the channel it came through."""
    channel = RadioField(_l("Came in by"), choices=options(choices.MANUAL_CHANNELS),
                         default="phone",
                         validators=[InputRequired(_l("Please say how the lead came in."))])

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional

from crm import choices
from crm.inputs.fields import clean, clean_multiline, max_length, options


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

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, ValidationError

from crm.inputs.fields import clean, clean_multiline, max_length
from crm.inputs.forms import Form
from crm.inputs.origins import parse_origins


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

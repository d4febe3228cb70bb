"""One rule for every field that reads what was typed into a value (a figure, a day, a
month): typed but read as nothing (a blank word such as 无, a full-width space, a zero-width
space) is, for a required field, as good as not typed. InputRequired lets it through, since
something was sent, and the form would hand a None on to the service (a 500)."""
from typing import cast

from wtforms import Field
from wtforms.validators import DataRequired, InputRequired, StopValidation


class NothingReadIsMissing:
    """Mixin for a WTForms field whose process_formdata may read text as None."""

    def pre_validate(self, form) -> None:
        field = cast(Field, self)
        if field.data is None and not field.errors and field.flags.required:
            message = next((v.message for v in field.validators
                            if isinstance(v, InputRequired | DataRequired) and v.message),
                           None) or field.gettext("This field is required.")
            raise StopValidation(message)

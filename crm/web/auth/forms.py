from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, ValidationError

from crm import people
from crm.inputs.fields import clean
from crm.inputs.forms import Form


class StrongPassword:
    """The password rules of crm.people, next to the field. `known` names the form's fields
    (email, name) a password must not be built from; a form's `password_hints` adds more."""

    def __init__(self, *known: str):
        self.known = known

    def __call__(self, form, field):
        if not field.data:
            return
        words = [getattr(form, name).data or "" for name in self.known]
        words += getattr(form, "password_hints", [])
        weakness = people.password_weakness(field.data, *words)
        if weakness:
            raise ValidationError(weakness)


class LoginForm(Form):
    email = EmailField(_l("Email"), filters=[clean],
                       validators=[DataRequired(_l("Please enter your email."))])
    password = PasswordField(_l("Password"),
                             validators=[DataRequired(_l("Please enter your password."))])
    remember = BooleanField(_l("Keep me logged in"))


class ChangePasswordForm(Form):
    current = PasswordField(_l("Current password"),
                            validators=[DataRequired(_l("Please enter your current password."))])
    password = PasswordField(_l("New password"),
                             validators=[DataRequired(_l("Please enter a password."))],
                             description=_l("At least 12 characters; a few unrelated words "
                                            "are easy to remember and hard to guess."))
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(_l("Please enter the new password again.")),
        EqualTo("password", _l("The two new passwords differ."))])

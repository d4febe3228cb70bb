from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, ValidationError

from crm import people
from crm.inputs.fields import clean, max_length
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


class AccountForm(Form):
    """The agent's contact details prospects see (own account page; admins on the user form)."""
    contact_phone = StringField(_l("Phone shown to prospects"), filters=[clean],
                                validators=[max_length(30)])
    contact_wechat = StringField(_l("WeChat ID shown to prospects"), filters=[clean],
                                 validators=[max_length(60)])

    def validate_contact_phone(self, field):
        allowed = set("0123456789+- ()")
        if field.data and (not set(field.data) <= allowed
                           or sum(c.isdigit() for c in field.data) < 7):
            raise ValidationError(_l("Please enter a phone number (digits, + and -)."))

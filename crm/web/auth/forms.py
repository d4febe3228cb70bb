from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired

from crm.inputs.fields import clean
from crm.inputs.forms import Form


class LoginForm(Form):
    email = EmailField(_l("Email"), filters=[clean],
                       validators=[DataRequired(_l("Please enter your email."))])
    password = PasswordField(_l("Password"),
                             validators=[DataRequired(_l("Please enter your password."))])
    remember = BooleanField(_l("Keep me logged in"))

import secrets

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select

from crm import people
from crm.extensions import db, login_manager
from crm.inputs.fields import database_id
from crm.models import User
from crm.web.auth.forms import LoginForm
from crm.web.security import local_target

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    user_id, _, token = session_id.partition(".")
    if database_id(user_id) is None:
        return None
    user = db.session.get(User, database_id(user_id))
    # A session from before a logout or password change no longer matches.
    if user is None or not token or not secrets.compare_digest(user.session_token, token):
        return None
    return user


def home_for(user: User) -> str:
    return url_for("reports.index") if user.is_manager else url_for("agent.my_leads")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalars(
            select(User).where(func.lower(User.email) == form.email.data.lower())).first()
        if user is not None and user.active and user.check_password(form.password.data):
            lang = session.get("lang")
            session.clear()  # a fresh session at login: no fixation
            if lang:
                session["lang"] = lang
            login_user(user, remember=form.remember.data)
            target = local_target(request.args.get("next")) or home_for(user)
            return redirect(target)
        flash(_("Wrong email or password."), "error")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    people.end_sessions(current_user)
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))

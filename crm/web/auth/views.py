import functools
import secrets
import time

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from crm import people
from crm.extensions import db, login_manager
from crm.inputs.fields import database_id, given
from crm.leads import agenda as agenda_service
from crm.models import User
from crm.people import update_contact
from crm.web.auth import bp, remember
from crm.web.auth.forms import AccountForm, ChangePasswordForm, LoginForm
from crm.web.pages import form_page
from crm.web.security import local_target


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


@login_manager.request_loader
def load_user_from_remember_cookie(req) -> User | None:
    """A session brought back by the remember-me cookie keeps its original login time."""
    remembered = remember.read(req)
    if remembered is None:
        return None
    user = load_user(remembered.session_id)
    if user is None:
        remember.forget()
        return None
    _fresh_session()
    if not login_user(user, fresh=False):
        remember.forget()
        return None
    session["login_at"], session["seen_at"] = remembered.login_at, int(time.time())
    return user


bp.after_app_request(remember.write_cookie)


def _fresh_session() -> None:
    """An empty session but for the language: no fixation, nothing of the last user."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


@functools.lru_cache(maxsize=1)
def _unknown_user_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


@bp.before_app_request
def end_old_sessions():
    """Idle and absolute session timeouts (CRM_SESSION_IDLE_MINUTES, CRM_SESSION_MAX_HOURS):
    a session left open on a shared PC in a park's office does not stay open for ever."""
    if not current_user.is_authenticated:
        return None
    config, now = current_app.config, int(time.time())
    login_at, seen_at = session.get("login_at"), session.get("seen_at")
    if login_at is None or seen_at is None:  # a session from before the timeouts existed
        session["login_at"] = session["seen_at"] = now
        return None
    if (now - seen_at > config["CRM_SESSION_IDLE_MINUTES"] * 60
            or now - login_at > config["CRM_SESSION_MAX_HOURS"] * 3600):
        logout_user()
        remember.forget()
        _fresh_session()
        flash(_("Your session has ended. Please log in again."), "error")
        return redirect(url_for("auth.login", next=request.full_path
                                if request.method == "GET" else None))
    if now - seen_at >= 60:  # written at most once a minute
        session["seen_at"] = now
    if current_user.must_change_password and request.endpoint not in _WHILE_MUST_CHANGE:
        flash(_("Please choose your own password before you go on."), "error")
        return redirect(url_for("auth.change_password"))
    return None


# What a user whose password an admin chose may still reach: the change itself, leaving,
# the language switch and the static files the page needs.
_WHILE_MUST_CHANGE = {"auth.change_password", "auth.logout", "public.set_language", "static"}


def home_for(user: User) -> str:
    return url_for("reports.index") if user.is_manager else url_for("agent.my_leads")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalars(
            select(User).where(func.lower(User.email) == given(form.email.data).lower())).first()
        # The same password hashing whether the email exists or not: the answer's timing
        # must not tell an outsider which emails have accounts.
        password = given(form.password.data)
        matches = (user.check_password(password) if user is not None
                   else check_password_hash(_unknown_user_hash(), password))
        if user is not None and user.active and matches:
            _fresh_session()  # at login: no fixation
            login_user(user)
            session["login_at"] = session["seen_at"] = int(time.time())
            if form.remember.data:
                remember.issue(user.get_id(), session["login_at"])
            else:
                remember.forget()
            target = local_target(request.args.get("next")) or home_for(user)
            return redirect(target)
        flash(_("Wrong email or password."), "error")
    return render_template("auth/login.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    form.password_hints = [current_user.email, current_user.name]
    if form.validate_on_submit():
        try:
            people.change_own_password(current_user, given(form.current.data), given(form.password.data))
        except people.PeopleError as exc:
            getattr(form, exc.field).errors = [exc.message]
        else:
            # The change ended every session of the user, this one too: start a fresh one
            # here (same absolute limit), the others stay ended.
            login_at = session.get("login_at")
            remembered = remember.read(request)
            login_user(current_user._get_current_object())
            session["login_at"], session["seen_at"] = login_at, int(time.time())
            if remembered is not None:  # this browser stays remembered, same login time
                remember.issue(current_user.get_id(), remembered.login_at)
            flash(_("Password changed. You were logged out everywhere else."), "success")
            return redirect(home_for(current_user))
    return form_page("auth/password.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    people.end_sessions(current_user)
    logout_user()
    remember.forget()
    session.clear()
    return redirect(url_for("auth.login"))


# --- the user's own account ------------------------------------------------------------

@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = AccountForm(obj=current_user if request.method == "GET" else None)
    if form.validate_on_submit():
        update_contact(current_user, current_user, form.contact_phone.data or "",
                       form.contact_wechat.data or "")
        flash(_("Saved."), "success")
        return redirect(url_for("auth.account"))
    return form_page("auth/account.html", form=form, feed_url=None)


@bp.route("/account/calendar", methods=["POST"])
@login_required
def calendar_token():
    """Make a new feed URL (the old one stops working), or turn the feed off."""
    if request.form.get("action") == "revoke":
        agenda_service.revoke_feed_token(current_user)
        flash(_("Calendar feed turned off; its link no longer works."), "success")
        return redirect(url_for("auth.account"))
    token = agenda_service.regenerate_feed_token(current_user)
    feed_url = url_for("share.calendar_feed", token=token, _external=True)
    return render_template("auth/account.html", form=AccountForm(obj=current_user),
                           feed_url=feed_url)

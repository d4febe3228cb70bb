"""Admin: users, teams, the audit log, and PIPL requests."""
import json
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from crm import branding, people
from crm.access import Role, role_required
from crm.extensions import db
from crm.inputs.fields import database_id, given
from crm.intake import policy
from crm.models import AuditLog, Team, User
from crm.privacy import audit, rights
from crm.web.admin import bp
from crm.web.admin.forms import (
    AuditFilterForm,
    BrandingForm,
    IntakePolicyForm,
    PasswordResetForm,
    PersonForm,
    TeamForm,
    UserForm,
)
from crm.web.pages import form_page


def _teams():
    return list(db.session.scalars(select(Team).order_by(Team.name)))


@bp.route("/")
@role_required(Role.ADMIN)
def index():
    return redirect(url_for("admin.users"))


@bp.route("/users")
@role_required(Role.ADMIN)
def users():
    rows = db.session.scalars(select(User).options(joinedload(User.team))
                              .order_by(User.active.desc(), User.name)).all()
    return render_template("admin/users.html", users=rows)


@bp.route("/users/new", methods=["GET", "POST"])
@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_user(user_id: int | None = None):
    user = db.session.get(User, user_id) if user_id else User()
    if user is None:
        abort(404)
    form = UserForm(_teams(), obj=user if user_id else None)
    if request.method == "GET" and user_id:
        form.team_id.data = user.team_id or 0
    if form.validate_on_submit():
        try:
            people.save_user(user if user_id else None, form.to_input(), current_user)
        except people.PeopleError as exc:
            getattr(form, exc.field).errors = [exc.message]
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.users"))
    return form_page("admin/user_form.html", form=form, user=user)


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def reset_password(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = PasswordResetForm(user)
    if form.validate_on_submit():
        people.reset_password(user, given(form.password.data), current_user)
        flash(_("Password changed."), "success")
        return redirect(url_for("admin.users"))
    return form_page("admin/password.html", form=form, user=user)


@bp.route("/teams")
@role_required(Role.ADMIN)
def teams():
    counts = dict(db.session.execute(select(User.team_id, func.count()).group_by(User.team_id)).tuples().all())
    return render_template("admin/teams.html", teams=_teams(), counts=counts)


@bp.route("/teams/new", methods=["GET", "POST"])
@bp.route("/teams/<int:team_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_team(team_id: int | None = None):
    team = db.session.get(Team, team_id) if team_id else Team()
    if team is None:
        abort(404)
    form = TeamForm(obj=team if team_id else None)
    if form.validate_on_submit():
        try:
            people.save_team(team if team_id else None, given(form.name.data), form.is_default.data,
                             current_user, {name: getattr(form, name).data for name in people.HOURS})
        except people.PeopleError as exc:
            getattr(form, exc.field).errors = [exc.message]
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.teams"))
    return form_page("admin/team_form.html", form=form, team=team)


@bp.route("/branding", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def branding_settings():
    form = BrandingForm(obj=branding.current())
    if form.validate_on_submit():
        branding.save({name: getattr(form, name).data for name in
                       ("brand_name", "hotline", "wechat")}, current_user)
        flash(_("Saved."), "success")
        return redirect(url_for("admin.branding_settings"))
    return form_page("admin/branding.html", form=form)


@bp.route("/intake", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def intake_policy():
    form = IntakePolicyForm(obj=policy.current())
    if form.validate_on_submit():
        policy.save(policy.IntakePolicy(public_mobile_required=form.public_mobile_required.data,
                                        protection_days=given(form.protection_days.data)), current_user)
        flash(_("Saved."), "success")
        return redirect(url_for("admin.intake_policy"))
    return form_page("admin/intake_policy.html", form=form)


@bp.route("/audit")
@role_required(Role.ADMIN)
def audit_log():
    staff = list(db.session.scalars(select(User).order_by(User.name)))
    form = AuditFilterForm(staff, formdata=request.args)
    stmt = select(AuditLog).options(joinedload(AuditLog.actor))
    valid = form.validate()
    if valid:
        tz = ZoneInfo(current_app.config["CRM_TIMEZONE"])
        if form.action.data:
            stmt = stmt.where(AuditLog.action == form.action.data)
        if form.entity.data:
            stmt = stmt.where(AuditLog.entity == form.entity.data)
        if (entity_id := database_id(form.entity_id.data)) is not None:
            stmt = stmt.where(AuditLog.entity_id == entity_id)
        if form.actor_id.data:
            stmt = stmt.where(AuditLog.actor_id == form.actor_id.data)
        if form.date_from.data:
            stmt = stmt.where(AuditLog.at >= datetime.combine(form.date_from.data, time(), tz)
                              .astimezone(UTC))
        if form.date_to.data:
            stmt = stmt.where(AuditLog.at < datetime.combine(form.date_to.data + timedelta(days=1),
                                                             time(), tz).astimezone(UTC))
    before = request.args.get("before", "")
    if (before_id := database_id(before)) is not None:
        stmt = stmt.where(AuditLog.id < before_id)
    # An invalid filter shows its error and no rows, never the unfiltered log.
    rows = list(db.session.scalars(stmt.order_by(AuditLog.id.desc()).limit(101))) if valid else []
    more = rows[99].id if len(rows) > 100 else None
    args = {k: v for k, v in request.args.items() if k != "before" and v}
    return render_template("admin/audit.html", form=form, entries=rows[:100], more=more, args=args,
                           actions=audit.ACTIONS, entities=audit.ENTITIES,
                           readable=audit.readable), 200 if valid else 400


def _person_mobile(form: PersonForm) -> str | None:
    if not form.validate_on_submit():
        return None
    key = rights.person_key(given(form.mobile.data))
    if key is None:
        form.mobile.errors = [_("Please enter a mobile number or a WeChat ID.")]
    return key


@bp.route("/privacy", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def privacy_requests():
    form = PersonForm()
    leads, mobile = [], None
    if request.method == "POST":
        mobile = _person_mobile(form)
        if mobile:
            leads = rights.leads_of(mobile)
            audit.record_access(current_user, "pipl_lookup", "person", None,
                                {"found": len(leads)})
    return form_page("admin/privacy.html", form=form, leads=leads, mobile=mobile,
                     refused=mobile is None)


@bp.route("/privacy/export", methods=["POST"])
@role_required(Role.ADMIN)
def privacy_export():
    form = PersonForm()
    mobile = _person_mobile(form)
    if mobile is None:
        return render_template("admin/privacy.html", form=form, leads=[], mobile=None), 422
    data = rights.export_person(mobile, current_user)
    return Response(json.dumps(data, ensure_ascii=False, indent=2),
                    mimetype="application/json; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename=personal-data.json"})


@bp.route("/privacy/erase", methods=["POST"])
@role_required(Role.ADMIN)
def privacy_erase():
    """Two steps: first what will be removed, named; then, confirmed, the erase (audited)."""
    form = PersonForm()
    mobile = _person_mobile(form)
    if mobile is None:
        return render_template("admin/privacy.html", form=form, leads=[], mobile=None), 422
    if request.form.get("confirm") != "yes":
        return render_template("admin/privacy_erase.html", form=form, mobile=mobile,
                               preview=rights.erase_preview(mobile))
    count = rights.erase_person(mobile, current_user)
    flash(_("%(n)d lead(s) anonymised.", n=count), "success")
    return redirect(url_for("admin.privacy_requests"))

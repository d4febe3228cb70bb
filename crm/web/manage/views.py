"""Admin and manager pages: source sites (admin), the spam review queue and the sources'
spend (manager)."""
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from crm import access, choices
from crm.access import Role, role_required
from crm.extensions import db
from crm.inputs.dates import DateError, parse_month
from crm.inputs.fields import database_id, given
from crm.inputs.spend import YUAN_PER_WAN
from crm.intake import capture, sites, spend
from crm.models import Lead, SourceSite, SourceSpend
from crm.models.types import utcnow
from crm.web.manage import bp
from crm.web.manage.forms import ConfirmForm, SourceSiteForm, SpendForm
from crm.web.pages import form_page
from crm.web.qr import svg_response


@bp.route("/sites")
@role_required(Role.ADMIN)
def site_list():
    rows = db.session.scalars(select(SourceSite).order_by(SourceSite.name)).all()
    return render_template("manage/sites.html", sites=rows)


@bp.route("/sites/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def site_new():
    form = SourceSiteForm()
    if form.validate_on_submit():
        name = given(form.name.data)
        if sites.name_taken(name):
            form.name.errors = [*form.name.errors, _("A site with this name exists.")]
        else:
            site, api_key = sites.create_site(name, form.parsed_origins,
                                              form.active.data)
            # The key is shown on this answer only; it is stored as a hash.
            return _site_page(site, api_key=api_key)
    return form_page("manage/site_form.html", form=form, site=None)


def _site_page(site: SourceSite, form: SourceSiteForm | None = None, api_key: str | None = None,
               status: int = 200):
    if form is None:
        form = SourceSiteForm(obj=site)
    return render_template("manage/site_form.html", form=form, site=site, api_key=api_key,
                           confirm=ConfirmForm()), status


def _site_or_404(site_id: int) -> SourceSite:
    site = db.session.get(SourceSite, site_id)
    if site is None:
        abort(404)
    return site


@bp.route("/sites/<int:site_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def site_edit(site_id: int):
    site = _site_or_404(site_id)
    if request.method == "GET":
        return _site_page(site)
    form = SourceSiteForm()
    if form.validate_on_submit():
        name = given(form.name.data)
        if sites.name_taken(name, except_id=site.id):
            form.name.errors = [*form.name.errors, _("A site with this name exists.")]
        else:
            sites.update_site(site, name, form.parsed_origins, form.active.data)
            flash(_("Saved."), "success")
            return redirect(url_for("manage.site_edit", site_id=site.id))
    return _site_page(site, form, status=422)


@bp.route("/sites/<int:site_id>/qr.svg")
@role_required(Role.ADMIN)
def site_qr(site_id: int):
    site = _site_or_404(site_id)
    url = url_for("public.inquiry", utm_source=site.name, utm_medium="qr", _external=True)
    return svg_response(url, f"site-{site.id}.svg")


@bp.route("/sites/<int:site_id>/rotate-key", methods=["POST"])
@role_required(Role.ADMIN)
def site_rotate_key(site_id: int):
    site = _site_or_404(site_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _site_page(site, api_key=sites.rotate_api_key(site))


@bp.route("/spam")
@role_required(Role.MANAGER)
def spam_list():
    per_page = current_app.config["LEADS_PER_PAGE"]
    stmt = select(Lead).where(Lead.status == "spam")
    before = database_id(request.args.get("before"))
    if before:
        stmt = stmt.where(Lead.id < before)
    leads = list(db.session.scalars(stmt.order_by(Lead.id.desc()).limit(per_page + 1)))
    older = leads[per_page - 1].id if len(leads) > per_page else None
    return render_template("manage/spam.html", leads=leads[:per_page], older=older,
                           confirm=ConfirmForm())


@bp.route("/spam/<int:lead_id>/release", methods=["POST"])
@role_required(Role.MANAGER)
def spam_release(lead_id: int):
    lead = db.session.get(Lead, lead_id)
    if lead is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if lead.status == "spam":
        capture.release_spam(lead, current_user)
        flash(_("Lead %(ref)s released into routing.", ref=lead.reference), "success")
    return redirect(url_for("manage.spam_list"))


# --- what the sources cost (the Source ROI report reads it) ------------------------------

@bp.route("/spend")
@role_required(Role.MANAGER)
def spend_list():
    try:
        month = parse_month(request.args.get("month"))
    except DateError as exc:
        flash(str(exc.message), "error")
        month = None
    rows = spend.listing(current_user, month)
    return render_template("manage/spend.html", rows=rows, month=month, confirm=ConfirmForm(),
                           channels=choices.CHANNELS,
                           may_add=access.can_edit_spend(current_user, current_user.team_id)
                           or current_user.is_admin)


def _spend_form(form: SpendForm) -> SpendForm:
    site_rows = db.session.execute(select(SourceSite.id, SourceSite.name)
                                   .order_by(SourceSite.name)).all()
    form.source.choices = [("", _("Pick a source"))] + [
        (f"site:{sid}", _("Site: %(name)s", name=name)) for sid, name in site_rows] + [
        (f"channel:{code}", _("Channel: %(name)s", name=str(label)))
        for code, label in choices.CHANNELS.items()]
    if current_user.is_admin:
        form.team.choices = [("", _("Whole company"))] + [
            (str(t.id), t.name) for t in access.visible_teams(current_user)]
    else:
        del form.team   # a manager's spend is their team's, whatever is posted
    return form


def _team_id(form: SpendForm) -> int | None:
    if current_user.is_admin:
        return database_id(form.team.data)
    return current_user.team_id


def _spend_or_404(spend_id: int) -> SourceSpend:
    row = db.session.get(SourceSpend, spend_id)
    if row is None:
        abort(404)
    if not access.can_edit_spend(current_user, row.team_id):
        abort(403)
    return row


def _save_spend(form: SpendForm, row: SourceSpend | None):
    """Validate and save; None when the page must be shown again (errors next to fields)."""
    if not form.validate_on_submit():
        return None
    data = form.to_input(_team_id(form))
    if not access.can_edit_spend(current_user, data.team_id):
        abort(403)
    try:
        saved = spend.save(current_user, data, row)
    except spend.DuplicateSpend:
        form.source.errors = [*form.source.errors, _(
            "This source already has a spend for that month; edit that entry instead.")]
        return None
    flash(_("Saved."), "success")
    return redirect(url_for("manage.spend_list", month=f"{saved.month:%Y-%m}"))


@bp.route("/spend/new", methods=["GET", "POST"])
@role_required(Role.MANAGER)
def spend_new():
    if not current_user.is_admin and not access.can_edit_spend(current_user,
                                                              current_user.team_id):
        abort(403)
    form = _spend_form(SpendForm())
    if request.method == "GET":   # this month, in the CRM's zone
        zone = ZoneInfo(current_app.config["CRM_TIMEZONE"])
        form.month.data = utcnow().astimezone(zone).date().replace(day=1)
    return _save_spend(form, None) or form_page("manage/spend_form.html", form=form, row=None)


@bp.route("/spend/<int:spend_id>", methods=["GET", "POST"])
@role_required(Role.MANAGER)
def spend_edit(spend_id: int):
    row = _spend_or_404(spend_id)
    form = _spend_form(SpendForm())
    if request.method == "GET":
        form.month.data = row.month
        form.source.data = (f"site:{row.source_site_id}" if row.source_site_id
                            else f"channel:{row.channel}")
        if current_user.is_admin:
            form.team.data = str(row.team_id or "")
        form.amount.data = row.amount_yuan / YUAN_PER_WAN
        form.note.data = row.note
    return _save_spend(form, row) or form_page("manage/spend_form.html", form=form, row=row,
                                               confirm=ConfirmForm())


@bp.route("/spend/<int:spend_id>/delete", methods=["POST"])
@role_required(Role.MANAGER)
def spend_delete(spend_id: int):
    row = _spend_or_404(spend_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    month = f"{row.month:%Y-%m}"
    spend.delete(current_user, row)
    flash(_("Deleted."), "success")
    return redirect(url_for("manage.spend_list", month=month))

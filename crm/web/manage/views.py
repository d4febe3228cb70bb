"""Admin and manager pages: source sites (admin) and the spam review queue (manager)."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from crm.access import Role, role_required
from crm.extensions import db
from crm.inputs.fields import database_id, given
from crm.intake import capture, sites
from crm.models import Lead, SourceSite
from crm.web.manage import bp
from crm.web.manage.forms import ConfirmForm, SourceSiteForm
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

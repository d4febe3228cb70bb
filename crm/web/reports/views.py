"""Manager reports: dashboard, funnel, speed to lead, ranking, pipeline, sources, new and
returning contacts, exports.

Who sees what is decided on the server (crm.access, crm.reporting.scope): a manager their team,
an agent their own figures (speed and ranking only), an admin everything. The figures are
read inside a crm.reads.reports() block (the reports replica when there is a healthy one),
rendering included: the page says how fresh they are.
"""
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import (
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from crm import access, reads
from crm.access import role_required
from crm.extensions import db
from crm.i18n import ui_language
from crm.inputs.fields import database_id
from crm.models import ExportJob
from crm.models.types import utcnow
from crm.reporting import catalog, exports, rollup
from crm.reporting.forecast import forecast_months
from crm.reporting.scope import scope_for, visible_agents
from crm.web.reports import bp
from crm.web.reports.forms import ReportFilterForm
from crm.web.security import allow_inline_styles


@bp.before_request
def charts_may_style_themselves():
    # Report pages run no inline script (charts read JSON data blocks from a static file),
    # but ECharts positions its tooltips with style attributes.
    allow_inline_styles()


# The breakdown a report opens with when the URL names none.
DEFAULT_DIMENSION = {"sources": "page", "contacts": "channel"}


def report_view(name: str):
    """The report's least role, from the catalog, checked by the one role decorator."""
    return role_required(catalog.REPORTS[name].role)


class Filters:
    """The filter form, validated, and the scope it gives for the current user."""

    def __init__(self, report: catalog.Report):
        config = current_app.config
        self.tz = config["CRM_TIMEZONE"]
        self.today = utcnow().astimezone(ZoneInfo(self.tz)).date()
        form = ReportFilterForm(formdata=request.args)
        teams = access.visible_teams(current_user)
        form.team.choices = [("", _("All teams") if len(teams) != 1 else teams[0].name)] + [
            (str(t.id), t.name) for t in teams if len(teams) > 1]
        agents = visible_agents(current_user, _int(form.team.data))
        form.agent.choices = ([("", _("All agents"))] if current_user.is_manager else []) + [
            (str(a.id), a.name) for a in agents]
        form.dim.choices = ([("", _("No breakdown"))] if report.name == "funnel" else []) + \
            catalog.breakdowns(report)
        form.by.choices = [(k, str(label)) for k, label in (report.orders or {}).items()]
        form.validate()
        self.form, self.report = form, report
        start = form.start.data if not form.start.errors else None
        end = form.end.data if not form.end.errors else None
        if report.name == "forecast" and start is None and end is None:
            start, end = forecast_months(self.today)
        start = start or (end or self.today) - timedelta(days=29)
        end = end or self.today
        if end < start:
            start, end = end, start
        team_id = _int(form.team.data) if not form.team.errors else None
        agent_id = _int(form.agent.data) if not form.agent.errors else None
        self.scope = scope_for(current_user, start, end, self.tz, team_id, agent_id)
        self.dim = form.dim.data if form.dim.data and not form.dim.errors else None
        if report.name in DEFAULT_DIMENSION and not self.dim:
            self.dim = DEFAULT_DIMENSION[report.name]
        self.order = (form.by.data if report.orders and form.by.data and not form.by.errors
                      else None)
        self.month = None
        if report.uses_month:
            text = (form.month.data or "").strip()
            if text and not form.month.errors:
                self.month = date(int(text[:4]), int(text[5:]), 1)
            else:
                self.month = self.today.replace(day=1)
            form.month.data = f"{self.month:%Y-%m}"
        form.start.data, form.end.data = start, end

    def args(self, **extra) -> dict:
        out = {"from": self.scope.start.isoformat(), "to": self.scope.end.isoformat()}
        if self.form.team.data and not self.form.team.errors:
            out["team"] = self.form.team.data
        if self.form.agent.data and not self.form.agent.errors:
            out["agent"] = self.form.agent.data
        if self.dim:
            out["dim"] = self.dim
        if self.month:
            out["month"] = f"{self.month:%Y-%m}"
        if self.order:
            out["by"] = self.order
        return out | extra


def _int(value) -> int | None:
    return database_id(value)


def _render(name: str, **context):
    report = catalog.REPORTS[name]
    filters = Filters(report)
    pages = [catalog.REPORTS[p] for p in catalog.PAGES if catalog.may_open(current_user, p)]
    with reads.reports() as freshness:
        result = catalog.compute(name, filters.scope, dim=filters.dim, month=filters.month,
                                 sla_minutes=current_app.config["CRM_SLA_MINUTES"],
                                 order=filters.order)
        return render_template(f"reports/{name}.html", report=report, result=result,
                               filters=filters, form=filters.form, pages=pages,
                               tables=result.tables(), freshness=freshness,
                               sla_minutes=current_app.config["CRM_SLA_MINUTES"],
                               rollup_days=rollup.ROLLUP_AFTER_DAYS,
                               rollup_error=rollup.STATED_ERROR, **context)


@bp.route("/")
@report_view("dashboard")
def index():
    return _render("dashboard")


@bp.route("/funnel")
@report_view("funnel")
def funnel():
    return _render("funnel")


@bp.route("/speed")
@report_view("speed")
def speed():
    return _render("speed")


@bp.route("/ranking")
@report_view("ranking")
def ranking():
    return _render("ranking")


@bp.route("/pipeline")
@report_view("pipeline")
def pipeline():
    return _render("pipeline")


@bp.route("/forecast")
@report_view("forecast")
def forecast():
    return _render("forecast")


@bp.route("/sources")
@report_view("sources")
def sources():
    return _render("sources")


@bp.route("/contacts")
@report_view("contacts")
def contacts():
    return _render("contacts")


@bp.route("/deals")
@report_view("deals")
def deals():
    return _render("deals")


@bp.route("/parks")
@report_view("parks")
def parks():
    return _render("parks")


@bp.route("/occupancy")
@report_view("occupancy")
def occupancy():
    return _render("occupancy")


@bp.route("/roi")
@report_view("roi")
def roi():
    return _render("roi")


# POST: an export writes an audit entry and may start a job; a link (GET) could be
# triggered from another site. The filters stay in the query string.
@bp.route("/<name>/export.<fmt>", methods=["POST"])
@login_required
def export(name: str, fmt: str):
    if fmt not in exports.FORMATS or name not in catalog.REPORTS:
        abort(404)
    if not catalog.may_open(current_user, name):
        abort(403)
    filters = Filters(catalog.REPORTS[name])
    params = exports.Params(filters.args(lang=ui_language()))
    with reads.exporting():
        large = exports.is_large(name, filters.scope)
        data = None if large else exports.render(name, filters.scope, params, fmt)
    if data is None:
        job = exports.start_job(current_user, name, fmt, params)
        return redirect(url_for("reports.export_job", job_id=job.id))
    return Response(data, mimetype=exports.MIME[fmt], headers={
        "Content-Disposition": f'attachment; filename="{exports.download_name(name, filters.scope, fmt)}"'})


def _own_job(job_id: int) -> ExportJob:
    job = db.session.get(ExportJob, job_id)
    if job is None:
        abort(404)
    if not access.owns_job(current_user, job.user_id):
        abort(403)
    return job


def _job_state(job: ExportJob) -> dict:
    return {"id": job.id, "status": job.status, "progress": job.progress,
            "rows_done": job.rows_done, "rows_total": job.rows_total, "error": job.error,
            "download_url": url_for("reports.export_download", job_id=job.id)
            if job.status == "done" else None}


@bp.route("/exports/<int:job_id>")
@login_required
def export_job(job_id: int):
    job = _own_job(job_id)
    return render_template("reports/export_job.html", job=job, state=_job_state(job),
                           report=catalog.REPORTS.get(job.report))


@bp.route("/exports/<int:job_id>/status")
@login_required
def export_status(job_id: int):
    return jsonify(_job_state(_own_job(job_id)))


@bp.route("/exports/<int:job_id>/download")
@login_required
def export_download(job_id: int):
    job = _own_job(job_id)
    path = exports.job_path(job)
    if path is None:
        abort(404)
    return send_file(path, mimetype=exports.MIME[job.fmt], as_attachment=True,
                     download_name=f"{job.report}-{job.id}.{job.fmt}")

"""Import leads from a spreadsheet: upload, map the columns, dry run, import with progress."""
from collections.abc import Sequence

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField
from wtforms import BooleanField, RadioField, SelectField

from crm import access
from crm.access import Role, role_required
from crm.extensions import db
from crm.i18n import ui_language
from crm.inputs.fields import options
from crm.inputs.forms import Form
from crm.intake import importer, sheets
from crm.intake.forms import InquiryForm
from crm.models import ImportJob
from crm.web.imports import bp
from crm.web.pages import form_page
from crm.web.security import larger_body

FILE_ERRORS = {
    "type": _l("Please upload a .csv or .xlsx file."),
    "empty": _l("The file has no rows."),
    "too_many": _l("The file has more than %(rows)s rows: please split it into several files."),
    "encoding": _l("The CSV file is neither UTF-8 nor GBK text."),
    "csv": _l("The CSV file cannot be read."),
    "xlsx": _l("The Excel file cannot be read."),
    "too_wide": _l("The file has more than %(columns)s columns, or a cell of more than %(chars)s "
                   "characters: a lead list has neither."),
    "too_big": _l("The Excel file is too large once unpacked."),
}


def file_error(code: str) -> str:
    return str(FILE_ERRORS.get(code, FILE_ERRORS["xlsx"])) % {
        "rows": current_app.config["CRM_IMPORT_MAX_ROWS"], "columns": sheets.MAX_COLUMNS,
        "chars": sheets.MAX_CELL_CHARS}


class UploadForm(Form):
    file = FileField(_l("CSV or Excel file"))


class MappingForm(Form):
    duplicates = RadioField(
        _l("A prospect already in the CRM (same mobile or WeChat ID)"), default="skip", choices=options({
            "skip": _l("Skip the row"), "link": _l("Import it and link it to the earlier lead")}))
    route = BooleanField(_l("Route the imported leads to agents (else they wait in my team's pool)"),
                         default=True)
    targets: Sequence[tuple[str, SelectField]] = ()  # (target, its column's field): mapping_form()

    def mapping(self) -> dict[str, int]:
        return {target: field.data for target, field in self.targets
                if field.data is not None and field.data >= 0}


def target_label(target: str):
    return getattr(InquiryForm, target).args[0]  # the inquiry form's own label


def mapping_form(headers: list[str]) -> MappingForm:
    """A select per form field, listing the file's columns."""
    column_choices = options([(-1, "—")] + [(i, h or f"#{i + 1}") for i, h in enumerate(headers)])
    form_class = type("FileMappingForm", (MappingForm,), {
        f"col_{target}": SelectField(target_label(target), coerce=int, default=-1,
                                     choices=column_choices)
        for target in importer.TARGETS})
    form = form_class()
    form.targets = [(target, form[f"col_{target}"]) for target in importer.TARGETS]
    return form


def _next_page(job: ImportJob) -> str:
    """Read: on to the columns; else the page that follows the task."""
    if job.status == "uploaded":
        return url_for("imports.mapping", job_id=job.id)
    return url_for("imports.progress_page", job_id=job.id)


def _job(job_id: int) -> ImportJob:
    job = db.session.get(ImportJob, job_id) or abort(404)
    if not access.owns_job(current_user, job.created_by_id):
        abort(403)
    return job


@bp.route("/", methods=["GET", "POST"])
# Spreadsheets are bigger than the inquiry form the global limit is made for; marked on the
# view so the limit holds from the first read of the body (the CSRF check's, before any hook).
@larger_body("CRM_IMPORT_MAX_BYTES")
@role_required(Role.MANAGER)
def upload():
    form = UploadForm()
    if form.validate_on_submit():
        upload_file = form.file.data
        if not upload_file or not upload_file.filename:
            form.file.errors = [_("Please choose a file.")]
        else:
            try:
                job = importer.create_job(upload_file.filename, upload_file.read(), current_user)
            except importer.ImportFileError as exc:
                form.file.errors = [file_error(str(exc))]
            else:
                if job.status != "failed":
                    return redirect(_next_page(job))
                form.file.errors = [file_error(job.error)]  # read at once (no broker)
    return form_page("imports/upload.html", form=form)


@bp.route("/<int:job_id>/mapping", methods=["GET", "POST"])
@role_required(Role.MANAGER)
def mapping(job_id: int):
    job = _job(job_id)
    if job.status != "uploaded":
        return redirect(url_for("imports.progress_page", job_id=job.id))
    form = mapping_form(job.headers)
    if request.method == "GET":
        for target, field in form.targets:
            field.data = job.mapping.get(target, -1)
        form.duplicates.data = job.duplicates
        form.route.data = job.route
    if form.validate_on_submit():
        chosen = form.mapping()
        if "contact_name" not in chosen or not {"mobile", "wechat_id"} & set(chosen):
            flash(_("Please pick the columns for the contact person and the mobile or the "
                    "WeChat ID."), "error")
        else:
            importer.save_mapping(job, chosen, form.duplicates.data, form.route.data)
            return redirect(url_for("imports.dry_run", job_id=job.id))
    return render_template("imports/mapping.html", form=form, job=job,
                           sample=job.rows[:3])


@bp.route("/<int:job_id>/dry-run", methods=["GET", "POST"])
@role_required(Role.MANAGER)
def dry_run(job_id: int):
    job = _job(job_id)
    if job.status != "uploaded":
        return redirect(url_for("imports.progress_page", job_id=job.id))
    if request.method == "POST":
        Form().validate_on_submit() or abort(400)
        importer.start(job)
        return redirect(url_for("imports.progress_page", job_id=job.id))
    return render_template("imports/dry_run.html", **_dry_run_context(job, ask=True))


@bp.route("/<int:job_id>/dry-run/result")
@role_required(Role.MANAGER)
def dry_run_result(job_id: int):
    # Polled by the dry-run page until the task has written the outcome.
    return render_template("imports/_dry_run.html", **_dry_run_context(_job(job_id), ask=False))


def _dry_run_context(job: ImportJob, ask: bool) -> dict:
    names = {name: str(target_label(name)) for name in importer.TARGETS}
    names.update(area_unit=str(target_label("area_unit")), needs_eia=str(target_label("needs_eia")))
    return {"job": job, "result": importer.dry_run_for(job, ui_language(), ask=ask),
            "names": names, "form": Form()}


@bp.route("/<int:job_id>")
@role_required(Role.MANAGER)
def progress_page(job_id: int):
    job = _job(job_id)
    importer.read_again_if_lost(job)  # the page, not its polls: a reload retries
    return render_template("imports/progress.html", job=job, file_error=file_error)


@bp.route("/<int:job_id>/progress")
@role_required(Role.MANAGER)
def progress(job_id: int):
    job = _job(job_id)
    response = make_response(render_template("imports/_progress.html", job=job,
                                              file_error=file_error))
    if job.status == "uploaded":  # read by the task: on to the columns
        response.headers["HX-Redirect"] = url_for("imports.mapping", job_id=job.id)
    return response

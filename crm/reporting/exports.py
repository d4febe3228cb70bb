"""Reports as CSV or XLSX files.

Small exports are written in the request. Big ones (many leads in the scope, or a long
lead list) become an ExportJob: a Celery task writes the file under the instance folder
(CRM_EXPORT_DIR) and records its progress; the user polls and downloads it when done.
The task re-applies the user's permissions from the stored filters, so a job never
shows more than its owner may see when it runs. The figures are read through crm.reads
(the reports replica when there is a healthy one); the jobs' rows through db.session.
"""
import csv
import io
import json
import logging
import os
import re
import secrets
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from crm import choices, reads, regions
from crm.extensions import db
from crm.formatting import whole_sqm
from crm.i18n import force_locale, ui_language
from crm.inputs.dates import DateError, parse_day
from crm.inputs.fields import database_id
from crm.jobs import RUN_EXPORT, enqueue
from crm.leads.stages import PIPELINE
from crm.models import ExportJob, Lead, LostReason, Team, User
from crm.models.sql import seconds_between
from crm.models.types import utcnow
from crm.reporting import catalog, rollup
from crm.reporting.pipeline import lost_reason_label
from crm.reporting.scope import Scope, known_day, scope_for
from crm.reporting.tables import Column, Table

log = logging.getLogger(__name__)
FORMATS = ("csv", "xlsx")
BATCH = 2000
MIME = {"csv": "text/csv",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
# A cell starting with these is a formula to a spreadsheet: page URLs and lost reasons come
# from outside, so they are written as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

LEAD_COLUMNS = [
    Column("reference", _l("Reference"), "text"), Column("created", _l("Received"), "text"),
    Column("channel", _l("Channel"), "text"), Column("status", _l("Status"), "text"),
    Column("stage_reached", _l("Furthest stage"), "text"),
    Column("lost_reason", _l("Lost reason"), "text"), Column("lost_note", _l("Lost note"), "text"),
    Column("team", _l("Team"), "text"),
    Column("agent", _l("Agent"), "text"),
    Column("minutes_to_contact", _l("Minutes to first contact"), "minutes"),
    Column("company", _l("Company"), "text"),
    Column("property_type", _l("Property type"), "text"), Column("region", _l("Region"), "text"),
    Column("industry", _l("Industry track"), "text"),
    Column("investment", _l("Investment (10k yuan)"), "wan"),
    Column("tax", _l("Annual tax (10k yuan)"), "wan"), Column("page_url", _l("Source page"), "text"),
    Column("utm_source", _l("UTM source"), "text"), Column("utm_medium", _l("UTM medium"), "text"),
    Column("utm_campaign", _l("UTM campaign"), "text"),
]


class Params:
    """The filters of an export, as they came in the URL (re-validated when used)."""

    def __init__(self, raw: dict):
        self.raw = {k: str(v) for k, v in raw.items() if k in
                    ("from", "to", "team", "agent", "dim", "month", "by", "lang") and v not in (None, "")}

    def day(self, key: str, default: date) -> date:
        try:
            return parse_day(self.raw.get(key, "")) or default
        except DateError:
            return default

    def number(self, key: str) -> int | None:
        return database_id(self.raw.get(key, ""))

    def month(self) -> date | None:
        value = self.raw.get("month", "")
        if re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
            return known_day(date(int(value[:4]), int(value[5:]), 1))
        return None

    def json(self) -> str:
        return json.dumps(self.raw, sort_keys=True)


def scope_from(user: User, params: Params, now=None) -> Scope:
    tz = current_app.config["CRM_TIMEZONE"]
    now = now or utcnow()
    today = now.astimezone(ZoneInfo(tz)).date()
    start = params.day("from", today - timedelta(days=29))
    end = params.day("to", today)
    if end < start:
        start, end = end, start
    return scope_for(user, start, end, tz, params.number("team"), params.number("agent"), now)


def tables_for(report: str, scope: Scope, params: Params) -> list[Table]:
    # An export is the exact figure one click away from a page whose long range shows
    # estimated percentiles: never from the rollups' digests.
    with rollup.exact():
        result = catalog.compute(report, scope, full=True,
                                 sla_minutes=current_app.config["CRM_SLA_MINUTES"],
                                 dim=params.raw.get("dim"), month=params.month(),
                                 order=params.raw.get("by"))
        return result.tables()


# Writing ---------------------------------------------------------------------------------

def _cell(value, kind: str):
    if value is None:
        return None
    if kind == "pct":
        return round(value * 100, 1)
    if kind == "sqm":
        return whole_sqm(value)   # as the page shows it: 20,000, not 20000.1
    if isinstance(value, (int, float)):
        return value
    return str(value)


def _header(column: Column) -> str:
    label = str(column.label)
    return f"{label} (%)" if column.kind == "pct" and label != "%" else label


class _CsvWriter:
    def __init__(self, stream):
        stream.write("\ufeff")  # Excel in China opens UTF-8 CSV correctly only with a BOM
        self.out = csv.writer(stream)
        self.tables = 0

    def table(self, title, columns, several: bool):
        if several:
            if self.tables:
                self.out.writerow([])
            self.out.writerow([str(title)])
        self.tables += 1
        self.out.writerow([_header(c) for c in columns])

    def row(self, values):
        self.out.writerow(["'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else
                           ("" if v is None else v) for v in values])


def _width(column: Column) -> int:
    """Characters wide: addresses wide, names and labels medium, figures narrow."""
    if column.key in ("page_url", "key"):
        return 48
    if column.kind == "text":
        return 22
    return 14


class _XlsxWriter:
    def __init__(self):
        # openpyxl (~6 MiB) only in the process that writes a workbook, not in every worker.
        from openpyxl import Workbook
        self.book = Workbook(write_only=True)
        self.sheet = None
        self.titles = set()

    def table(self, title, columns, several: bool):
        name = re.sub(r"[\[\]:*?/\\]", " ", str(title))[:28] or "Sheet"
        while name in self.titles:
            name = name[:26] + f"_{len(self.titles)}"
        self.titles.add(name)
        self.sheet = self.book.create_sheet(name)
        from openpyxl.utils import get_column_letter
        # Widths before the first row (a write-only sheet cannot change them later).
        for i, column in enumerate(columns, start=1):
            self.sheet.column_dimensions[get_column_letter(i)].width = _width(column)
        self.sheet.append([_header(c) for c in columns])

    def row(self, values):
        from openpyxl.cell import WriteOnlyCell
        sheet = self.sheet
        assert sheet is not None, "table() opens the sheet first"
        cells = []
        for v in values:
            if isinstance(v, str):
                cell = WriteOnlyCell(sheet, value=v)
                cell.data_type = "s"  # never a formula, whatever the text starts with
                cells.append(cell)
            else:
                cells.append(v)
        sheet.append(cells)

    def save(self, target):
        self.book.save(target)


def write(report: str, scope: Scope, params: Params, fmt: str, target,
          progress=lambda done, total: None) -> int:
    """Write the export to `target` (a path or a binary stream). Returns the rows written."""
    lang = params.raw.get("lang", "zh_CN")
    with force_locale("en" if lang == "en" else "zh_CN"):
        writer: _XlsxWriter | _CsvWriter
        text = io.StringIO() if fmt == "csv" else None
        if text is not None:
            writer = _CsvWriter(text)
        elif fmt == "xlsx":
            writer = _XlsxWriter()
        else:
            raise ValueError(f"unknown export format {fmt!r}")
        rows = 0
        if report == "leads":
            total = count_leads(scope)
            progress(0, total)
            writer.table(_l("Leads (list)"), LEAD_COLUMNS, False)
            for batch in lead_batches(scope):
                for row in batch:
                    writer.row([_cell(row[c.key], c.kind) for c in LEAD_COLUMNS])
                rows += len(batch)
                progress(rows, total)
        else:
            tables = tables_for(report, scope, params)
            progress(0, 1)
            for table in tables:
                writer.table(table.title, table.columns, len(tables) > 1)
                for row in table.all_rows():
                    writer.row([_cell(row.get(c.key), c.kind) for c in table.columns])
                    rows += 1
        if text is not None:
            data = text.getvalue().encode("utf-8")
            if isinstance(target, (str, os.PathLike)):
                with open(target, "wb") as fh:
                    fh.write(data)
            else:
                target.write(data)
        elif isinstance(writer, _XlsxWriter):
            writer.save(target)
    return rows


def render(report: str, scope: Scope, params: Params, fmt: str) -> bytes:
    buffer = io.BytesIO()
    write(report, scope, params, fmt, buffer)
    return buffer.getvalue()


def download_name(report: str, scope: Scope, fmt: str) -> str:
    return f"{report}-{scope.start:%Y%m%d}-{scope.end:%Y%m%d}.{fmt}"


# The lead list ----------------------------------------------------------------------------

def count_leads(scope: Scope) -> int:
    return reads.session().scalar(
        select(func.count()).select_from(Lead).where(*scope.leads())) or 0


def lead_batches(scope: Scope, size: int = BATCH):
    """Rows of the lead list, by id (keyset), a batch at a time; no contact details."""
    zone = ZoneInfo(current_app.config["CRM_TIMEZONE"])
    agent = aliased(User)
    after = 0
    while True:
        rows = reads.session().execute(
            select(Lead.id, Lead.reference, Lead.created_at, Lead.channel, Lead.status,
                   Lead.stage_rank, lost_reason_label().label("reason"),
                   Lead.lost_reason.label("note"), Team.name.label("team"),
                   agent.name.label("agent"),
                   seconds_between(Lead.first_contact_at, Lead.created_at).label("contact_s"),
                   Lead.company, Lead.property_type, Lead.region_code, Lead.industry,
                   Lead.investment_wan,
                   Lead.annual_tax_wan, Lead.page_url, Lead.utm_source, Lead.utm_medium,
                   Lead.utm_campaign)
            .outerjoin(Team, Team.id == Lead.team_id)
            .outerjoin(agent, agent.id == Lead.assigned_to_id)
            .outerjoin(LostReason, LostReason.id == Lead.lost_reason_id)
            .where(*scope.leads(), Lead.id > after).order_by(Lead.id).limit(size)).all()
        if not rows:
            return
        after = rows[-1].id
        yield [{
            "reference": r.reference,
            "created": r.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            "channel": choices.label(choices.CHANNELS, r.channel),
            "status": choices.label(choices.STATUSES, r.status),
            "stage_reached": choices.label(choices.STATUSES, PIPELINE[r.stage_rank or 0]),
            "lost_reason": r.reason, "lost_note": r.note or "", "team": r.team or "", "agent": r.agent or "",
            "minutes_to_contact": None if r.contact_s is None else round(r.contact_s / 60, 1),
            "property_type": choices.label(choices.PROPERTY_TYPES, r.property_type),
            "company": r.company or "",
            "region": regions.full_name(r.region_code, ui_language()) if r.region_code else "",
            "industry": choices.label(choices.INDUSTRIES, r.industry),
            "investment": None if r.investment_wan is None else float(r.investment_wan),
            "tax": None if r.annual_tax_wan is None else float(r.annual_tax_wan),
            "page_url": r.page_url, "utm_source": r.utm_source, "utm_medium": r.utm_medium,
            "utm_campaign": r.utm_campaign} for r in rows]
        if len(rows) < size:
            return


# Jobs ------------------------------------------------------------------------------------

def is_large(report: str, scope: Scope) -> bool:
    config = current_app.config
    if rollup.plan(scope, config["CRM_SLA_MINUTES"]) is not None:
        return True  # exact over a long range: seconds of sorting, in the background
    if report == "leads":
        return count_leads(scope) > config["CRM_EXPORT_SYNC_MAX_ROWS"]
    return count_leads(scope) > config["CRM_EXPORT_SYNC_MAX_LEADS"]


def export_dir() -> str:
    path = current_app.config.get("CRM_EXPORT_DIR") or os.path.join(current_app.instance_path,
                                                                "exports")
    os.makedirs(path, exist_ok=True)
    return path


def start_job(user: User, report: str, fmt: str, params: Params) -> ExportJob:
    job = ExportJob(user_id=user.id, report=report, fmt=fmt, params=params.json())
    db.session.add(job)
    db.session.commit()
    enqueue(RUN_EXPORT, job.id)
    return job


def run_job(job_id: int) -> str | None:
    """Write the job's file; safe to run again (a redelivered task rewrites the same file)."""
    job = db.session.get(ExportJob, job_id)
    if job is None or job.status == "done":
        return None
    user = db.session.get(User, job.user_id)
    job.status, job.rows_done, job.error = "running", 0, ""
    db.session.commit()
    name = job.file_name or f"{job.id}-{secrets.token_hex(8)}.{job.fmt}"
    path = os.path.join(export_dir(), name)
    partial = path + ".part"

    def progress(done, total):
        job.rows_done, job.rows_total = done, total
        db.session.commit()

    try:
        if user is None or not user.is_active or not catalog.may_open(user, job.report):
            raise PermissionError("the user may no longer open this report")
        params = Params(json.loads(job.params or "{}"))
        # The figures from the reports replica when it is healthy; the job's own row (its
        # status and progress) is written to the primary, through db.session.
        with reads.reports(after_write=False):
            write(job.report, scope_from(user, params), params, job.fmt, partial, progress)
        os.replace(partial, path)
    except Exception as exc:  # recorded on the job for the user to see
        log.exception("export %s failed", job_id)
        db.session.rollback()
        failed = db.session.get(ExportJob, job_id)
        if failed is not None:
            failed.status, failed.error, failed.finished_at = "failed", str(exc)[:200], utcnow()
            db.session.commit()
        if os.path.exists(partial):
            os.remove(partial)
        return None
    job.status, job.file_name, job.finished_at = "done", name, utcnow()
    db.session.commit()
    return path


def job_path(job: ExportJob) -> str | None:
    if job.status != "done" or not job.file_name:
        return None
    path = os.path.join(export_dir(), job.file_name)
    return path if os.path.exists(path) else None

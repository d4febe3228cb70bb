"""Import leads from brokers' spreadsheets: parse, guess the columns, dry-run, import.

Every row goes through the InquiryForm (the same validation as a prospect's inquiry), then
through the same capture path as every channel (crm.intake.capture) with channel "import":
a repeat of a recent lead is linked to it, a new lead gets its score and stage history.
"""
import csv
import io
import itertools
import logging
import re
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from crm import choices
from crm.extensions import db
from crm.i18n import default_locale, force_locale
from crm.inputs.text import clean_text, to_halfwidth
from crm.intake import capture, repeats
from crm.intake.capture import lead_from_form
from crm.jobs import enqueue
from crm.models import ImportJob, ImportRow, Lead, User
from crm.models.types import utcnow

log = logging.getLogger(__name__)

# Form field → header words that name it (lower case, Chinese and English).
TARGETS = {
    "contact_name": ("联系人", "姓名", "客户", "contact", "name"),
    "mobile": ("手机", "手机号", "电话", "联系电话", "mobile", "phone", "tel"),
    "company": ("公司", "企业", "单位", "company"),
    "credit_code": ("信用代码", "统一社会信用代码", "credit"),
    "message": ("需求", "备注", "说明", "留言", "need", "message", "note", "remark"),
    "deal_type": ("租售", "租/售", "租赁方式", "rent or buy", "deal"),
    "property_type": ("类型", "物业类型", "厂房类型", "property", "type"),
    "region_text": ("区域", "地区", "位置", "地点", "region", "location", "area name"),
    "area_min": ("面积", "最小面积", "面积从", "area", "size", "sqm"),
    "area_max": ("最大面积", "面积至", "面积到", "area to", "max area"),
    "industry": ("行业", "产业", "赛道", "industry"),
    "usage": ("用途", "产品", "usage", "product"),
    "annual_tax_wan": ("税收", "年税收", "纳税", "tax"),
    "investment_wan": ("投资", "投资额", "总投资", "investment"),
    "wechat_id": ("微信", "wechat"),
    "email": ("邮箱", "email", "e-mail"),
}
_DEAL_WORDS = {"rent": ("租", "rent", "lease"), "buy": ("买", "购", "售", "buy", "sale", "purchase")}
_TYPE_WORDS = {"factory": ("厂房", "廠房", "factory", "plant"), "warehouse": ("仓库", "倉庫", "warehouse"),
               "land": ("土地", "用地", "land"), "office": ("办公", "写字楼", "office")}


class ImportFileError(ValueError):
    pass


# --- reading files ---------------------------------------------------------------------

# A lead sheet has a few dozen columns. The caps are checked while reading, before a huge
# file can fill the worker's memory: columns per row, characters per cell, and the XLSX's
# uncompressed size (a zip bomb is small on the wire).
MAX_COLUMNS = 100
MAX_CELL_CHARS = 2000
MAX_XLSX_UNCOMPRESSED = 50 * 1024 * 1024

def read_table(filename: str, data: bytes, max_rows: int) -> tuple[list[str], list[list[str]]]:
    name = filename.lower()
    if name.endswith(".xlsx"):
        rows = _read_xlsx(data, max_rows)
    elif name.endswith(".csv") or name.endswith(".txt"):
        rows = _read_csv(data, max_rows)
    else:
        raise ImportFileError("type")
    rows = [r for r in rows if any(cell for cell in r)]
    if not rows:
        raise ImportFileError("empty")
    headers, body = rows[0], rows[1:]
    if len(body) > max_rows:
        raise ImportFileError("too_many")
    width = len(headers)
    return headers, [(r + [""] * width)[:width] for r in body]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 13391219793.0 from a spreadsheet is a phone number
    text = str(value)
    if len(text) > MAX_CELL_CHARS:
        raise ImportFileError("too_wide")
    return clean_text(text)


def _row(cells) -> list[str]:
    cells = list(itertools.islice(cells, MAX_COLUMNS + 1))
    if len(cells) > MAX_COLUMNS:
        raise ImportFileError("too_wide")
    return [_cell(c) for c in cells]


def _read_csv(data: bytes, max_rows: int) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError("encoding")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    csv.field_size_limit(MAX_CELL_CHARS * 4)  # the csv module's own guard (bytes-ish)
    reader = csv.reader(io.StringIO(text), dialect)
    rows = []
    try:
        for row in reader:
            rows.append(_row(row))
            if len(rows) > max_rows + 1:
                break
    except csv.Error as exc:
        # The csv module's field-size guard fires on a cell far too long.
        raise ImportFileError("too_wide" if "field larger" in str(exc) else "csv") from exc
    return rows


def _read_xlsx(data: bytes, max_rows: int) -> list[list[str]]:
    import zipfile

    from openpyxl import load_workbook
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_UNCOMPRESSED:
                raise ImportFileError("too_big")
    except zipfile.BadZipFile as exc:
        raise ImportFileError("xlsx") from exc
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a bad file
        raise ImportFileError("xlsx") from exc
    try:
        sheet = book.worksheets[0]
        rows = []
        # The unpacked size is capped above, so a row fits in memory; trailing empty cells
        # (a sheet's used range is often wider than its data) do not count as columns.
        for row in sheet.iter_rows(values_only=True):
            cells = list(row)
            while cells and cells[-1] in (None, ""):
                cells.pop()
            rows.append(_row(cells))
            if len(rows) > max_rows + 1:
                break
        return rows
    finally:
        book.close()


def guess_mapping(headers: list[str]) -> dict[str, int]:
    """Form field → column index, from the header words; the most specific word wins."""
    mapping: dict[str, int] = {}
    taken: set[int] = set()
    candidates = []
    for index, header in enumerate(headers):
        text = to_halfwidth(header).strip().lower()
        if not text:
            continue
        for target, words in TARGETS.items():
            for word in words:
                if text == word:
                    candidates.append((0, -len(word), index, target))
                elif word in text:
                    candidates.append((1, -len(word), index, target))
    for _exact, _length, index, target in sorted(candidates):
        if target not in mapping and index not in taken:
            mapping[target] = index
            taken.add(index)
    return mapping


# --- one row through the form ----------------------------------------------------------

def _choice(text: str, words: dict[str, tuple[str, ...]]) -> str:
    lowered = text.lower()
    for code, options in words.items():
        if lowered == code or any(word in lowered for word in options):
            return code
    return text  # left as typed: the form refuses it with its own message


def _industry(text: str) -> str:
    if not text or text in choices.INDUSTRIES:
        return text
    with force_locale("zh_CN"):
        for code, label in choices.INDUSTRIES.items():
            if text in str(label) or str(label) in text:
                return code
    return "other"


def formdata_for(row: list[str], mapping: dict[str, int]) -> MultiDict:
    values = {target: row[index] if 0 <= index < len(row) else ""
              for target, index in mapping.items()}
    data = MultiDict()
    for target, value in values.items():
        if target == "deal_type" and value:
            value = _choice(value, _DEAL_WORDS)
        elif target == "property_type" and value:
            value = _choice(value, _TYPE_WORDS)
        elif target == "industry":
            value = _industry(value)
        data[target] = value
    area_text = values.get("area_min", "") + values.get("area_max", "")
    data["area_unit"] = "mu" if "亩" in area_text else "sqm"
    data["needs_eia"] = "unknown"
    # The prospect ticked no notice of ours: the form needs the box, the lead records
    # consent False (the broker's own basis for holding the data applies).
    data["consent"] = "y"
    return data


def validate_row(row: list[str], mapping: dict[str, int]):
    from crm.intake.forms import InquiryForm
    form = InquiryForm(formdata=formdata_for(row, mapping), meta={"csrf": False},
                       mobile_required=False)
    form.validate()
    return form


@dataclass
class DryRun:
    ok: int = 0
    duplicates: int = 0
    errors: list[tuple[int, dict[str, list[str]]]] = field(default_factory=list)


def dry_run(job: ImportJob) -> DryRun:
    result = DryRun()
    for number, row in enumerate(job.rows, start=2):  # row 1 is the header
        form = validate_row(row, job.mapping)
        if form.errors:
            result.errors.append((number, {name: [str(e) for e in errs]
                                           for name, errs in form.errors.items()}))
            continue
        result.ok += 1
        if original_of(form) is not None:
            result.duplicates += 1
    return result


def original_of(form):
    """The recent lead this row repeats (crm.intake.repeats), or None."""
    return repeats.find_original(lead_from_form(form, "import"))


# --- the import job ----------------------------------------------------------------------

def create_job(filename: str, data: bytes, user: User) -> ImportJob:
    headers, rows = read_table(filename, data, current_app.config["CRM_IMPORT_MAX_ROWS"])
    job = ImportJob(created_by_id=user.id, filename=filename[:200], headers=headers, rows=rows,
                    mapping=guess_mapping(headers), total=len(rows))
    db.session.add(job)
    db.session.commit()
    return job


def save_mapping(job: ImportJob, mapping: dict[str, int], duplicates: str, route: bool) -> None:
    job.mapping = mapping
    job.duplicates = duplicates
    job.route = route
    db.session.commit()


def start(job: ImportJob) -> None:
    if job.status in ("queued", "running", "done"):
        return
    job.status = "queued"
    db.session.commit()
    enqueue("workers.tasks.import_leads", job.id)


def run(job_id: int) -> ImportJob | None:
    """Import every row not yet done; a re-run (redelivered task) skips finished rows."""
    job = db.session.get(ImportJob, job_id)
    if job is None or job.status == "done":
        return job
    job.status = "running"
    db.session.commit()
    done = set(db.session.scalars(select(ImportRow.row_number).where(ImportRow.job_id == job.id)))
    importer = db.session.get(User, job.created_by_id) if job.created_by_id else None
    with default_locale():
        for number, row in enumerate(job.rows, start=2):
            if number in done:
                continue
            _import_row(job, number, row, importer)
    _count(job)
    job.status = "done"
    job.finished_at = utcnow()
    # The sheet's personal values are not kept once imported (PIPL): the leads hold them,
    # and the per-row report (ImportRow: outcome, lead, field names) stays.
    job.rows = []
    db.session.commit()
    return job


def _import_row(job: ImportJob, number: int, row: list[str], importer: User | None) -> None:
    form = validate_row(row, job.mapping)
    if form.errors:  # field names only: the row report keeps no personal data
        _record(job, number, "failed", None, ", ".join(sorted(form.errors)))
        return
    if job.duplicates == "skip":
        original = original_of(form)
        if original is not None:
            _record(job, number, "skipped", original.id, original.reference)
            return

    def prepare(lead: Lead) -> None:
        # The prospect ticked no notice of ours (the broker's own basis for holding the data).
        lead.consent, lead.consent_at, lead.consent_version = False, None, ""
        lead.page_url = f"import:{job.id}:{job.filename}"[:1000]
        if not job.route:
            # Kept unassigned on purpose: in the importer's team pool, never swept to routing.
            lead.routed_at = lead.created_at
            lead.team_id = importer.team_id if importer else None

    def add_row(outcome) -> None:
        linked = outcome.status == "duplicate"
        _record(job, number, "linked" if linked else "created", outcome.lead_id,
                outcome.original_reference if linked else "", commit=False)

    try:
        capture.capture_inquiry(form, "import", check_spam=False, route=job.route,
                                auto_reply=False, prepare=prepare, before_commit=add_row)
    except IntegrityError:  # another run of this task did the row first
        db.session.rollback()


def _record(job: ImportJob, number: int, outcome: str, lead_id: int | None, detail: str,
            commit: bool = True) -> None:
    db.session.add(ImportRow(job_id=job.id, row_number=number, outcome=outcome,
                             lead_id=lead_id, detail=detail))
    job.processed += 1  # for the progress bar; _count() settles the totals at the end
    counter = {"created": "created", "linked": "created"}.get(outcome, outcome)
    setattr(job, counter, getattr(job, counter) + 1)
    if not commit:
        return
    try:
        db.session.commit()
    except IntegrityError:  # another run of this task did the row first
        db.session.rollback()


def _count(job: ImportJob) -> None:
    db.session.flush()
    rows = db.session.execute(select(ImportRow.outcome).where(ImportRow.job_id == job.id)).scalars().all()
    job.processed = len(rows)
    job.created = sum(1 for r in rows if r in ("created", "linked"))
    job.skipped = sum(1 for r in rows if r == "skipped")
    job.failed = sum(1 for r in rows if r == "failed")

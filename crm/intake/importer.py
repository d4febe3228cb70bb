"""Import leads from brokers' spreadsheets: parse, guess the columns, dry-run, import.

Every row goes through the InquiryForm (the same validation as a prospect's inquiry), becomes
an Inquiry (`inquiry_from_row`), then goes through the same capture path as every channel
(crm.intake.capture) with channel "import": a repeat of a recent lead is linked to it, a new
lead gets its score and stage history.
"""
import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from crm import choices
from crm.extensions import db
from crm.i18n import default_locale, force_locale
from crm.inputs import building
from crm.inputs.text import to_halfwidth
from crm.intake import capture, match
from crm.intake.capture import lead_from
from crm.intake.inquiry import Inquiry
from crm.intake.repeats import Original
from crm.intake.sheets import ImportFileError, check_type, read_table
from crm.jobs import DRY_RUN_IMPORT, IMPORT_LEADS, READ_IMPORT, enqueue
from crm.models import ImportJob, ImportRow, Lead, User, repeat_window
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
    # The building's requirements (crm.inputs.building), read by the form's own fields.
    "ceiling_height_m": ("层高", "净高", "ceiling height", "clear height", "height"),
    "single_storey": ("单层", "层数", "单层/多层", "storeys", "storey", "floors"),
    "crane_t": ("行车", "吊车", "起重", "crane"),
    "power_kva": ("配电", "用电", "电力", "变压器", "power", "kva"),
    "floor_load_t": ("承重", "荷载", "floor load", "load"),
    "standalone": ("独门独院", "独院", "standalone"),
    "divisible": ("可分割", "分割", "divisible"),
}
_DEAL_WORDS = {"rent": ("租", "rent", "lease"), "buy": ("买", "购", "售", "buy", "sale", "purchase")}
_TYPE_WORDS = {"factory": ("厂房", "廠房", "factory", "plant"), "warehouse": ("仓库", "倉庫", "warehouse"),
               "land": ("土地", "用地", "land"), "office": ("办公", "写字楼", "office")}


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
    data: MultiDict[str, str] = MultiDict()
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
    _requirements(values, data)
    data["needs_eia"] = "unknown"
    # The prospect ticked no notice of ours: the form needs the box, the lead records
    # consent False (the broker's own basis for holding the data applies).
    data["consent"] = "y"
    return data


_YES = re.compile(r"^(是|有|要|需要|必须|需|要求|y|yes|true|1|√|✓|✔)", re.IGNORECASE)
_NO = re.compile(r"^(否|无|不|没|n|no|false|0|×|✗)", re.IGNORECASE)
_STOREYS = {"single": re.compile(r"^(只要)?单层|^single|^1层?$|^一层"),
            "any": re.compile(r"多层|不限|均可|都可|都行|^any|^multi")}


def _requirements(values: dict[str, str], data: MultiDict) -> None:
    """The requirement cells as the form's fields take them: a figure with its unit, 是/否
    for a flag, 单层/多层 for storeys. A figure the form could not store as meant is not an
    error of the row: it goes to the message as typed, marked for the agent."""
    unread = []
    for name in building.MEASURES:
        value = values.get(name, "").strip()
        if not value:
            continue
        if name == "crane_t" and _YES.match(value) and not re.search(r"\d", value):
            data["needs_crane"] = "y"   # "有" / "需要": a crane, tonnage not said
            data.pop(name, None)
            continue
        if _NO.match(value):
            data.pop(name, None)
            continue
        try:
            building.read(value, name)
        except building.MeasureError:
            data.pop(name, None)
            unread.append((building.MEASURES[name].need_label, value))
    for name in building.FLAGS:
        if name in values:
            yes = bool(_YES.match(values[name].strip())) and not _NO.match(values[name].strip())
            data[name] = "y" if yes else ""
    if "single_storey" in values:
        text = values["single_storey"].strip().lower()
        data["single_storey"] = next((code for code, words in _STOREYS.items()
                                      if words.search(text)), "")
        if text and not data["single_storey"]:
            unread.append((building.STOREY_LABEL, values["single_storey"]))
    if unread:
        note = capture.unread_note(unread)
        message = data.get("message", "")
        if len(message) + len(note) < 1990:   # never past the form's limit: the row stays valid
            data["message"] = f"{message}\n{note}".strip()


def validate_row(row: list[str], mapping: dict[str, int]):
    from crm.intake.forms import InquiryForm
    form = InquiryForm(formdata=formdata_for(row, mapping), meta={"csrf": False},
                       mobile_required=False)
    form.validate()
    return form


def inquiry_from_row(row: list[str], mapping: dict[str, int]
                     ) -> tuple[Inquiry | None, dict[str, list[str]]]:
    """A spreadsheet row as an Inquiry (channel "import"), or None and the form's errors
    (field name → messages)."""
    form = validate_row(row, mapping)
    if form.errors:
        return None, {name: [str(e) for e in errs] for name, errs in form.errors.items()}
    return form.to_inquiry(channel="import"), {}


@dataclass
class DryRun:
    ok: int = 0
    duplicates: int = 0     # repeat a prospect already in the CRM
    in_file: int = 0        # repeat an earlier row of the file (same mobile or WeChat ID)
    errors: list[tuple[int, dict[str, list[str]]]] = field(default_factory=list)


def dry_run(job: ImportJob) -> DryRun:
    result = DryRun()
    seen: set[str] = set()
    for number, row in enumerate(job.rows, start=2):  # row 1 is the header
        inquiry, errors = inquiry_from_row(row, job.mapping)
        if inquiry is None:
            result.errors.append((number, errors))
            continue
        result.ok += 1
        # The import saves rows in order, so a later row with an earlier row's mobile
        # becomes that lead's repeat: count it like one already in the CRM.
        contact = inquiry.contact
        key = contact.mobile.e164 if contact.mobile else f"wx:{contact.wechat_id}"
        if original_of(inquiry) is not None:
            result.duplicates += 1
        elif key in seen:
            result.in_file += 1
        seen.add(key)
    return result


def original_of(inquiry: Inquiry) -> Original | None:
    """The open need of a known contact this row repeats, asked within the repeat window
    (the one choice the window still makes: what "skip repeats" skips), or None."""
    lead = lead_from(inquiry)
    need = match.match_inquiry(inquiry, lead.created_at).need
    if need is None or need.created_at is None or need.created_at < lead.created_at - repeat_window():
        return None
    return need


# --- the import job ----------------------------------------------------------------------



def create_job(filename: str, data: bytes, user: User) -> ImportJob:
    """Keep the upload and hand its reading to a task (`read`): the request checks only the
    type, so a hostile workbook costs a worker, not the web process. With no broker (demo,
    tests) the task has run when this returns."""
    check_type(filename, data)
    job = ImportJob(created_by_id=user.id, filename=filename[:200], headers=[], rows=[],
                    upload=data, status="reading")
    db.session.add(job)
    db.session.commit()
    enqueue(READ_IMPORT, job.id)
    db.session.expire(job)  # the task commits in its own session
    return job


# A file still unread this long after its upload: its task was lost (broker down).
READ_RETRY_AFTER = timedelta(minutes=1)


def read_again_if_lost(job: ImportJob) -> None:
    """The job's page asks for the read again when its task is overdue (reading twice is
    harmless: `read` does nothing to a job read already)."""
    if job.status == "reading" and job.created_at < utcnow() - READ_RETRY_AFTER:
        enqueue(READ_IMPORT, job.id)
        db.session.expire(job)


def read(job_id: int) -> ImportJob | None:
    """The task's body: read the kept file into rows, guess the columns, drop the file."""
    job = db.session.get(ImportJob, job_id)
    if job is None or job.status != "reading":
        return job  # read already (a redelivery)
    try:
        table = read_table(job.filename, job.upload or b"", current_app.config["CRM_IMPORT_MAX_ROWS"])
    except ImportFileError as exc:
        job.status, job.error = "failed", str(exc)
    else:
        job.headers, job.rows, job.notes = table.headers, table.rows, table.notes
        job.mapping, job.total, job.status = guess_mapping(table.headers), len(table.rows), "uploaded"
    job.upload = None  # the file is not kept once read (PIPL): its rows are, until imported
    db.session.commit()
    return job


def save_mapping(job: ImportJob, mapping: dict[str, int], duplicates: str, route: bool) -> None:
    job.mapping = mapping
    job.duplicates = duplicates
    job.route = route
    job.dry_run = None
    db.session.commit()


def _dry_run_key(job: ImportJob, locale: str) -> dict:
    return {"locale": locale, "mapping": dict(job.mapping), "duplicates": job.duplicates}


def dry_run_for(job: ImportJob, locale: str, ask: bool = True) -> DryRun | None:
    """The dry run of the job's current mapping, with messages in `locale`; None while the
    task computes it. `ask`: hand it to the task if it is not there (the page does; its
    polls do not, so reloading the page also retries a task that was lost)."""
    stored = job.dry_run or {}
    key = _dry_run_key(job, locale)
    if "ok" in stored and all(stored.get(k) == v for k, v in key.items()):
        return DryRun(ok=stored["ok"], duplicates=stored["repeats"], in_file=stored.get("in_file", 0),
                      errors=[(number, errors) for number, errors in stored["errors"]])
    if not ask or job.status != "uploaded":
        return None
    job.dry_run = key
    db.session.commit()
    enqueue(DRY_RUN_IMPORT, job.id, locale)
    db.session.expire(job)
    return dry_run_for(job, locale, ask=False)


def run_dry_run(job_id: int, locale: str) -> DryRun | None:
    """The task's body: check every row as the import would, write nothing but the outcome."""
    job = db.session.get(ImportJob, job_id)
    if job is None or job.status != "uploaded":
        return None
    key = _dry_run_key(job, locale)
    with force_locale(locale):
        result = dry_run(job)
    job.dry_run = {**key, "ok": result.ok, "repeats": result.duplicates,
                   "in_file": result.in_file, "errors": [[number, errors] for number, errors in result.errors]}
    db.session.commit()
    return result


def start(job: ImportJob) -> None:
    if job.status != "uploaded":
        return  # not read yet, unreadable, or started already
    job.status = "queued"
    db.session.commit()
    enqueue(IMPORT_LEADS, job.id)


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
    inquiry, errors = inquiry_from_row(row, job.mapping)
    if inquiry is None:  # field names only: the row report keeps no personal data
        _record(job, number, "failed", None, ", ".join(sorted(errors)))
        return
    if job.duplicates == "skip":
        original = original_of(inquiry)
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
        capture.capture_inquiry(inquiry, check_spam=False, route=job.route,
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

"""The working calendar page: a year of holidays and make-up workdays, edited one day at a
time or by pasting the State Council's notice (parsed, shown, then saved on confirmation)."""
import calendar
import re
from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from crm.access import Role, role_required
from crm.formatting import today_local
from crm.inputs.fields import given
from crm.web.pages import form_status
from crm.web.workcalendar import bp
from crm.web.workcalendar.forms import DayForm, NoticeForm
from crm.workdays import days, edit, notice


def _year() -> int:
    year = request.args.get("year", type=int)
    return year if year is not None and 2000 <= year <= 2100 else today_local().year


def _months(year: int, special: dict) -> list[dict]:
    """Each month as weeks of cells (Monday first) for the grid."""
    grid = calendar.Calendar(firstweekday=0)
    months = []
    for month in range(1, 13):
        weeks = [[_cell(d, month, special) for d in week]
                 for week in grid.monthdatescalendar(year, month)]
        months.append({"month": month, "weeks": weeks})
    return months


def _cell(day: date, month: int, special: dict) -> dict:
    kind, name = special.get(day, (None, ""))
    if kind is None:
        kind = "work" if day.weekday() < 5 else "rest"
    return {"day": day, "in_month": day.month == month, "kind": kind, "name": name}


def _page(year: int, day_form: DayForm, notice_form: NoticeForm, status: int = 200):
    special = days.special_days(year)
    return render_template("workcalendar/index.html", year=year, source=days.source_of(year),
                           months=_months(year, special), special=sorted(special.items()),
                           day_form=day_form, notice_form=notice_form), status


@bp.route("/")
@role_required(Role.ADMIN)
def index():
    year = _year()
    return _page(year, DayForm(), NoticeForm(year=year))


@bp.route("/day", methods=["POST"])
@role_required(Role.ADMIN)
def set_day():
    form = DayForm()
    if not form.validate_on_submit():
        year = form.day.data.year if form.day.data else _year()
        return _page(year, form, NoticeForm(year=year), 422)
    day = given(form.day.data)
    changed = edit.set_day(day, form.kind.data or None, form.name.data or "", current_user)
    _flash_saved(changed)
    return redirect(url_for("workcalendar.index", year=day.year))


@bp.route("/notice", methods=["POST"])
@role_required(Role.ADMIN)
def paste_notice():
    form = NoticeForm()
    parsed = reading = None
    if form.validate_on_submit():
        titled = re.search(r"关于\s*(\d{4})\s*年", given(form.text.data))
        if titled and int(titled.group(1)) != form.year.data:
            form.year.errors = [_("The notice is about %(year)s.", year=titled.group(1))]
        else:
            try:
                reading = notice.read(given(form.text.data), given(form.year.data))
                parsed = reading.days
            except notice.NoticeError:
                form.text.errors = [_("No holiday could be read from this text. Paste the "
                                      "notice's numbered sections (一、元旦：…).")]
    if parsed is None or reading is None:
        year = form.year.data if form.year.data and 2000 <= form.year.data <= 2100 else _year()
        return _page(year, DayForm(), form, form_status())
    if form.confirm.data != "yes":  # show what was understood; saving needs a second click
        form.confirm.data = "yes"
        replaced = len(days.special_days(given(form.year.data)))
        return render_template("workcalendar/confirm.html", form=form, parsed=parsed,
                               holidays=_by_holiday(parsed), replaced=replaced,
                               mismatches=reading.mismatches)
    changed = edit.import_notice(given(form.year.data), parsed, current_user)
    _flash_saved(changed)
    return redirect(url_for("workcalendar.index", year=form.year.data))


def _by_holiday(parsed: list[notice.NoticeDay]) -> list[dict]:
    """One row per holiday, as the notice reads: its days off and its make-up workdays."""
    rows: dict[str, dict] = {}
    for d in parsed:
        row = rows.setdefault(d.name, {"name": d.name, "holiday": [], "workday": []})
        row[d.kind].append(d.day)
    return list(rows.values())


def _flash_saved(changed: list[date]) -> None:
    if changed:
        flash(_("Saved. %(n)d days changed between working day and day off; open leads' "
                "first-contact deadlines are being recomputed.", n=len(changed)), "success")
    else:
        flash(_("Saved. No working day changed."), "success")

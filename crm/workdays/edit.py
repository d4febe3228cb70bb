"""Changing the calendar: seed from the package, one day by hand, or a whole year from the
State Council's notice. Every change is audited, and open leads' first-contact deadlines
that depend on a changed day are recomputed by a task after the commit."""
import logging
from datetime import date

from sqlalchemy import delete, or_, select

from crm.extensions import db
from crm.jobs import RECOMPUTE_SLA_DEADLINES, enqueue
from crm.models import CalendarDay, User
from crm.privacy import audit
from crm.workdays import days
from crm.workdays.notice import NoticeDay

log = logging.getLogger(__name__)


def seed_from_package(actor: User | None = None) -> list[int]:
    """Copy every year the chinese-calendar package knows and the table does not hold;
    returns the years copied. Safe to run again (a year the table holds is left alone)."""
    held = set(db.session.scalars(select(CalendarDay.year).where(CalendarDay.source != "admin")
                                  .distinct()))
    years = sorted(days.PACKAGE_YEARS - held)
    # The next year's notice may already hold some December days (its 元旦): those stay.
    taken = set(db.session.scalars(select(CalendarDay.day)))
    for year in years:
        _insert(year, {d: v for d, v in days.package_days(year).items() if d not in taken},
                "package", actor)
    if years:
        audit.record(actor, "calendar_seed", "calendar", None, None, {"years": years})
    db.session.commit()
    days.forget()
    return years


def _insert(year: int, special: dict, source: str, actor: User | None) -> None:
    db.session.add_all(CalendarDay(day=d, year=year, kind=kind, name=name, source=source,
                                   updated_by_id=actor.id if actor else None)
                       for d, (kind, name) in sorted(special.items()))


def _hold(year: int, actor: User | None) -> None:
    """Before a year is edited in the table, the table takes over what the package said
    (asked of the table itself: another process may have done it a moment ago)."""
    copied = db.session.scalars(select(CalendarDay.day).where(
        CalendarDay.year == year, CalendarDay.source != "admin").limit(1)).first()
    if copied is None and year in days.PACKAGE_YEARS:
        _insert(year, {d: v for d, v in days.package_days(year).items()
                       if db.session.get(CalendarDay, d) is None}, "package", actor)
        db.session.flush()


def import_notice(year: int, parsed: list[NoticeDay], actor: User | None) -> list[date]:
    """Replace `year` with what the notice says; returns the days whose meaning changed.
    The December days before its 元旦 the notice sets are kept as `year`'s rows, so a later
    import of either year leaves the other's alone."""
    days.forget()  # this process's copy may be older than another's edit
    after = {d.day: (d.kind, d.name) for d in parsed}
    before, december = days.special_days(year), _december_before(year)
    # December as it will read: this notice's old rows give way to what decides that year.
    fallback = days.package_days(year - 1) if days.source_of(year - 1) == "package" else {}
    ours = set(db.session.scalars(select(CalendarDay.day).where(
        CalendarDay.year == year, CalendarDay.day < date(year, 1, 1))))
    december_after = {d: fallback[d] if d in ours else v for d, v in december.items()
                      if d not in ours or d in fallback}
    db.session.execute(delete(CalendarDay).where(
        or_(CalendarDay.year == year, CalendarDay.day.in_(after)))
        .execution_options(synchronize_session=False))
    _insert(year, after, "notice", actor)
    changed = _changed(before | december, december_after | after)
    audit.record(actor, "calendar_import", "calendar", year,
                 {"days": len(before)}, {"days": len(after), "changed": len(changed)})
    return _committed(changed)


def _december_before(year: int) -> dict:
    return {d: v for d, v in days.special_days(year - 1).items() if d.month == 12}


def set_day(day: date, kind: str | None, name: str, actor: User) -> list[date]:
    """Make `day` a holiday, a make-up workday, or (kind None) an ordinary day again."""
    days.forget()
    before = days.special_days(day.year)
    _hold(day.year, actor)
    row = db.session.get(CalendarDay, day)
    old = {"kind": row.kind, "name": row.name} if row else {"kind": None}
    if kind is None:
        if row is not None:
            db.session.delete(row)
    else:
        row = row or CalendarDay(day=day, year=day.year)
        row.kind, row.name, row.source, row.updated_by_id = kind, name, "admin", actor.id
        db.session.add(row)
    after = {d: v for d, v in before.items() if d != day} | ({day: (kind, name)} if kind else {})
    audit.record(actor, "calendar_day", "calendar", day.year, {"day": day.isoformat(), **old},
                 {"day": day.isoformat(), "kind": kind, "name": name})
    return _committed(_changed(before, after))


def _changed(before: dict, after: dict) -> list[date]:
    """Days that are a working day under one and not the other (a renamed holiday is not)."""
    def working(d, special):
        return special[d][0] == days.WORKDAY if d in special else d.weekday() < 5
    return sorted(d for d in before.keys() | after.keys() if working(d, before) != working(d, after))


def _committed(changed: list[date]) -> list[date]:
    db.session.commit()
    days.forget()
    if changed:  # after the commit: the task reads the new calendar
        enqueue(RECOMPUTE_SLA_DEADLINES, [d.isoformat() for d in changed])
    return changed

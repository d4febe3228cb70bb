"""Is a day a working day? One answer for routing, SLA and reports.

A day the `calendar_day` table holds is what the table says. Otherwise, per year, the first
source that holds the year decides:
1. the table, once a notice was imported for it or the package's data copied into it;
2. the `chinese-calendar` package (2004 up to its last release's year);
3. Monday–Friday, *provisional*: nobody has entered that year's holidays yet, so deadlines
   computed with it are marked and admins see a banner (see `missing_years`). A few days an
   admin changed by hand do not make a year entered.

The table is read into memory and re-read at most every REFRESH_SECONDS, so a change made in
another process (an admin's edit seen by a worker) takes effect within that time; writers
call `forget()` to see their own change at once.
"""
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import chinese_calendar
from chinese_calendar.constants import holidays as _pkg_holidays
from chinese_calendar.constants import workdays as _pkg_workdays
from flask import has_app_context
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from crm.extensions import db
from crm.formatting import today_local
from crm.models import CalendarDay, Role

HOLIDAY, WORKDAY = "holiday", "workday"
REFRESH_SECONDS = 60
PACKAGE_YEARS = frozenset(d.year for d in (*_pkg_holidays, *_pkg_workdays))
# The package's English holiday names, as the State Council's notice names them.
PACKAGE_NAMES = {"New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
                 "Labour Day": "劳动节", "Dragon Boat Festival": "端午节",
                 "National Day": "国庆节", "Mid-autumn Festival": "中秋节",
                 "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日"}


@dataclass(frozen=True)
class _Snapshot:
    days: dict = field(default_factory=dict)     # date -> (kind, name)
    years: frozenset = frozenset()               # years the table holds
    loaded: float = 0.0


_snapshots: dict[str, _Snapshot] = {}
_lock = threading.Lock()


def _table() -> _Snapshot:
    if not has_app_context():  # a pure computation outside the app: the package decides
        return _Snapshot()
    key = str(db.engine.url)
    snapshot = _snapshots.get(key)
    if snapshot is None or time.monotonic() - snapshot.loaded > REFRESH_SECONDS:
        rows = db.session.execute(select(CalendarDay.day, CalendarDay.year, CalendarDay.kind,
                                         CalendarDay.name, CalendarDay.source)).all()
        # A year is held by its own rows: the December days a notice sets for the next
        # year's 元旦 (row year = the notice's) do not make their year held.
        snapshot = _Snapshot({r.day: (r.kind, r.name) for r in rows},
                             frozenset(r.year for r in rows if r.source != "admin"),
                             time.monotonic())
        with _lock:
            _snapshots[key] = snapshot
    return snapshot


def forget() -> None:
    """Drop the in-memory copy: the next question reads the table again."""
    with _lock:
        _snapshots.clear()


def source_of(year: int) -> str:
    """Who decides `year`: "table", "package" or "weekdays" (provisional)."""
    if year in _table().years:
        return "table"
    return "package" if year in PACKAGE_YEARS else "weekdays"


def is_workday(day: date) -> bool:
    snapshot = _table()
    entry = snapshot.days.get(day)
    if entry is not None:
        return entry[0] == WORKDAY
    if day.year in snapshot.years:
        return day.weekday() < 5
    if day.year in PACKAGE_YEARS:
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5


def is_provisional(day: date) -> bool:
    """True where the answer is only Monday–Friday because nobody entered the year."""
    return source_of(day.year) == "weekdays"


def special_days(year: int) -> dict[date, tuple[str, str]]:
    """The year's holidays and make-up workdays, {day: (kind, name)}, from whichever source
    decides the year (empty for a provisional year)."""
    source = source_of(year)
    held = {d: v for d, v in _table().days.items() if d.year == year}
    return package_days(year) | held if source == "package" else held


def package_days(year: int) -> dict[date, tuple[str, str]]:
    found = {d: (HOLIDAY, PACKAGE_NAMES.get(n, n)) for d, n in _pkg_holidays.items() if d.year == year}
    found |= {d: (WORKDAY, PACKAGE_NAMES.get(n, n)) for d, n in _pkg_workdays.items() if d.year == year}
    return found


def missing_years(today: date) -> list[int]:
    """Years the app must know soon but nobody entered: this year, and next year from
    November on (the State Council publishes it in October–December)."""
    wanted = [today.year] + ([today.year + 1] if today.month >= 11 else [])
    return [year for year in wanted if source_of(year) == "weekdays"]


def banner_years(user: Any) -> list[int]:  # current_user: a User or the anonymous one
    """Years whose holidays an admin must enter (the banner on every page, admins only)."""
    try:
        if not user.is_authenticated or user.role != Role.ADMIN:
            return []
        return missing_years(today_local())
    except SQLAlchemyError:  # the database is away: the 503 page needs no banner
        db.session.rollback()
        return []

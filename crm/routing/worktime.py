"""Working time in China: working days (调休 included) and working minutes.

Working days come from the `chinese-calendar` package, which knows the State
Council's holiday and make-up-workday schedule year by year. For a year it does
not know yet we fall back to Monday–Friday and say so in the log.
"""
import logging
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

log = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")


@lru_cache(maxsize=4096)
def is_workday(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        log.warning("chinese-calendar has no data for %s; assuming Mon-Fri. Upgrade the package.",
                    day.year)
        return day.weekday() < 5


def on_duty(at: datetime, start: time | None, end: time | None, rest_days_too: bool = False) -> bool:
    """Is a person with these hours at work at `at`? No hours: always on duty.

    A shift whose end is before its start runs across midnight; its early-morning part
    belongs to the previous day's shift, so that day must be a working day.
    """
    if start is None or end is None:
        return True
    local = at.astimezone(SHANGHAI)
    now = local.time()
    works = (lambda d: True) if rest_days_too else is_workday
    if start <= end:
        return works(local.date()) and start <= now < end
    if now >= start:
        return works(local.date())
    if now < end:
        return works(local.date() - timedelta(days=1))
    return False


def add_working_minutes(start: datetime, minutes: int, day_start: time, day_end: time) -> datetime:
    """The instant `minutes` of working time after `start` (office hours on working days)."""
    local = start.astimezone(SHANGHAI)
    remaining = timedelta(minutes=minutes)
    day = local.date()
    cursor = local
    for _ in range(3660):  # ten years of days: a guard, never reached with sane input
        open_at = datetime.combine(day, day_start, SHANGHAI)
        close_at = datetime.combine(day, day_end, SHANGHAI)
        if is_workday(day) and cursor < close_at:
            begin = max(cursor, open_at)
            available = close_at - begin
            if remaining <= available:
                return (begin + remaining).astimezone(start.tzinfo)
            remaining -= available
        day += timedelta(days=1)
        cursor = datetime.combine(day, time.min, SHANGHAI)
    raise ValueError("working-time computation did not converge")


def working_minutes_between(start: datetime, end: datetime, day_start: time, day_end: time) -> int:
    """Working minutes in [start, end), for reports and SLA display."""
    if end <= start:
        return 0
    total = timedelta()
    day = start.astimezone(SHANGHAI).date()
    last = end.astimezone(SHANGHAI).date()
    while day <= last:
        if is_workday(day):
            lo = max(start, datetime.combine(day, day_start, SHANGHAI))
            hi = min(end, datetime.combine(day, day_end, SHANGHAI))
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return int(total.total_seconds() // 60)

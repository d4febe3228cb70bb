"""Working time in China: working minutes within office hours on working days.

Which days are working days (调休 included) is crm.workdays' answer: the team's calendar
table, then the chinese-calendar package, then a provisional Monday–Friday.
"""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from crm.workdays import days

SHANGHAI = ZoneInfo("Asia/Shanghai")
is_workday = days.is_workday


def on_duty(at: datetime, start: time | None, end: time | None, rest_days_too: bool = False,
            lunch: tuple[time, time] | None = None) -> bool:
    """Is a person with these hours at work at `at`? No hours: always on duty.

    A shift whose end is before its start runs across midnight; its early-morning part
    belongs to the previous day's shift, so that day must be a working day.
    """
    if start is None or end is None:
        return True
    local = at.astimezone(SHANGHAI)
    now = local.time()
    if lunch and lunch[0] <= now < lunch[1]:
        return False
    works = (lambda d: True) if rest_days_too else is_workday
    if start <= end:
        return works(local.date()) and start <= now < end
    if now >= start:
        return works(local.date())
    if now < end:
        return works(local.date() - timedelta(days=1))
    return False


def _spans(day: date, day_start: time, day_end: time, lunch, every_day: bool):
    """The working intervals of `day` (Shanghai), lunch cut out."""
    if not (every_day or is_workday(day)):
        return []
    open_at, close_at = (datetime.combine(day, day_start, SHANGHAI),
                         datetime.combine(day, day_end, SHANGHAI))
    if not lunch or not (day_start < lunch[0] < lunch[1] < day_end):
        return [(open_at, close_at)]
    return [(open_at, datetime.combine(day, lunch[0], SHANGHAI)),
            (datetime.combine(day, lunch[1], SHANGHAI), close_at)]


def add_working_minutes(start: datetime, minutes: int, day_start: time, day_end: time,
                        lunch: tuple[time, time] | None = None, every_day: bool = False) -> datetime:
    """The instant `minutes` of working time after `start` (office hours on working days,
    or on every day with `every_day`; the lunch break does not count)."""
    local = start.astimezone(SHANGHAI)
    remaining = timedelta(minutes=minutes)
    day = local.date()
    cursor = local
    for _ in range(3660):  # ten years of days: a guard, never reached with sane input
        for begin, end in _spans(day, day_start, day_end, lunch, every_day):
            if cursor >= end:
                continue
            begin = max(cursor, begin)
            available = end - begin
            if remaining <= available:
                return (begin + remaining).astimezone(start.tzinfo)
            remaining -= available
        day += timedelta(days=1)
        cursor = datetime.combine(day, time.min, SHANGHAI)
    raise ValueError("working-time computation did not converge")


def working_minutes_between(start: datetime, end: datetime, day_start: time, day_end: time,
                            lunch: tuple[time, time] | None = None, every_day: bool = False) -> int:
    """Working minutes in [start, end), for reports and SLA display."""
    if end <= start:
        return 0
    total = timedelta()
    day = start.astimezone(SHANGHAI).date()
    last = end.astimezone(SHANGHAI).date()
    while day <= last:
        for begin, close in _spans(day, day_start, day_end, lunch, every_day):
            lo, hi = max(start, begin), min(end, close)
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return int(total.total_seconds() // 60)

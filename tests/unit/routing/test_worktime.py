from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from crm.routing import worktime
from crm.workdays import days

SH = ZoneInfo("Asia/Shanghai")
NINE, SIX = time(9), time(18)


def at(*args):
    return datetime(*args, tzinfo=SH)


@pytest.mark.parametrize("day,expected", [
    (date(2026, 11, 23), True),    # a Monday
    (date(2026, 11, 22), False),   # a Sunday
    (date(2026, 10, 1), False),    # National Day, a Thursday
    (date(2026, 10, 10), True),    # a Saturday made a workday (调休)
    (date(2026, 2, 14), True),     # Spring Festival make-up Saturday
    (date(2026, 2, 16), False),    # Spring Festival, a Monday
])
def test_china_working_days_follow_the_official_calendar(day, expected):
    assert worktime.is_workday(day) is expected


def test_years_the_calendar_does_not_know_fall_back_to_weekdays():
    assert worktime.is_workday(date(2031, 1, 6)) is True     # Monday
    assert worktime.is_workday(date(2031, 1, 5)) is False    # Sunday
    assert days.is_provisional(date(2031, 1, 6))
    assert not days.is_provisional(date(2026, 1, 6))


def test_day_shift():
    assert worktime.on_duty(at(2026, 11, 23, 10), NINE, SIX)
    assert not worktime.on_duty(at(2026, 11, 23, 18), NINE, SIX)   # end is exclusive
    assert not worktime.on_duty(at(2026, 11, 22, 10), NINE, SIX)   # Sunday
    assert worktime.on_duty(at(2026, 10, 10, 10), NINE, SIX)       # make-up Saturday
    assert not worktime.on_duty(at(2026, 10, 1, 10), NINE, SIX)    # holiday
    assert worktime.on_duty(at(2026, 11, 22, 10), NINE, SIX, rest_days_too=True)


def test_no_hours_means_always_on_duty():
    assert worktime.on_duty(at(2026, 11, 22, 3), None, None)


def test_shift_across_midnight_belongs_to_the_day_it_started():
    night = (time(22), time(6))
    assert worktime.on_duty(at(2026, 11, 23, 23), *night)           # Monday night
    assert worktime.on_duty(at(2026, 11, 24, 2), *night)            # Tuesday 02:00, Monday's shift
    assert not worktime.on_duty(at(2026, 11, 24, 7), *night)
    assert worktime.on_duty(at(2026, 11, 21, 2), *night)            # Sat 02:00, Friday's shift
    assert not worktime.on_duty(at(2026, 11, 22, 2), *night)        # Sun 02:00, Saturday's: rest
    assert not worktime.on_duty(at(2026, 11, 22, 23), *night)       # Sunday night


@pytest.mark.parametrize("start,minutes,expected", [
    (at(2026, 11, 23, 10, 0), 30, at(2026, 11, 23, 10, 30)),
    (at(2026, 11, 23, 17, 45), 30, at(2026, 11, 24, 9, 15)),        # over the evening
    (at(2026, 11, 23, 7, 0), 30, at(2026, 11, 23, 9, 30)),          # before opening
    (at(2026, 11, 20, 17, 50), 30, at(2026, 11, 23, 9, 20)),        # Friday → Monday
    (at(2026, 9, 30, 17, 30), 60, at(2026, 10, 8, 9, 30)),          # over the National Day holiday (Oct 1-7)
    (at(2026, 10, 9, 17, 30), 60, at(2026, 10, 10, 9, 30)),         # into the make-up Saturday
])
def test_sla_counts_working_minutes_only(start, minutes, expected):
    assert worktime.add_working_minutes(start, minutes, NINE, SIX) == expected


def test_working_minutes_between():
    assert worktime.working_minutes_between(at(2026, 11, 20, 17, 0), at(2026, 11, 23, 10, 0),
                                            NINE, SIX) == 120

"""The one date input of the CRM: every form, filter and API date goes through DayField
or parse_day, so a day outside 2000-2100 is refused with a message instead of
overflowing a time zone conversion (year 1, year 9999) deep in a query."""
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import DateField
from wtforms.widgets import DateInput

from crm.inputs.required import NothingReadIsMissing
from crm.inputs.text import clean_text, to_halfwidth

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
OUT_OF_RANGE = _l("Please give a date between %(first)s and %(last)s.",
                  first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat())
NOT_A_DATE = _l("Please give a date as YYYY-MM-DD, e.g. 2026-12-06.")


class DateError(ValueError):
    """A date that cannot be taken; `message` says why to the person who typed it."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def known_day(day: date | None) -> date | None:
    """The day if it lies in the range the CRM takes, else None."""
    return day if day is not None and FIRST_DAY <= day <= LAST_DAY else None


def parse_day(raw) -> date | None:
    """YYYY-MM-DD (full-width digits and outer space allowed) → a date; None for nothing.
    DateError for anything else, and for a day outside FIRST_DAY..LAST_DAY."""
    text = to_halfwidth(clean_text(raw, max_length=40))
    if not text:
        return None
    try:
        # Only the ISO form: fromisoformat would also take 20261206 or 2026-W49-7.
        if len(text) != 10 or text[4] != "-" or text[7] != "-":
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise DateError(NOT_A_DATE) from None
    if known_day(day) is None:
        raise DateError(OUT_OF_RANGE)
    return day


class DayField(NothingReadIsMissing, DateField):
    """A date box (type=date) that refuses what parse_day refuses, with its message."""

    widget = DateInput()
    parse = staticmethod(parse_day)

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"min": FIRST_DAY.isoformat(), "max": LAST_DAY.isoformat(),
                     **(kwargs.pop("render_kw", None) or {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = type(self).parse(valuelist[0])
        except DateError as exc:
            self.data = None
            raise ValueError(exc.message) from None


NOT_A_MONTH = _l("Please give a month as YYYY-MM, e.g. 2026-11.")


def parse_month(raw) -> date | None:
    """YYYY-MM (what <input type=month> sends; full-width digits allowed) → its first day;
    None for nothing. DateError for anything else, and for a month outside the CRM's range."""
    text = to_halfwidth(clean_text(raw, max_length=40))
    if not text:
        return None
    if len(text) != 7 or text[4] != "-" or not (text[:4] + text[5:]).isdigit() \
            or not 1 <= int(text[5:]) <= 12:
        raise DateError(NOT_A_MONTH)
    first = date(int(text[:4]), int(text[5:]), 1)
    if known_day(first) is None:
        raise DateError(OUT_OF_RANGE)
    return first


class MonthField(DayField):
    """A month box (type=month) that refuses what parse_month refuses; data is the month's
    first day."""

    widget = DateInput(input_type="month")
    parse = staticmethod(parse_month)

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"min": FIRST_DAY.isoformat()[:7], "max": LAST_DAY.isoformat()[:7],
                     **(kwargs.pop("render_kw", None) or {})}
        super().__init__(label, validators, format="%Y-%m", render_kw=render_kw, **kwargs)

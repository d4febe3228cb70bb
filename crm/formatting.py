"""Jinja filters for times and money, in the CRM's time zone."""
from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["CRM_TIMEZONE"])


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    try:
        return value.astimezone(_zone()).strftime(fmt)
    except OverflowError:
        # A moment stored before far dates were refused (9999-12-31 23:59 local is past
        # datetime.max in UTC+8): shown as it is, in UTC, rather than a 500 for good.
        return value.astimezone(UTC).strftime(fmt) + " UTC"


def days_overdue(due: datetime | None) -> int | None:
    """None while `due` is ahead; else the whole days it has passed (0 on its first day)."""
    if due is None:
        return None
    late = datetime.now(UTC) - due
    return late.days if late.total_seconds() > 0 else None


def local_date(value: datetime) -> date:
    """The CRM time zone's calendar day of an aware datetime."""
    try:
        return value.astimezone(_zone()).date()
    except OverflowError:  # within hours of datetime.min/max: the last day there is
        return date.max if value.year > 1 else date.min


def from_local(day: date, clock: time) -> datetime:
    """A day and a time of day as typed (Asia/Shanghai) → an aware UTC datetime.
    Input refuses far days (crm.inputs.dates); one at the very edge of the calendar
    (year 1 or 9999) is held at the first or last moment a datetime can hold."""
    try:
        return datetime.combine(day, clock, _zone()).astimezone(UTC)
    except OverflowError:
        edge = datetime.max if day.year > 1 else datetime.min
        return edge.replace(tzinfo=UTC)


def today_local() -> date:
    """Today in the CRM's time zone (a Shanghai day starts 8 hours before a UTC one)."""
    return datetime.now(_zone()).date()


def wan(value: Decimal | float | None) -> str:
    """Amounts in 万元, without trailing zeros, to the 元: 1104 → '1,104', 12.5 → '12.5',
    a 50 元 tax → '0.005' (never '0.00', which reads as no tax)."""
    if value is None:
        return ""
    text = f"{Decimal(value):,.4f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def area(sqm: Decimal | float | None, unit: str = "sqm") -> str:
    """An area as people in the trade say it: land in 亩 with ㎡ beside it, buildings in ㎡."""
    if sqm is None:
        return ""
    if unit == "mu":
        return f"{_mu(sqm)} 亩（{_whole(sqm)} ㎡）"
    return f"{_whole(sqm)} ㎡"


def _mu(sqm) -> str:
    from crm.choices import SQM_PER_MU
    return wan((Decimal(sqm) / Decimal(str(SQM_PER_MU))).quantize(Decimal("0.01")))


def whole_sqm(sqm: Decimal | float | None) -> int | None:
    """An area in ㎡ as every page and export shows it: whole square metres (30 亩 is
    20,000 ㎡, not the 20000.10 that 亩 × 666.67 stores)."""
    if sqm is None:
        return None
    return int(Decimal(str(sqm)).quantize(Decimal(1)))


def _whole(sqm) -> str:
    return wan(whole_sqm(sqm))


def area_range(low: Decimal | float | None, high: Decimal | float | None, unit: str = "sqm") -> str:
    """2,000–4,000 ㎡; ≥ 30 亩（20,000 ㎡）; one end may be missing."""
    if low is not None and high is not None and low != high:
        if unit == "mu":
            return f"{_mu(low)}–{_mu(high)} 亩（{_whole(low)}–{_whole(high)} ㎡）"
        return f"{_whole(low)}–{_whole(high)} ㎡"
    if low is not None and high is not None:
        return area(low, unit)
    if low is not None:
        return "≥ " + area(low, unit)
    return "≤ " + area(high, unit) if high is not None else ""


def megabytes(size: int) -> str:
    """A byte count as MB for a limit shown to people: 15728640 → "15", 52428 → "0.05"."""
    return f"{size / (1024 * 1024):.3g}"

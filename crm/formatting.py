"""Jinja filters for times and money, in the CRM's time zone."""
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(current_app.config["CRM_TIMEZONE"])).strftime(fmt)


def today_local() -> date:
    """Today in the CRM's time zone (a Shanghai day starts 8 hours before a UTC one)."""
    return datetime.now(ZoneInfo(current_app.config["CRM_TIMEZONE"])).date()


def wan(value: Decimal | float | None) -> str:
    """Amounts in 万元, without trailing zeros: 1104 → '1,104', 12.5 → '12.5'."""
    if value is None:
        return ""
    text = f"{Decimal(value):,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text

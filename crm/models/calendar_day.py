from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import Model
from crm.models.types import UTCDateTime, utcnow


class CalendarDay(Model):
    """A day that differs from Monday–Friday: a holiday (a weekend inside a holiday range is
    stored too, for its name) or a make-up workday (调休 上班). Where the table holds a year it
    alone decides that year; see crm.workdays."""
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    # The calendar year the row belongs to: the day's own, except the December days a notice
    # sets before its 元旦 ("2018年12月29日（星期六）上班" in the 2019 notice), which are its year's.
    year: Mapped[int] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(10))           # holiday | workday
    name: Mapped[str] = mapped_column(String(40), default="")  # 春节, 国庆节 …
    # Where it came from: package (chinese-calendar), notice (the State Council's text), admin.
    source: Mapped[str] = mapped_column(String(10), default="admin")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

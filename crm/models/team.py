from datetime import datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import String, Time, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import Model
from crm.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:  # annotations only: the models import each other
    from crm.models.user import User


class Team(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    # The team that receives leads no rule claims (routing falls back to it).
    is_default: Mapped[bool] = mapped_column(default=False)
    # The team's working hours (Asia/Shanghai) for SLA deadlines and for members without a
    # shift of their own; none: the app's CRM_WORKDAY_START/END, members always on duty.
    work_start: Mapped[time | None] = mapped_column(Time)
    work_end: Mapped[time | None] = mapped_column(Time)
    lunch_start: Mapped[time | None] = mapped_column(Time)
    lunch_end: Mapped[time | None] = mapped_column(Time)
    weekends_too: Mapped[bool] = mapped_column(default=False, server_default=false())  # brokers
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list["User"]] = relationship(back_populates="team")

    @property
    def lunch(self) -> tuple[time, time] | None:
        return (self.lunch_start, self.lunch_end) if self.lunch_start and self.lunch_end else None

    def __repr__(self) -> str:
        return f"<Team {self.name}>"

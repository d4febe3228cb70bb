"""What a source costs: a manager's entry of a month's spend on one source site (an ad
budget, a portal's fee) or one channel, for the Source ROI report (crm.reporting.roi).

Exactly one of site and channel. One row per (month, site or channel, team); team None is
spend of the whole company. The unique indexes read a missing team as 0 (NULLs are never
equal in a unique index).
"""
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Numeric, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import Model
from crm.models.source_site import SourceSite
from crm.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:  # annotations only
    from crm.models.team import Team


class SourceSpend(Model):
    __tablename__ = "source_spend"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date)  # the first day of the month
    source_site_id: Mapped[int | None] = mapped_column(
        ForeignKey("source_site.id", ondelete="CASCADE"))
    channel: Mapped[str | None] = mapped_column(String(20))  # crm.choices.CHANNELS
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    amount_yuan: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    note: Mapped[str] = mapped_column(Text, default="")
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    source_site: Mapped[SourceSite | None] = relationship()
    team: Mapped["Team | None"] = relationship()

    __table_args__ = (
        CheckConstraint("(source_site_id IS NULL) <> (channel IS NULL)",
                        name="one_source"),
        CheckConstraint("amount_yuan >= 0", name="amount"),
        Index("uq_source_spend_site", "month", "source_site_id", func.coalesce(text("team_id"), 0),
              unique=True, postgresql_where=text("source_site_id IS NOT NULL"),
              sqlite_where=text("source_site_id IS NOT NULL")),
        Index("uq_source_spend_channel", "month", "channel", func.coalesce(text("team_id"), 0),
              unique=True, postgresql_where=text("channel IS NOT NULL"),
              sqlite_where=text("channel IS NOT NULL")),
        # The report and the manage page: a period of months, for a team.
        Index("ix_source_spend_team_month", "team_id", "month"),
    )

    def __repr__(self) -> str:
        return f"<SourceSpend {self.month:%Y-%m} {self.source_site_id or self.channel}>"

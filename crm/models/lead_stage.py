from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import Model
from crm.models.types import UTCDateTime


class LeadStage(Model):
    """When a lead FIRST reached a stage; written when it happens (crm.leads.stages).

    One row per (lead, stage): a reopened lead that reaches a stage again keeps the
    first time, so no report counts it twice.
    """
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"),
                                         primary_key=True)
    stage: Mapped[str] = mapped_column(String(12), primary_key=True)
    reached_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        # "Who reached site visit / won in this month": the ranking's range scan; lead_id in
        # the key makes it an index-only scan on PostgreSQL.
        Index("ix_lead_stage_reached", "stage", "reached_at", "lead_id"),
    )

    def __repr__(self) -> str:
        return f"<LeadStage {self.lead_id} {self.stage}>"

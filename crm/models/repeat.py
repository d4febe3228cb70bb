from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import Model
from crm.models.lead import postgresql_only
from crm.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:  # annotations only: the models import each other
    from crm.models.source_site import SourceSite


def repeat_window() -> timedelta:
    """How far back an inquiry from the same prospect counts as a repeat (one setting)."""
    return timedelta(days=current_app.config["CRM_REPEAT_WINDOW_DAYS"])


class InquiryRepeat(Model):
    """A prospect asking again within the duplicate window: linked to the first lead.

    A separate table rather than a second Lead row, so a repeat can never be routed,
    swept or counted as a new lead by code that only knows about leads.
    """
    __tablename__ = "inquiry_repeat"

    id: Mapped[int] = mapped_column(primary_key=True)
    original_lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Its own reference, shaped like a lead's: answering with the first lead's would tell
    # anyone who types a mobile whether, and when, that number inquired before.
    reference: Mapped[str | None] = mapped_column(String(20), unique=True)
    matched_on: Mapped[str] = mapped_column(String(10))  # mobile | wechat | company
    channel: Mapped[str] = mapped_column(String(10), default="web")
    source_site_id: Mapped[int | None] = mapped_column(
        ForeignKey("source_site.id", ondelete="SET NULL"))
    listing_id: Mapped[int | None] = mapped_column()
    contact_name: Mapped[str] = mapped_column(String(60), default="")
    mobile_e164: Mapped[str] = mapped_column(String(16), default="")
    company: Mapped[str] = mapped_column(String(120), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    # Everything else the prospect sent this time (need, usage, tax...), so nothing is lost.
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    page_url: Mapped[str] = mapped_column(String(1000), default="")
    referrer: Mapped[str] = mapped_column(String(1000), default="")
    utm_source: Mapped[str] = mapped_column(String(100), default="")
    utm_medium: Mapped[str] = mapped_column(String(100), default="")
    utm_campaign: Mapped[str] = mapped_column(String(100), default="")
    # Who asked (the PIPL key of a repeat): crm.intake.match.
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
    # Set once the owner has been told (the notify task acts only while NULL).
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    source_site: Mapped["SourceSite | None"] = relationship()

    __table_args__ = (Index("ix_inquiry_repeat_original", "original_lead_id", "created_at"),
                      Index("ix_inquiry_repeat_contact", "contact_id", "created_at"),
                      # Queue search by a part of a repeat's reference (crm.leads.search).
                      postgresql_only(Index("ix_inquiry_repeat_reference_trgm", "reference",
                                            postgresql_using="gin",
                                            postgresql_ops={"reference": "gin_trgm_ops"})))

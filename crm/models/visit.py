"""Recommendations a prospect opens on a private page, their visit requests, and site
visits (看厂) on the calendar."""
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import Model, db
from crm.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:  # annotations only: the models import each other
    from crm.models.lead import Lead
    from crm.models.listing import Listing
    from crm.models.user import User

VISIT_STATUSES = ("scheduled", "done", "cancelled")

# The listings of a recommendation, in the order the agent picked them.
recommendation_listing = Table(
    "recommendation_listing", db.metadata,
    Column("recommendation_id", ForeignKey("recommendation.id", ondelete="CASCADE"),
           primary_key=True),
    Column("listing_id", ForeignKey("listing.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, nullable=False, default=0),
    # Per-listing statistics: how often each listing was sent.
    Index("ix_recommendation_listing_listing", "listing_id"),
)

visit_request_listing = Table(
    "visit_request_listing", db.metadata,
    Column("visit_request_id", ForeignKey("visit_request.id", ondelete="CASCADE"),
           primary_key=True),
    Column("listing_id", ForeignKey("listing.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_visit_request_listing_listing", "listing_id"),
)

# Who goes on a visit (the agents reminded, and whose agenda and feed show it).
site_visit_attendee = Table(
    "site_visit_attendee", db.metadata,
    Column("site_visit_id", ForeignKey("site_visit.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_site_visit_attendee_user", "user_id"),
)


class Recommendation(Model):
    """Listings sent to one prospect: a private page at /r/<token>, until it expires or the
    agent revokes it. Opens are counted (once per browser per window), nobody is named."""
    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # The link's token is never stored: its SHA-256 (looked up by) and, for links made since
    # issue 27, the nonce it is derived from with the SECRET_KEY (crm.leads.recommend).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_nonce: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    open_count: Mapped[int] = mapped_column(default=0, server_default="0")
    first_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lead: Mapped["Lead"] = relationship()
    agent: Mapped["User | None"] = relationship()
    listings: Mapped[list["Listing"]] = relationship(
        secondary=recommendation_listing, order_by=recommendation_listing.c.position)

    __table_args__ = (Index("ix_recommendation_lead_created", "lead_id", "created_at"),)

    def is_live(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.revoked_at is None and self.expires_at > now


class VisitRequest(Model):
    """A prospect asked for a visit from their recommendation page."""
    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(
        ForeignKey("recommendation.id", ondelete="CASCADE"))
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"))
    preferred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The visit scheduled from it, once the agent has.
    site_visit_id: Mapped[int | None] = mapped_column(
        ForeignKey("site_visit.id", ondelete="SET NULL"))

    listings: Mapped[list["Listing"]] = relationship(
        secondary=visit_request_listing, order_by="Listing.id")

    __table_args__ = (Index("ix_visit_request_lead_created", "lead_id", "created_at"),
                      Index("ix_visit_request_recommendation", "recommendation_id"),
                      Index("ix_visit_request_site_visit", "site_visit_id"))


class SiteVisit(Model):
    """A site visit (看厂): when, where to meet, which listings, who goes."""
    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(default=90)
    meeting_point: Mapped[str] = mapped_column(String(200), default="")
    map_url: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(12), default="scheduled")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lead: Mapped["Lead"] = relationship()
    created_by: Mapped["User | None"] = relationship()
    attendees: Mapped[list["User"]] = relationship(
        secondary=site_visit_attendee, order_by="User.name")
    stops: Mapped[list["SiteVisitListing"]] = relationship(
        order_by="SiteVisitListing.position", cascade="all, delete-orphan",
        passive_deletes=True)

    __table_args__ = (
        Index("ix_site_visit_lead_start", "lead_id", "starts_at"),
        Index("ix_site_visit_start", "starts_at", "status"),
        # The reminder sweep: scheduled visits not reminded yet.
        Index("ix_site_visit_unreminded", "starts_at",
              postgresql_where=text("reminder_sent_at IS NULL AND status = 'scheduled'"),
              sqlite_where=text("reminder_sent_at IS NULL AND status = 'scheduled'")),
    )

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)


class SiteVisitListing(Model):
    """One listing seen on a visit, and the prospect's verdict on it afterwards."""
    site_visit_id: Mapped[int] = mapped_column(
        ForeignKey("site_visit.id", ondelete="CASCADE"), primary_key=True)
    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listing.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    liked: Mapped[bool | None] = mapped_column()  # None: no feedback yet
    reason: Mapped[str] = mapped_column(String(300), default="")

    listing: Mapped["Listing"] = relationship()

    __table_args__ = (Index("ix_site_visit_listing_listing", "listing_id"),)

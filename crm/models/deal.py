"""What was signed for a need (合同): its terms in the trade's units and what they are worth.

A need (`Lead`) marked won carries one signed `Deal`. A contract that falls through keeps its
row (status "fallen_through", out of every report) and the need is re-opened; signing again
makes a new row. Money is in 万元 (crm.inputs.deal_terms computes it); areas in ㎡ with the
unit they were typed in.
"""
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Date, ForeignKey, Index, Numeric, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import Model
from crm.models.lead import MONEY
from crm.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:  # annotations only: the models import each other
    from crm.models.lead import Lead
    from crm.models.listing import Listing
    from crm.models.user import User

DEAL_STATUSES = ("signed", "fallen_through")


class Deal(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="signed")
    signed_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Credited for it (the need's owner when signed) and their team then: reports read these.
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    deal_type: Mapped[str] = mapped_column(String(10))        # rent | buy
    property_type: Mapped[str | None] = mapped_column(String(12))
    # The need's source, copied when it is signed (a lead's channel and site never change
    # after intake): the spend report groups two years of deals without a join per deal.
    channel: Mapped[str | None] = mapped_column(String(10))
    source_site_id: Mapped[int | None] = mapped_column(
        ForeignKey("source_site.id", ondelete="SET NULL"))

    # What: the main listing (more in deal_listing), or a property not in the inventory.
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listing.id", ondelete="SET NULL"))
    property_text: Mapped[str] = mapped_column(String(200), default="")
    area_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))  # as typed
    area_unit: Mapped[str] = mapped_column(String(4), default="sqm")      # sqm | mu
    area_sqm: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))

    # Price and term (crm.inputs.deal_terms.PRICE_UNITS).
    price: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    price_unit: Mapped[str] = mapped_column(String(16))
    term_months: Mapped[int | None] = mapped_column(SmallInteger)
    start_on: Mapped[date | None] = mapped_column(Date)
    rent_free_months: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))  # 免租期
    deposit_wan: Mapped[Decimal | None] = mapped_column(MONEY)
    value_wan: Mapped[Decimal] = mapped_column(MONEY)  # total contract value, computed

    # A broker's commission (佣金) and its collection (回款).
    commission_kind: Mapped[str | None] = mapped_column(String(16))
    commission_rate: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))  # 万元, % or months
    commission_wan: Mapped[Decimal | None] = mapped_column(MONEY)
    commission_due_on: Mapped[date | None] = mapped_column(Date)
    commission_received_wan: Mapped[Decimal | None] = mapped_column(MONEY)
    commission_received_on: Mapped[date | None] = mapped_column(Date)

    # A park's 招商 figures: what the company commits to.
    investment_wan: Mapped[Decimal | None] = mapped_column(MONEY)
    annual_tax_wan: Mapped[Decimal | None] = mapped_column(MONEY)
    tax_per_mu_wan: Mapped[Decimal | None] = mapped_column(MONEY)  # 亩均税收, computed
    jobs: Mapped[int | None] = mapped_column()

    note: Mapped[str] = mapped_column(Text, default="")
    fell_through_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fell_through_reason: Mapped[str] = mapped_column(String(200), default="")

    lead: Mapped["Lead"] = relationship()
    listing: Mapped["Listing | None"] = relationship()
    agent: Mapped["User | None"] = relationship()
    listings: Mapped[list["DealListing"]] = relationship(
        back_populates="deal", cascade="all, delete-orphan", passive_deletes=True)
    shares: Mapped[list["DealShare"]] = relationship(
        back_populates="deal", cascade="all, delete-orphan", passive_deletes=True)
    milestones: Mapped[list["DealMilestone"]] = relationship(
        back_populates="deal", cascade="all, delete-orphan", passive_deletes=True,
        order_by="DealMilestone.id")

    __table_args__ = (
        Index("ix_deal_lead", "lead_id"),
        # Reports: signed deals by month, by agent, by team (status first, then the period).
        Index("ix_deal_status_signed", "status", "signed_on",
              postgresql_include=["lead_id", "value_wan", "channel", "source_site_id"]),
        Index("ix_deal_agent_signed", "agent_id", "signed_on"),
        Index("ix_deal_team_signed", "team_id", "signed_on"),
        Index("ix_deal_listing", "listing_id",
              postgresql_where=text("listing_id IS NOT NULL"),
              sqlite_where=text("listing_id IS NOT NULL")),
    )

    def __repr__(self) -> str:
        return f"<Deal {self.id} lead={self.lead_id} {self.status}>"


class DealListing(Model):
    """A listing a deal took, and how much of it (a divisible listing keeps the rest)."""
    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"))
    listing_id: Mapped[int] = mapped_column(ForeignKey("listing.id", ondelete="CASCADE"))
    area_sqm: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))

    deal: Mapped[Deal] = relationship(back_populates="listings")
    listing: Mapped["Listing"] = relationship()

    __table_args__ = (
        Index("uq_deal_listing", "deal_id", "listing_id", unique=True),
        Index("ix_deal_listing_listing", "listing_id"),
    )


class DealShare(Model):
    """Who shares a broker's commission, in percent of it."""
    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    share_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2))

    deal: Mapped[Deal] = relationship(back_populates="shares")
    user: Mapped["User"] = relationship()

    __table_args__ = (Index("uq_deal_share", "deal_id", "user_id", unique=True),
                      Index("ix_deal_share_user", "user_id"))


class DealMilestone(Model):
    """签约 → 拿地/入驻 → 开工 → 投产 → 达产 (crm.inputs.deal_terms.MILESTONES): when it is due
    and when it happened. Overdue: due before today and not done."""
    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    due_on: Mapped[date | None] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)

    deal: Mapped[Deal] = relationship(back_populates="milestones")

    __table_args__ = (
        Index("uq_deal_milestone", "deal_id", "kind", unique=True),
        Index("ix_deal_milestone_open", "due_on",
              postgresql_where=text("done_on IS NULL"), sqlite_where=text("done_on IS NULL")),
    )


class DealRevision(Model):
    """An edit of a deal's terms after signing: who, when, and each field's was and now."""
    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    changes: Mapped[dict] = mapped_column(JSON, default=dict)  # field: [was, now] as strings

    __table_args__ = (Index("ix_deal_revision_deal", "deal_id", "id"),)

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import Model
from crm.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:  # annotations only: the models import each other
    from crm.models.lead import Lead
    from crm.models.user import User

LISTING_STATUSES = ("available", "reserved", "let_or_sold")


class Listing(Model):
    """A property on offer (对接资源): a factory, warehouse, land parcel or office."""
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    property_type: Mapped[str] = mapped_column(String(12))
    deal_type: Mapped[str] = mapped_column(String(10))
    region_code: Mapped[str | None] = mapped_column(String(60))
    park: Mapped[str] = mapped_column(String(120), default="")
    area_sqm: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    area_unit: Mapped[str] = mapped_column(String(4), default="sqm")  # as it was entered
    floors: Mapped[int | None] = mapped_column()
    ceiling_height_m: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    floor_load_t: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))  # t/㎡
    power_kva: Mapped[int | None] = mapped_column()
    crane_t: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))  # 行车; None: none or not said
    standalone: Mapped[bool | None] = mapped_column()  # 独门独院; None: not said
    eia_possible: Mapped[bool] = mapped_column(default=False)
    divisible: Mapped[bool] = mapped_column(default=False)
    # Rent: 元/㎡/天; sale or land: 万元 (a land parcel's starting price). None with negotiable.
    price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    price_negotiable: Mapped[bool] = mapped_column(default=False)
    available_from: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="available")
    description: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by: Mapped["User | None"] = relationship()

    __table_args__ = (
        # Matching scans available listings of one type.
        Index("ix_listing_match", "status", "property_type", "deal_type"),
        Index("ix_listing_region", "region_code"),
    )

    @property
    def price_unit(self) -> str:
        return "yuan_sqm_day" if self.deal_type == "rent" else "wan"

    def __repr__(self) -> str:
        return f"<Listing {self.id} {self.title}>"


class LeadListing(Model):
    """A listing shown to a lead: recommended, or visited on site (看厂)."""
    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"))
    listing_id: Mapped[int] = mapped_column(ForeignKey("listing.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))  # recommended, site_visit
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lead: Mapped["Lead"] = relationship()
    listing: Mapped[Listing] = relationship()
    author: Mapped["User | None"] = relationship()

    __table_args__ = (
        # Recording the same thing twice (double tap) is one record.
        UniqueConstraint("lead_id", "listing_id", "kind", name="uq_lead_listing_once"),
        Index("ix_lead_listing_listing", "listing_id", "created_at"),
    )

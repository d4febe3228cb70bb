from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import Model
from crm.models.types import UTCDateTime, utcnow

IMAGE_STATUSES = ("pending", "ready", "failed")


class ListingImage(Model):
    """A photo or floor plan of a listing. The upload is kept privately (raw_key) until a
    task has made the web-sized copy, the middle copy (phones) and the thumbnail, without
    metadata; then it is deleted. Keys of the copies carry their content hash, so they never change."""
    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listing.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    is_cover: Mapped[bool] = mapped_column(default=False)
    caption: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(8), default="pending")
    raw_key: Mapped[str | None] = mapped_column(String(255))  # the upload, never served
    web_key: Mapped[str | None] = mapped_column(String(255))
    thumb_key: Mapped[str | None] = mapped_column(String(255))
    # None for a photo no larger than the middle size, or processed before it existed.
    mid_key: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(40))  # of the upload; copies are JPEG
    width: Mapped[int | None] = mapped_column()  # of the web copy once ready
    height: Mapped[int | None] = mapped_column()
    thumb_width: Mapped[int | None] = mapped_column()
    thumb_height: Mapped[int | None] = mapped_column()
    mid_width: Mapped[int | None] = mapped_column()
    mid_height: Mapped[int | None] = mapped_column()
    bytes: Mapped[int] = mapped_column()  # of the upload
    sha256: Mapped[str] = mapped_column(String(64))  # of the upload
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        # The same photo twice on one listing is refused (also on a double tap).
        UniqueConstraint("listing_id", "sha256", name="uq_listing_image_sha256"),
        Index("ix_listing_image_order", "listing_id", "position"),
        # The sweeper looks for uploads still pending after a while.
        Index("ix_listing_image_status", "status", "created_at"),
    )

    def __repr__(self) -> str:
        return f"<ListingImage {self.id} of listing {self.listing_id} {self.status}>"

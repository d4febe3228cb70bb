from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import Model
from crm.models.types import UTCDateTime, utcnow


class ApiIdempotencyKey(Model):
    """The first answer given to an API request carrying an Idempotency-Key.

    Written in the same transaction as the lead, so the unique constraint decides
    which of two concurrent retries creates the lead; the other replays its answer.
    """
    __tablename__ = "api_idempotency_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_site_id: Mapped[int] = mapped_column(ForeignKey("source_site.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    request_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the body
    status_code: Mapped[int] = mapped_column()
    body: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("source_site_id", "key",
                                       name="uq_api_idempotency_key_site_key"),)

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import Model
from crm.models.types import UTCDateTime, utcnow


class SourceSite(Model):
    """A site that embeds the inquiry form or posts to the API.

    Two keys, because they are exposed differently: ``public_key`` appears in the embed
    URL on the partner's pages (anyone can read it; it only picks the site and its
    frame-ancestors), while the API key is a secret shown once and stored only as a
    SHA-256 digest (a long random token needs no slow hash).
    """
    __tablename__ = "source_site"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    # One origin per line, e.g. https://zj.example.cn (scheme, host, optional port; no path).
    origins: Mapped[str] = mapped_column(Text, default="")
    public_key: Mapped[str] = mapped_column(String(40), unique=True)
    api_key_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    api_key_hint: Mapped[str] = mapped_column(String(12), default="")  # first characters, to tell keys apart
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def origin_list(self) -> list[str]:
        return [line.strip() for line in (self.origins or "").splitlines() if line.strip()]

    def __repr__(self) -> str:
        return f"<SourceSite {self.name}>"

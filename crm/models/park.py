from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import Model
from crm.models.types import UTCDateTime, utcnow


class Park(Model):
    """A park or zone inside a county (G60科创走廊, 临港新片区), kept by admins. Its code is
    the county's code plus a suffix (310117P01), so prefix matches on regions include it."""
    __tablename__ = "region_park"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    parent_code: Mapped[str] = mapped_column(String(6))
    name: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(120), default="", server_default="")
    # Other names the message reader knows it by, comma-separated: "临港,临港新区".
    aliases: Mapped[str] = mapped_column(Text, default="", server_default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Park {self.code} {self.name}>"

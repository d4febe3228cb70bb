from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from crm.extensions import db
from crm.models.types import UTCDateTime, utcnow


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default="agent")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    active: Mapped[bool] = mapped_column(default=True)
    # Round-robin pointer: the agent assigned longest ago is next. Updated under the
    # team's row lock, so two workers never pick from a stale view.
    last_assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    team: Mapped["Team | None"] = relationship(back_populates="members")  # noqa: F821

    __table_args__ = (Index("ix_user_team_rr", "team_id", "active", "last_assigned_at"),)

    def set_password(self, password: str) -> None:
        # werkzeug's default is scrypt, a memory-hard KDF.
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_manager(self) -> bool:
        return self.role in ("manager", "admin")

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"

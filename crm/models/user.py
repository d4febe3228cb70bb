import secrets
from datetime import datetime, time
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, Time, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from crm.extensions import Model
from crm.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:  # annotations only: the models import each other
    from crm.models.team import Team


class Role(StrEnum):
    """What a user is; what each role may do is decided in crm.access. Stored as its value."""
    AGENT = "agent"
    MANAGER = "manager"
    ADMIN = "admin"


class User(UserMixin, Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default=Role.AGENT.value)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    active: Mapped[bool] = mapped_column(default=True)
    # Round-robin pointer: the agent assigned longest ago is next. Updated under the
    # team's row lock, so two workers never pick from a stale view.
    last_assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Smooth weighted round-robin credit (strategy "weighted"), moved under the team lock.
    rr_credit: Mapped[int] = mapped_column(default=0, server_default="0")
    weight: Mapped[int] = mapped_column(default=1, server_default="1")
    # Most open leads this agent may hold; None: no cap.
    capacity: Mapped[int | None] = mapped_column()
    on_leave: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Working hours, Asia/Shanghai, on China's working days (调休 included). An end before
    # the start means a shift across midnight; no hours at all means "always on duty".
    work_start: Mapped[time | None] = mapped_column(Time)
    work_end: Mapped[time | None] = mapped_column(Time)
    weekends_too: Mapped[bool] = mapped_column(default=False, server_default=false())  # also on rest days
    # Comma-separated region codes / industry codes this agent covers; empty: all.
    covers_regions: Mapped[str] = mapped_column(String(500), default="", server_default="")
    covers_industries: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # Receives big projects as well as the agent who gets them (一把手领衔).
    is_senior: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Part of the login session's id: changing it (logout, password change) ends every
    # session of this user, even copies of the signed session cookie.
    session_token: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16),
                                               server_default="")
    # Set when an admin chose the password (a new user, a reset): the user picks their own
    # at the next login before doing anything else.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # How prospects reach the agent: shown on the recommendation pages sent to them.
    contact_phone: Mapped[str] = mapped_column(String(30), default="", server_default="")
    contact_wechat: Mapped[str] = mapped_column(String(60), default="", server_default="")
    # The private calendar feed's token, stored as its SHA-256 (NULL: no feed).
    calendar_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    team: Mapped["Team | None"] = relationship(back_populates="members")

    __table_args__ = (Index("ix_user_team_rr", "team_id", "active", "last_assigned_at"),)

    def set_password(self, password: str) -> None:
        # werkzeug's default is scrypt, a memory-hard KDF.
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def end_sessions(self) -> None:
        self.session_token = secrets.token_hex(16)

    def get_id(self) -> str:  # Flask-Login stores this in the session
        return f"{self.id}.{self.session_token}"

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_manager(self) -> bool:
        """A manager or an admin: what a manager may do, an admin may too."""
        return self.role in (Role.MANAGER, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def region_list(self) -> list[str]:
        return [c for c in self.covers_regions.split(",") if c]

    @property
    def industry_list(self) -> list[str]:
        return [c for c in self.covers_industries.split(",") if c]

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"

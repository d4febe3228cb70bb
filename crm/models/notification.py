from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import Model
from crm.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:  # annotations only: the models import each other
    from crm.models.team import Team
    from crm.models.user import User

CHANNEL_KINDS = ("email", "wecom", "dingtalk", "feishu", "webhook")


class NotificationChannel(Model):
    """Where a user's or a team's notifications go: a mailbox or a chat/webhook URL."""
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    target: Mapped[str] = mapped_column(String(500))  # email address or webhook URL
    secret: Mapped[str] = mapped_column(String(200), default="")  # signing secret, if any
    active: Mapped[bool] = mapped_column(default=True)
    failures: Mapped[int] = mapped_column(default=0)  # consecutive failed deliveries
    last_error: Mapped[str] = mapped_column(String(500), default="")
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped["User | None"] = relationship()
    team: Mapped["Team | None"] = relationship()


class Notification(Model):
    """One message to one channel about one event of one lead; delivered by Celery."""
    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("notification_channel.id", ondelete="CASCADE"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"))
    # e.g. "assigned", "sla_half", "sla_breach", "escalation", "follow_up_due:2026-11-23"
    event: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    channel: Mapped[NotificationChannel] = relationship()

    __table_args__ = (
        # The same event is never queued twice for one channel: beat tasks can re-run safely.
        UniqueConstraint("channel_id", "lead_id", "event", name="uq_notification_once"),
        Index("ix_notification_status", "status", "created_at"),
    )


class NotificationAttempt(Model):
    """Every delivery attempt, kept for the admin's view of failing channels."""
    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notification.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ok: Mapped[bool] = mapped_column()
    detail: Mapped[str] = mapped_column(Text, default="")

"""Where notifications go: a team's or a person's channels (mail, WeCom, DingTalk, Feishu,
signed webhook), added, paused and removed by managers."""
from dataclasses import dataclass

from crm.extensions import db
from crm.models import NotificationChannel


@dataclass(frozen=True, slots=True)
class ChannelInput:
    """A channel to add (the channel form's `to_input()`): a team's or a person's, one of
    the two ids set."""
    kind: str                  # crm.models.notification.CHANNEL_KINDS
    target: str                # an email address or a webhook URL
    secret: str = ""           # the webhook's signing secret
    team_id: int | None = None
    user_id: int | None = None


def add_channel(data: ChannelInput) -> NotificationChannel:
    if (data.team_id is None) == (data.user_id is None):
        raise ValueError("a channel belongs to one team or one user")
    channel = NotificationChannel(kind=data.kind, target=data.target, secret=data.secret)
    if data.team_id is not None:
        channel.team_id = data.team_id
    else:
        channel.user_id = data.user_id
    db.session.add(channel)
    db.session.commit()
    return channel


def set_channel_active(channel: NotificationChannel, active: bool) -> None:
    channel.active = active
    if active:
        channel.failures = 0
    db.session.commit()


def delete_channel(channel: NotificationChannel) -> None:
    db.session.delete(channel)
    db.session.commit()

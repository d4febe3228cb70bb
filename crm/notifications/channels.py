"""Where notifications go: a team's or a person's channels (mail, WeCom, DingTalk, Feishu,
signed webhook), added, paused and removed by managers."""
from crm.extensions import db
from crm.models import NotificationChannel


def add_channel(form) -> NotificationChannel:
    owner_kind, owner_id = form.owner.data.split(":")
    channel = NotificationChannel(kind=form.kind.data, target=form.target.data,
                                  secret=form.secret.data or "")
    if owner_kind == "team":
        channel.team_id = int(owner_id)
    else:
        channel.user_id = int(owner_id)
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

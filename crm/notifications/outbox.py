"""Notifications: queued in the same transaction as the event (an outbox), delivered by Celery.

Queue with queue_*() inside the caller's transaction, then call send_soon(ids) after
the commit. If the broker is down the rows stay `pending` and the beat task
deliver_pending() sends them later. Delivery is idempotent: a sent row is never
sent again. The prospect's phone number is never put in a message.
"""
import base64
import hashlib
import hmac
import http.client
import json
import logging
import socket
import ssl
import time
import urllib.parse
from collections.abc import Sequence
from email.message import EmailMessage

from flask import current_app
from flask_babel import gettext
from sqlalchemy import ColumnElement, select

from crm import choices, regions
from crm.extensions import db
from crm.formatting import local_time, wan, whole_sqm
from crm.i18n import default_locale
from crm.inputs import webhooks
from crm.jobs import DELIVER_NOTIFICATION, enqueue
from crm.models import Lead, Notification, NotificationAttempt, NotificationChannel, Team, User
from crm.models.types import utcnow
from crm.notifications import mail

log = logging.getLogger(__name__)
GROUP_CHATS = ("wecom", "dingtalk", "feishu")


class DeliveryError(Exception):
    pass


# --- queueing ------------------------------------------------------------------------

def _channels(users: Sequence[User | None], team: Team | None) -> list[NotificationChannel]:
    user_ids = [u.id for u in users if u is not None]
    clauses: list[ColumnElement[bool]] = []
    if user_ids:
        clauses.append(NotificationChannel.user_id.in_(user_ids))
    if team is not None:
        clauses.append(NotificationChannel.team_id == team.id)
    if not clauses:
        return []
    from sqlalchemy import or_
    return list(db.session.scalars(
        select(NotificationChannel).where(NotificationChannel.active.is_(True), or_(*clauses))
        .order_by(NotificationChannel.id)))


def _queue(lead: Lead, event: str, channels: list[NotificationChannel], subject: str,
           body: str) -> list[int]:
    ids = []
    for channel in channels:
        exists = db.session.scalar(select(Notification.id).where(
            Notification.channel_id == channel.id, Notification.lead_id == lead.id,
            Notification.event == event))
        if exists:
            continue  # already queued by an earlier run: beat tasks may repeat
        note = Notification(channel_id=channel.id, lead_id=lead.id, event=event,
                            subject=subject[:200], body=body)
        db.session.add(note)
        db.session.flush()
        ids.append(note.id)
    return ids


def summary(lead: Lead) -> str:
    """Reference, need, region, company: what a chat message may say about a lead."""
    need = " ".join(filter(None, [
        choices.label(choices.DEAL_TYPES, lead.deal_type),
        choices.label(choices.PROPERTY_TYPES, lead.property_type),
        regions.full_name(lead.region_code) or lead.region_text]))
    if lead.area_min_sqm or lead.area_max_sqm:
        need += f" {wan(whole_sqm(lead.area_min_sqm))}–{wan(whole_sqm(lead.area_max_sqm))}㎡"
    lines = [f"{gettext('Reference')}: {lead.reference}",
             f"{gettext('Need')}: {need.strip() or '—'}",
             f"{gettext('Company')}: {lead.company or '—'}"]
    if lead.industry or lead.usage:
        lines.append(f"{gettext('Usage')}: {choices.label(choices.INDUSTRIES, lead.industry)} {lead.usage}".strip())
    if lead.investment_wan is not None or lead.annual_tax_wan is not None:
        lines.append(gettext("Investment %(inv)s, annual tax %(tax)s (10k yuan)",
                             inv=wan(lead.investment_wan) or "—", tax=wan(lead.annual_tax_wan) or "—"))
    lines.append(lead_url(lead))
    return "\n".join(lines)


def lead_url(lead: Lead) -> str:
    return f"{current_app.config['CRM_BASE_URL'].rstrip('/')}/agent/leads/{lead.id}"


def _stamp(lead: Lead) -> int:
    # Events that may recur (after a reassignment) are keyed by the assignment time.
    return int(lead.assigned_at.timestamp()) if lead.assigned_at else 0


def queue_assignment(lead: Lead, agent: User, team: Team | None, senior: User | None,
                     channels_seen: dict | None = None, extra: str = "") -> list[int]:
    """Notices of a new assignment. A routing batch passes `channels_seen`, so the channels of
    an agent and team are read once per batch, not once per lead. `extra`: a line after the
    summary (the contact's other needs)."""
    def channels(users: list[User], of_team: Team | None) -> list[NotificationChannel]:
        if channels_seen is None:
            return _channels(users, of_team)
        key = (tuple(u.id for u in users), of_team.id if of_team else None)
        if key not in channels_seen:
            channels_seen[key] = _channels(users, of_team)
        return channels_seen[key]

    to_agent = channels([agent], team)
    to_senior = channels([senior], None) if senior is not None else []
    if not to_agent and not to_senior:
        return []  # nobody set up a channel: nothing to word
    with default_locale():
        text = summary(lead) + (f"\n{extra}" if extra else "")
        ids = _queue(lead, f"assigned:{_stamp(lead)}", to_agent,
                     gettext("New lead %(ref)s for %(agent)s", ref=lead.reference, agent=agent.name),
                     text)
        if to_senior:
            ids += _queue(lead, "escalation", to_senior,
                          gettext("Big project %(ref)s: escalated to you", ref=lead.reference), text)
    return ids


_EVENT_SUBJECTS = {
    "sla_half": lambda lead: gettext("Half the first-contact time is gone: %(ref)s, due %(due)s",
                                     ref=lead.reference, due=local_time(lead.sla_due_at, "%H:%M")),
    "sla_breach": lambda lead: gettext("Not contacted in time: %(ref)s (%(agent)s)",
                                       ref=lead.reference,
                                       agent=lead.assigned_to.name if lead.assigned_to else "—"),
    "reassigned": lambda lead: gettext("Lead %(ref)s reassigned to you", ref=lead.reference),
    "follow_up_due": lambda lead: gettext("Follow-up due today: %(ref)s", ref=lead.reference),
    "caller_waiting": lambda lead: gettext("Your prospect %(ref)s called a colleague: please "
                                           "call back", ref=lead.reference),
    "recommendation_opened": lambda lead: gettext("%(ref)s opened the listings you sent",
                                                  ref=lead.reference),
    "visit_requested": lambda lead: gettext("%(ref)s asks to visit (看厂)", ref=lead.reference),
    "visit_reminder": lambda lead: gettext("Site visit soon: %(ref)s", ref=lead.reference),
}


def queue_event(lead: Lead, kind: str, users: Sequence[User | None], team: Team | None = None,
                extra: str = "", key: str | None = None) -> list[int]:
    with default_locale():
        subject = _EVENT_SUBJECTS[kind](lead)
        body = summary(lead) + (f"\n{extra}" if extra else "")
        event = f"{kind}:{key if key is not None else _stamp(lead)}"
        return _queue(lead, event, _channels(users, team), subject, body)


def send_soon(ids: list[int]) -> None:
    for note_id in ids:
        enqueue(DELIVER_NOTIFICATION, note_id)


# --- delivery ------------------------------------------------------------------------

def deliver(notification_id: int, final_attempt: bool = False) -> bool:
    """Send one notification. Raises DeliveryError so Celery retries with backoff."""
    note = db.session.get(Notification, notification_id)
    if note is None or note.status == "sent":
        return True
    channel = note.channel
    try:
        detail = _SENDERS[channel.kind](channel, note)
    except Exception as exc:  # every failure is recorded, then retried
        error = f"{type(exc).__name__}: {exc}"[:500]
        note.attempts += 1
        note.last_error = error
        db.session.add(NotificationAttempt(notification_id=note.id, ok=False, detail=error))
        channel.failures += 1
        channel.last_error = error
        channel.last_error_at = utcnow()
        if final_attempt:
            note.status = "failed"
        db.session.commit()
        log.warning("notification %s via %s #%s failed: %s", note.id, channel.kind, channel.id, error)
        raise DeliveryError(error) from exc
    note.attempts += 1
    note.status = "sent"
    note.sent_at = utcnow()
    note.last_error = ""
    channel.failures = 0
    db.session.add(NotificationAttempt(notification_id=note.id, ok=True, detail=detail[:500]))
    db.session.commit()
    return True


def pending_ids(older_than_seconds: int = 60, limit: int = 500) -> list[int]:
    from datetime import timedelta
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    return list(db.session.scalars(
        select(Notification.id).where(Notification.status == "pending",
                                      Notification.created_at <= cutoff)
        .order_by(Notification.created_at).limit(limit)))


def _send_email(channel: NotificationChannel, note: Notification) -> str:
    if not mail.configured():
        raise DeliveryError("MAIL_SERVER is not configured")
    message = EmailMessage()
    message["To"] = channel.target
    message["Subject"] = note.subject
    message.set_content(note.body)
    mail.send(message)
    return "smtp ok"


def _post_json(url: str, payload: dict, headers: dict | None = None) -> dict:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return _post(url, body, headers or {})


class _PinnedConnection:
    """Connect to the addresses that were checked (the first that answers), whatever the name
    resolves to now; the Host header, TLS SNI and the certificate check still use the name."""

    def __init__(self, addresses: list[str]):
        self.addresses = addresses

    def __call__(self, target, *args, **kwargs):
        error: OSError | None = None
        for address in self.addresses:
            try:
                return socket.create_connection((address, target[1]), *args, **kwargs)
            except OSError as exc:
                error = exc
        raise error or OSError("no address to connect to")


def _post(url: str, body: bytes, headers: dict) -> dict:
    # Checked here with the host's DNS answers (a name saved as public may since point
    # inside, the channel's URL may predate the check), then connected to that very address.
    refused, addresses = webhooks.check(url, current_app.config["CRM_WEBHOOK_ALLOW_LOCAL"],
                                      resolve=True)
    if refused:
        raise DeliveryError(f"refused address ({refused})")
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""  # never empty here: check() refuses a URL without a host
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(host, parts.port, timeout=5,
                                                 context=ssl.create_default_context())
    else:  # local http, allowed only by CRM_WEBHOOK_ALLOW_LOCAL
        connection = http.client.HTTPConnection(host, parts.port, timeout=5)
    if addresses:
        # CPython's hook for opening the socket: private, so typeshed does not declare it.
        connection._create_connection = _PinnedConnection(addresses)  # type: ignore[attr-defined]
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        # http.client follows no redirect: a 3xx is an error like any other non-2xx, as
        # following it could lead a worker into our own network.
        connection.request("POST", path, body=body, headers={
            "Content-Type": "application/json; charset=utf-8", **headers})
        response = connection.getresponse()
        if not 200 <= response.status < 300:
            raise DeliveryError(f"HTTP {response.status}")
        text = response.read().decode("utf-8", "replace")
    finally:
        connection.close()
    try:
        return json.loads(text) if text else {}
    except ValueError:
        return {"raw": text[:200]}


def _chat_text(note: Notification) -> str:
    return f"{note.subject}\n{note.body}"


def _send_wecom(channel: NotificationChannel, note: Notification) -> str:
    # WeCom group robot: {"msgtype": "text", "text": {"content": ...}}; errcode 0 is success.
    answer = _post_json(channel.target, {"msgtype": "text", "text": {"content": _chat_text(note)}})
    if answer.get("errcode", 0) != 0:
        raise DeliveryError(f"wecom errcode {answer.get('errcode')}: {answer.get('errmsg')}")
    return "wecom ok"


def _send_dingtalk(channel: NotificationChannel, note: Notification) -> str:
    # DingTalk custom robot; with a secret, timestamp+sign go in the query string.
    url = channel.target
    if channel.secret:
        timestamp = str(int(time.time() * 1000))
        digest = hmac.new(channel.secret.encode(), f"{timestamp}\n{channel.secret}".encode(),
                          hashlib.sha256).digest()
        sign = urllib.parse.quote_plus(base64.b64encode(digest))
        url += ("&" if "?" in url else "?") + f"timestamp={timestamp}&sign={sign}"
    answer = _post_json(url, {"msgtype": "text", "text": {"content": _chat_text(note)}})
    if answer.get("errcode", 0) != 0:
        raise DeliveryError(f"dingtalk errcode {answer.get('errcode')}: {answer.get('errmsg')}")
    return "dingtalk ok"


def _send_feishu(channel: NotificationChannel, note: Notification) -> str:
    # Feishu custom bot; with a secret, timestamp+sign go in the body.
    payload = {"msg_type": "text", "content": {"text": _chat_text(note)}}
    if channel.secret:
        timestamp = str(int(time.time()))
        key = f"{timestamp}\n{channel.secret}".encode()
        payload["timestamp"] = timestamp
        payload["sign"] = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    answer = _post_json(channel.target, payload)
    if answer.get("code", answer.get("StatusCode", 0)) != 0:
        raise DeliveryError(f"feishu code {answer.get('code')}: {answer.get('msg')}")
    return "feishu ok"


def _send_webhook(channel: NotificationChannel, note: Notification) -> str:
    lead = db.session.get(Lead, note.lead_id) if note.lead_id else None
    payload = {"event": note.event.split(":")[0], "notification_id": note.id,
               "subject": note.subject, "text": note.body,
               "lead": {"reference": lead.reference, "url": lead_url(lead),
                        "deal_type": lead.deal_type, "property_type": lead.property_type,
                        "region_code": lead.region_code, "company": lead.company,
                        "status": lead.status} if lead else None}
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    signature = hmac.new(channel.secret.encode(), body, hashlib.sha256).hexdigest()
    _post(channel.target, body, {"X-Changfang-Event": payload["event"],
                                 "X-Changfang-Delivery": str(note.id),
                                 "X-Changfang-Signature": f"sha256={signature}"})
    return "webhook ok"


_SENDERS = {"email": _send_email, "wecom": _send_wecom, "dingtalk": _send_dingtalk,
            "feishu": _send_feishu, "webhook": _send_webhook}

"""Notifications reach a real SMTP server and real HTTP servers on 127.0.0.1."""
import base64
import hashlib
import hmac
import json
import socket
from decimal import Decimal

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from crm.models import Notification, NotificationAttempt, NotificationChannel
from crm.notifications import outbox
from crm.routing import engine
from tests.factories import ChannelFactory, LeadFactory, TeamFactory, UserFactory


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp(app):
    inbox = Inbox()
    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port,
                      MAIL_SENDER="crm@changfang.test")
    yield inbox
    controller.stop()


def lead_for_routing():
    return LeadFactory(company="湖州新能源科技有限公司", region_code="330522",
                       property_type="factory", deal_type="rent", mobile_e164="+8613391219793",
                       mobile_display="133 9121 9793", area_min_sqm=Decimal(2000),
                       area_max_sqm=Decimal(3000))


def test_assignment_mail_reaches_the_agent(db, smtp):
    agent = UserFactory(name="李招商")
    ChannelFactory(user=agent, kind="email", target="li@changfang.test")
    lead = lead_for_routing()
    engine.route_lead(lead.id)
    assert len(smtp.messages) == 1
    envelope = smtp.messages[0]
    assert envelope.rcpt_tos == ["li@changfang.test"]
    text = envelope.content.decode("utf-8", "replace")
    assert lead.reference in text
    note = db.session.scalars(select(Notification)).one()
    assert note.status == "sent" and note.attempts == 1


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu"])
def test_group_robots_get_their_own_json_format_without_the_phone(db, httpserver, kind):
    team = TeamFactory()
    UserFactory(team=team)
    answer = {"feishu": {"code": 0, "msg": "success"}}.get(kind, {"errcode": 0, "errmsg": "ok"})
    httpserver.expect_request("/robot", method="POST").respond_with_json(answer)
    ChannelFactory(team=team, kind=kind, target=httpserver.url_for("/robot"), secret="s3cret")
    lead = lead_for_routing()
    engine.route_lead(lead.id)
    request, _ = httpserver.log[0]
    payload = json.loads(request.data)
    if kind == "wecom":
        text = payload["text"]["content"]
        assert payload["msgtype"] == "text"
    elif kind == "dingtalk":
        text = payload["text"]["content"]
        timestamp, sign = request.args["timestamp"], request.args["sign"]
        expected = base64.b64encode(hmac.new(b"s3cret", f"{timestamp}\ns3cret".encode(),
                                             hashlib.sha256).digest()).decode()
        assert sign == expected
    else:
        text = payload["content"]["text"]
        assert payload["msg_type"] == "text"
        key = f"{payload['timestamp']}\ns3cret".encode()
        assert payload["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert lead.reference in text and "湖州新能源科技有限公司" in text and "长兴" in text
    assert "/agent/leads/" in text
    assert "13391219793" not in text and "9121" not in text  # never the prospect's phone


def test_generic_webhook_is_signed_with_hmac_sha256(db, httpserver):
    agent = UserFactory()
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    ChannelFactory(user=agent, kind="webhook", target=httpserver.url_for("/hook"), secret="k3y")
    lead = lead_for_routing()
    engine.route_lead(lead.id)
    request, _ = httpserver.log[0]
    expected = "sha256=" + hmac.new(b"k3y", request.data, hashlib.sha256).hexdigest()
    assert request.headers["X-Changfang-Signature"] == expected
    assert request.headers["X-Changfang-Event"] == "assigned"
    body = json.loads(request.data)
    assert body["lead"]["reference"] == lead.reference
    assert "13391219793" not in request.data.decode()


def test_a_failing_channel_never_blocks_routing_and_is_recorded(db, httpserver):
    agent = UserFactory()
    httpserver.expect_request("/down").respond_with_data("boom", status=500)
    channel = ChannelFactory(user=agent, kind="webhook", target=httpserver.url_for("/down"))
    lead = lead_for_routing()
    assert engine.route_lead(lead.id) == agent.id  # routed all the same
    db.session.expire_all()
    note = db.session.scalars(select(Notification)).one()
    assert note.status == "failed" and "HTTP 500" in note.last_error  # eager mode: one try
    channel = db.session.get(NotificationChannel, channel.id)
    assert channel.failures == 1 and "HTTP 500" in channel.last_error
    attempts = db.session.scalars(select(NotificationAttempt)).all()
    assert [a.ok for a in attempts] == [False]


def test_delivery_is_idempotent_and_retries_record_every_attempt(db, httpserver):
    agent = UserFactory()
    channel = ChannelFactory(user=agent, kind="wecom", target=httpserver.url_for("/robot"))
    lead = lead_for_routing()
    note = Notification(channel_id=channel.id, lead_id=lead.id, event="assigned:1",
                        subject="s", body="b")
    db.session.add(note)
    db.session.commit()
    httpserver.expect_ordered_request("/robot").respond_with_json({"errcode": 93000, "errmsg": "invalid"})
    httpserver.expect_ordered_request("/robot").respond_with_json({"errcode": 0})
    with pytest.raises(outbox.DeliveryError):
        outbox.deliver(note.id)
    assert outbox.deliver(note.id) is True
    assert outbox.deliver(note.id) is True  # already sent: nothing goes out again
    assert len(httpserver.log) == 2
    db.session.expire_all()
    assert db.session.get(Notification, note.id).attempts == 2
    assert db.session.get(NotificationChannel, channel.id).failures == 0  # reset on success


def test_the_same_event_is_queued_once(db):
    agent = UserFactory()
    ChannelFactory(user=agent)
    lead = lead_for_routing()
    first = outbox.queue_event(lead, "follow_up_due", [agent], key="2026-11-23")
    again = outbox.queue_event(lead, "follow_up_due", [agent], key="2026-11-23")
    assert len(first) == 1 and again == []


@pytest.mark.parametrize("url, refused", [
    ("http://hooks.example.com/x", "scheme"), ("https://10.0.0.5/hook", "private"),
    ("https://169.254.169.254/latest/meta-data", "private"), ("https://[::1]/x", "private"),
    ("https://127.0.0.1:8080/x", "private"), ("https://redis.internal/x", "private"),
    ("https://intranet/x", "private"), ("https://user:pw@hooks.example.com/x", "credentials"),
    ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", None),
])
def test_webhook_addresses_are_public_https_only(url, refused):
    """Issue 14: a manager's webhook URL must never point our workers into our network."""
    from crm.inputs import webhooks
    assert webhooks.problem(url) == refused


def test_the_channel_form_refuses_a_private_address(app, client, auth, db):
    app.config["CRM_WEBHOOK_ALLOW_LOCAL"] = False
    team = TeamFactory()
    UserFactory(team=None, role="admin", email="root@example.com")
    db.session.commit()
    auth.login("root@example.com")
    html = client.post("/manage/routing/channels?lang=en", data={
        "kind": "webhook", "target": "https://10.1.2.3/hook", "owner": f"team:{team.id}"}
    ).get_data(as_text=True)
    assert "inside a private network" in html
    assert db.session.scalars(select(NotificationChannel)).all() == []


def test_delivery_follows_no_redirect_and_checks_the_address_again(app, db, httpserver):
    agent = UserFactory()
    httpserver.expect_request("/hook").respond_with_data("", status=302,
                                                         headers={"Location": "/internal"})
    httpserver.expect_request("/internal").respond_with_data("ok")
    ChannelFactory(user=agent, kind="webhook", target=httpserver.url_for("/hook"))
    lead = lead_for_routing()
    engine.route_lead(lead.id)
    assert [r.path for r, _ in httpserver.log] == ["/hook"]  # the redirect was not followed
    note = db.session.scalars(select(Notification)).one()
    assert note.status == "failed" and "302" in note.last_error
    # A channel saved before the rule (or re-pointed in DNS) is refused at delivery.
    app.config["CRM_WEBHOOK_ALLOW_LOCAL"] = False
    note.status, note.attempts = "pending", 0
    db.session.commit()
    with pytest.raises(outbox.DeliveryError):
        outbox.deliver(note.id, final_attempt=True)
    db.session.expire_all()
    assert "refused address" in db.session.get(Notification, note.id).last_error
    assert len(httpserver.log) == 1


def test_delivery_connects_to_the_address_it_checked_not_a_second_dns_answer(
        app, db, httpserver, monkeypatch):
    """Issue 27 (DNS rebinding): the name answers a public address when checked, then our
    own loopback; the worker must connect to the checked address, never ask DNS again."""
    app.config["CRM_WEBHOOK_ALLOW_LOCAL"] = False
    real_lookup, real_connect = socket.getaddrinfo, socket.create_connection
    lookups, connected = [], []

    def rebinding(host, port, *args, **kwargs):
        if host != "hooks.example.com":
            return real_lookup(host, port, *args, **kwargs)
        lookups.append(host)
        address = "93.184.216.34" if len(lookups) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    def connect(target, *args, **kwargs):
        connected.append(target[0])
        if target[0] == "93.184.216.34":
            raise ConnectionRefusedError("no outside network in tests")
        return real_connect(target, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    monkeypatch.setattr(socket, "create_connection", connect)
    agent = UserFactory()
    ChannelFactory(user=agent, kind="webhook",
                   target=f"https://hooks.example.com:{httpserver.port}/hook")
    lead = lead_for_routing()
    engine.route_lead(lead.id)
    note = db.session.scalars(select(Notification)).one()
    assert note.status != "sent" and "ConnectionRefused" in note.last_error
    assert connected == ["93.184.216.34"] and lookups == ["hooks.example.com"]
    assert httpserver.log == []

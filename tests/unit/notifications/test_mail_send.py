"""Every mail goes out through mail.send(): the agent's notification and the prospect's
auto-reply meet the same SMTP rules (timeout, a STARTTLS that checks the certificate, a
login without a password set)."""
import ssl

import pytest
from sqlalchemy import select

from crm.models import Lead, Notification
from crm.notifications import mail
from crm.routing import engine
from tests.factories import ChannelFactory, UserFactory
from tests.unit.notifications.test_auto_reply import GOOD
from tests.unit.notifications.test_notifications import lead_for_routing


class Server:
    """Stands in for smtplib.SMTP and records what the app asked of it."""
    sessions: list = []

    def __init__(self, host, port, timeout):
        self.calls = [("connect", host, port, timeout)]
        Server.sessions.append(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self, context=None):
        self.calls.append(("starttls", context))

    def login(self, user, password):
        self.calls.append(("login", user, password))

    def send_message(self, message):
        self.calls.append(("send", message))


@pytest.fixture
def server(app, monkeypatch):
    Server.sessions = []
    monkeypatch.setattr(mail.smtplib, "SMTP", Server)
    app.config.update(MAIL_SERVER="smtp.changfang.test", MAIL_PORT=587, MAIL_USE_STARTTLS=True,
                      MAIL_USERNAME="crm", MAIL_PASSWORD=None, MAIL_SENDER="crm@changfang.test")
    return Server


def _check_session(session, to):
    connect, starttls, login, send = session.calls
    assert connect == ("connect", "smtp.changfang.test", 587, mail.SMTP_TIMEOUT)
    context = starttls[1]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert login == ("login", "crm", "")
    message = send[1]
    assert to in message["To"] and message["From"] == "crm@changfang.test"
    assert message["Message-ID"].endswith("@changfang.test>")


def test_a_notification_mail_goes_through_mail_send(db, server):
    agent = UserFactory()
    ChannelFactory(user=agent, kind="email", target="li@changfang.test")
    engine.route_lead(lead_for_routing().id)
    assert [n.status for n in db.session.scalars(select(Notification))] == ["sent"]
    [session] = server.sessions
    _check_session(session, "li@changfang.test")


def test_the_auto_reply_goes_through_mail_send(client, db, server):
    assert client.post("/inquiry", data=GOOD).status_code == 302
    assert db.session.scalars(select(Lead)).one().auto_reply_sent_at is not None
    [session] = server.sessions
    _check_session(session, "liu@example.com")

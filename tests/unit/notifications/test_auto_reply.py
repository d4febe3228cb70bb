"""Auto-reply mail after commit, through a real SMTP server on 127.0.0.1 (aiosmtpd)."""
import email
import socket
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from crm.models import Lead

GOOD = {"contact_name": "刘先生", "mobile": "133 9121 9793", "consent": "y",
        "email": "liu@example.com"}


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(app):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port,
                      MAIL_SENDER="noreply@changfang.example")
    try:
        yield inbox
    finally:
        controller.stop()


def test_prospect_with_an_email_gets_one_auto_reply_with_the_reference(app, client, db, smtp):
    assert client.post("/inquiry", data=GOOD).status_code == 302
    lead = db.session.scalars(select(Lead)).one()
    assert len(smtp.messages) == 1
    recipients, message = smtp.messages[0]
    assert recipients == ["liu@example.com"]
    assert lead.reference in message["Subject"] and lead.reference in message.get_content()
    assert message["From"] == "noreply@changfang.example"
    assert lead.auto_reply_sent_at is not None
    # A redelivered task sends nothing more.
    task = app.extensions["celery"].tasks["workers.tasks.send_auto_reply"]
    assert task.apply(args=(lead.id,)).get() is False
    assert len(smtp.messages) == 1


def test_no_mail_without_an_email_for_spam_or_for_a_repeat(client, db, smtp):
    client.post("/inquiry", data={**GOOD, "email": ""})
    client.post("/inquiry", data={**GOOD, "mobile": "13800138000", "message": "百家乐"})
    client.post("/inquiry", data={**GOOD, "contact_name": "刘先生"})  # same mobile: a repeat
    assert len(db.session.scalars(select(Lead)).all()) == 2
    assert smtp.messages == []


def test_no_mail_when_mail_server_is_unset(app, client, db, smtp):
    app.config["MAIL_SERVER"] = None
    client.post("/inquiry", data=GOOD)
    assert smtp.messages == []
    assert db.session.scalars(select(Lead)).one().auto_reply_sent_at is None


def test_an_unreachable_mail_server_does_not_fail_the_inquiry(app, client, db):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nobody listens
    response = client.post("/inquiry", data=GOOD)
    assert response.status_code == 302
    assert db.session.scalars(select(Lead)).one().auto_reply_sent_at is None

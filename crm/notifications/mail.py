"""Mail out: the one SMTP sender (`send`), and the auto-reply a prospect gets when they left an
email address."""
import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from flask import current_app, render_template
from flask_babel import gettext
from sqlalchemy import func, select

from crm.extensions import db
from crm.i18n import default_locale
from crm.models import Lead
from crm.models.types import utcnow

log = logging.getLogger(__name__)

# Seconds to wait for the mail server (connect and each command): a task, not a request, but
# a dead server must not hold a worker.
SMTP_TIMEOUT = 10


def configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def send(message: EmailMessage) -> None:
    """Send through MAIL_SERVER; every mail the app sends goes here. From and Message-ID are
    filled in when the caller left them out. STARTTLS (MAIL_USE_STARTTLS) checks the server's
    certificate and name, so a password is never sent to an impostor."""
    config = current_app.config
    if "From" not in message:
        message["From"] = config["MAIL_SENDER"]
    if "Message-ID" not in message:
        message["Message-ID"] = make_msgid(domain=config["MAIL_SENDER"].rpartition("@")[2] or None)
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=SMTP_TIMEOUT) as smtp:
        if config.get("MAIL_USE_STARTTLS"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)


def _message(lead: Lead) -> EmailMessage:
    config = current_app.config
    with default_locale():
        subject = gettext("We received your inquiry %(ref)s", ref=lead.reference)
        body = render_template("mail/auto_reply.txt", lead=lead,
                               sla_minutes=config["CRM_SLA_MINUTES"])
    message = EmailMessage()
    message["Subject"] = subject
    message["To"] = formataddr((lead.contact_name, lead.email))
    message.set_content(body)
    return message


def send_auto_reply(lead_id: int) -> bool:
    """Send once per lead. Two runs take turns on a lock of this lead's auto-reply, so they
    cannot both send; a crash between sending and committing may send it again
    (at-least-once). Not the lead's row lock: sending can take seconds, and routing passes
    a locked lead by (SKIP LOCKED), which would leave it to the sweeper."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(
            func.hashtext(f"auto-reply:{lead_id}"))))
    lead = db.session.scalars(select(Lead).where(Lead.id == lead_id)
                              .execution_options(populate_existing=True)).first()
    if (lead is None or lead.auto_reply_sent_at is not None or not lead.email
            or lead.status == "spam" or not configured()):
        db.session.rollback()
        return False
    message = _message(lead)
    try:
        send(message)
    except Exception:
        db.session.rollback()
        raise
    lead.auto_reply_sent_at = utcnow()
    db.session.commit()
    log.info("auto-reply sent for lead %s", lead.reference)
    return True

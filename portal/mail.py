"""Outgoing e-mail over SMTP (the local catcher in development and tests)."""

import logging
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app

from portal.logs import mask_address

logger = logging.getLogger(__name__)


def build(to: list[str], subject: str, text: str, html: str | None = None):
    """An e-mail with a plain-text part and, when given, an HTML part."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="district.example")
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def send(to: list[str], subject: str, text: str, html: str | None = None) -> str:
    """Send one e-mail; returns its Message-ID. Raises on SMTP failure."""
    message = build(to, subject, text, html)
    config = current_app.config
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=10) as smtp:
        smtp.send_message(message)
    logger.info(
        "mail_sent to=%s message_id=%s",
        ",".join(mask_address(a) for a in to),
        message["Message-ID"],
    )
    return message["Message-ID"]

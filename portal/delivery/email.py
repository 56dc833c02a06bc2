"""Deliveries by e-mail: the message's variant in the recipient's language."""

import smtplib

from flask import render_template

from portal import mail
from portal.delivery.content import written_text
from portal.delivery.models import Delivery
from portal.telephony.plivo_client import ProviderError

FOOTER = {
    "en": "You receive this because you are listed as a contact at {sender}.",
    "es": "Recibe este mensaje porque figura como contacto de {sender}.",
    "fr": "Vous recevez ce message car vous êtes un contact de {sender}.",
    "pt": "Você recebe esta mensagem porque é um contato de {sender}.",
    "ru": "Вы получили это сообщение как контактное лицо {sender}.",
}


def sender_name(delivery: Delivery) -> str:
    """The school or district the message comes from."""
    building = delivery.message.building
    return building.name if building is not None else "the school district"


def send(delivery: Delivery) -> str:
    """Send the e-mail; returns its Message-ID or raises `ProviderError`."""
    variant = written_text(delivery)
    language = variant.language if variant else "en"
    subject = (variant.subject if variant else "") or delivery.message.title
    body = variant.text if variant else delivery.message.title
    footer = FOOTER.get(language, FOOTER["en"]).format(sender=sender_name(delivery))
    context = {"subject": subject, "body": body, "footer": footer, "language": language}
    text = render_template("delivery/mail/message.txt", **context)
    html = render_template("delivery/mail/message.html", **context)
    try:
        return mail.send([delivery.address], subject, text, html)
    except smtplib.SMTPRecipientsRefused as error:
        raise ProviderError("invalid", "recipient refused") from error
    except (smtplib.SMTPException, OSError) as error:
        raise ProviderError("backoff", type(error).__name__) from error

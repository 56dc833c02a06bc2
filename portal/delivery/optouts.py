"""SMS opt-out keywords: STOP and its synonyms, START, HELP."""

import logging

from portal import district_settings
from portal.delivery.models import OptOut
from portal.extensions import db
from portal.logs import mask_address
from portal.models_base import utcnow

logger = logging.getLogger(__name__)

STOP_WORDS = frozenset(
    {"STOP", "END", "CANCEL", "UNSUBSCRIBE", "QUIT", "STOPALL", "REVOKE", "OPTOUT"}
)
START_WORDS = frozenset({"START", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})

STOPPED = (
    "You will no longer receive non-emergency texts from the school district. "
    "Emergency alerts may still be sent. Reply START to opt back in."
)
STARTED = "You will again receive texts from the school district. Reply STOP to end."


def keyword(text: str) -> str:
    """The first word of a text, upper-cased, without punctuation."""
    words = text.strip().split()
    return "".join(ch for ch in words[0] if ch.isalnum()).upper() if words else ""


def opt_out(address: str, word: str) -> None:
    row = db.session.get(OptOut, address)
    if row is None:
        db.session.add(OptOut(address=address, keyword=word, opted_out_at=utcnow()))


def opt_in(address: str) -> None:
    row = db.session.get(OptOut, address)
    if row is not None:
        db.session.delete(row)


def handle_inbound(sender: str, text: str) -> str | None:
    """Apply a keyword from `sender`; returns the reply sent (or None)."""
    from portal.accounts import audit

    word = keyword(text)
    address = sender if sender.startswith("+") else f"+{sender}"
    if word in STOP_WORDS:
        opt_out(address, word)
        reply = STOPPED
    elif word in START_WORDS:
        opt_in(address)
        reply = STARTED
    elif word in HELP_WORDS:
        contact = district_settings.get("district_contact")
        reply = f"School district notifications. Contact {contact}."
    else:
        logger.info("inbound_sms_ignored from=%s", mask_address(address))
        return None

    audit.record("delivery.sms_keyword", target=f"keyword:{word}", actor="sms")
    db.session.commit()
    logger.info("inbound_sms_keyword from=%s keyword=%s", mask_address(address), word)
    return reply

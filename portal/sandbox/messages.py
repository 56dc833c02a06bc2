"""Simulated texts: status callbacks out, and phones texting the portal back.

A text goes queued → sent → delivered (or failed / undelivered with an
ErrorCode, by its number's fate), each step a signed callback to the `url`
the portal gave. With `sms_out_of_order` the last two arrive swapped, as
Plivo's sometimes do; `Sequence` still tells the true order.
"""

import logging
import xml.etree.ElementTree as ET

import requests

from portal.sandbox import signing
from portal.sandbox.calls import notify
from portal.sandbox.fates import Fate, plivo_form
from portal.sandbox.store import Text, new_uuid, utc_now

logger = logging.getLogger(__name__)

ORDER = ("queued", "sent", "delivered", "undelivered", "failed")


def steps_for(fate: Fate) -> list[str]:
    """The statuses a text to a phone of this fate goes through."""
    if fate.sms_status == "failed":
        return ["queued", "failed"]
    return ["queued", "sent", fate.sms_status]


def start(sandbox, text: Text, slot: float) -> None:
    """Schedule the status changes (and callbacks) of a new text."""
    statuses = steps_for(text.fate)
    if not sandbox.settings.callbacks:
        _advance(text, statuses[-1])
        return
    sequence = list(enumerate(statuses, start=1))
    if sandbox.settings.sms_out_of_order and len(sequence) > 2:
        sequence[-2], sequence[-1] = sequence[-1], sequence[-2]
    sandbox.scheduler.at(slot, lambda: _report(sandbox, text, sequence))


def _advance(text: Text, status: str) -> None:
    """Move the text's state forward only (callbacks may come swapped)."""
    if ORDER.index(status) > ORDER.index(text.status):
        text.status = status
        if status in ("failed", "undelivered"):
            text.error_code = text.fate.sms_error


def _report(sandbox, text: Text, sequence: list) -> None:
    """Send the first status of `sequence`, then schedule the rest in turn."""
    (number, status), rest = sequence[0], sequence[1:]
    _advance(text, status)
    sandbox.store.count(f"sms_{status}")
    url = text.params.get("url")
    if url:
        method = str(text.params.get("method") or "POST").upper()
        notify(
            sandbox,
            text,
            f"status:{status}",
            method,
            url,
            _params(text, status, number),
        )
    if rest:
        sandbox.scheduler.later(
            sandbox.settings.sms_step_seconds, lambda: _report(sandbox, text, rest)
        )


def _params(text: Text, status: str, number: int) -> dict:
    failed = status in ("failed", "undelivered")
    return {
        "MessageUUID": text.message_uuid,
        "ParentMessageUUID": text.message_uuid,
        "From": plivo_form(text.from_number),
        "To": plivo_form(text.to_number),
        "Status": status,
        "ErrorCode": text.fate.sms_error if failed else "",
        "Sequence": number,
        "Units": 1,
        "PartInfo": "1 of 1",
        "TotalRate": "0.00000",
        "TotalAmount": "0.00000",
        "MessageTime": utc_now(),
    }


def text_portal(sandbox, phone: str, body: str, url: str = "", to: str = "") -> dict:
    """A simulated phone texts `body` to the portal; returns what came back."""
    url = url or sandbox.settings.inbound_sms_url
    if not url:
        raise ValueError("no inbound SMS URL: set inbound_sms_url")
    to = to or sandbox.settings.portal_number
    text = Text(new_uuid(), phone, to, body, None, {}, direction="inbound")
    params = {
        "From": plivo_form(phone),
        "To": plivo_form(to),
        "Text": body,
        "Type": "sms",
        "MessageUUID": text.message_uuid,
        "Units": "1",
        "TotalRate": "0.00000",
        "TotalAmount": "0.00000",
    }
    sandbox.store.add_text(text, phone)
    sandbox.store.count("sms_inbound")
    try:
        response = signing.send(sandbox.http(), "POST", url, params, sandbox.settings)
    except requests.RequestException as error:
        text.status = "failed"
        text.callbacks.append({"event": "inbound", "url": url, "result": str(error)})
        return {"message_uuid": text.message_uuid, "status": None}
    text.status = "delivered"
    text.reply = _reply_in(response.text)
    text.callbacks.append(
        {"event": "inbound", "url": url, "result": response.status_code}
    )
    return {
        "message_uuid": text.message_uuid,
        "status": response.status_code,
        "reply": text.reply,
    }


def _reply_in(body: str) -> str:
    """The text of a `<Response><Message>` reply, if the portal sent one."""
    if "<Response" not in body:
        return ""
    try:
        root = ET.fromstring(body)  # noqa: S314 - trusted, local
    except ET.ParseError:
        return ""
    return " ".join((m.text or "").strip() for m in root.iter("Message"))

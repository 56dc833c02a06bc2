"""Asking the provider what became of a call or text whose outcome we do not know.

Used before a delivery with an unsettled attempt (a 5xx, a timeout after
sending, a worker that died around the request) is sent again, and by the
sweeper when the callback is late. A call or text to the same number since
the attempt started means "it went out": settle from its record, or keep
waiting while it is queued or live. None means nothing went out, so sending
now is not a repeat.

Our delivery and attempt ids travel in the callback URLs, so a callback
settles an unknown outcome by id; this module is for when no callback came.
The match here is by number and time, because Plivo's call and message
records do not carry those URLs and cannot be searched by our ids: a call
or text to the same number by another message in the same minutes would be
taken for ours, the safe direction to err. E-mail cannot be asked about
(SMTP keeps no record we can query).
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from plivo import exceptions as plivo_errors
from requests import RequestException

from portal.telephony.plivo_client import SPENT_VOICE_RETRIES

logger = logging.getLogger(__name__)

CLOCK_SLACK = timedelta(seconds=5)
MAX_OPEN_CALLS_CHECKED = 50
CDR_STATES = {"ANSWER": "answered", "BUSY": "busy", "NO_ANSWER": "no_answer"}
DEAD_CAUSES = ("UNALLOCATED", "INVALID", "NOT_IN_SERVICE")


@dataclass
class Found:
    """What the provider knows: "ended" (with a final state) or "open"."""

    status: str
    state: str | None = None
    detail: str | None = None


class Unreachable(Exception):
    """The provider could not be asked now; try again later."""


def _digits(number: str) -> str:
    return number.lstrip("+")


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text).replace(" ", "T"))
    except ValueError:
        return None


def _request(call, *args, **kwargs):
    client = call.__self__.client if hasattr(call, "__self__") else None
    if client is not None:
        client.voice_retry_count = SPENT_VOICE_RETRIES
    try:
        return call(*args, **kwargs)
    except plivo_errors.ResourceNotFoundError:
        return None
    except (plivo_errors.PlivoRestError, RequestException) as error:
        raise Unreachable(str(error)[:200]) from error


def find_call(client, address: str, since: datetime) -> Found | None:
    """The provider's call to `address` placed since `since`, if any.

    Asked in the order a call moves (queued, live, finished), so a call that
    moves on between two questions is still seen by the later one.
    """
    if _open_call_to(client, address):
        return Found("open")
    ended = _request(client.calls.list, to_number=_digits(address), limit=20)
    for record in getattr(ended, "objects", None) or []:
        started = _when(getattr(record, "initiation_time", None))
        if started is not None and started >= since - CLOCK_SLACK:
            return _from_cdr(record)
    return None


SMS_STATES = {
    "sent": "sent",
    "delivered": "delivered",
    "failed": "failed",
    "undelivered": "failed",
}


def find_message(client, address: str, since: datetime) -> Found | None:
    """The provider's text to `address` created since `since`, if any."""
    listed = _request(client.messages.list, to_number=_digits(address), limit=20)
    for record in getattr(listed, "objects", None) or []:
        created = _when(getattr(record, "message_time", None))
        if created is None or created < since - CLOCK_SLACK:
            continue
        state = SMS_STATES.get(str(getattr(record, "message_state", "")).lower())
        if state is None:  # queued: its status report is still to come
            return Found("open")
        error = getattr(record, "error_code", None)
        return Found("ended", state, str(error)[:200] if error else None)
    return None


FINDERS = {"phone": find_call, "sms": find_message}


def find(client, channel: str, address: str, since: datetime) -> Found | None:
    """What the provider did with a request on `channel` since `since`."""
    return FINDERS[channel](client, address, since)


def _from_cdr(record) -> Found:
    cause = str(getattr(record, "hangup_cause_name", "") or "")
    state = CDR_STATES.get(str(getattr(record, "call_state", "")), "failed")
    if state == "failed" and any(mark in cause.upper() for mark in DEAD_CAUSES):
        state = "invalid_number"
    return Found("ended", state, cause[:200] or None)


def _open_call_to(client, address: str) -> bool:
    """True when a queued or live call to `address` exists, or may exist.

    Each open call must be fetched to see its number; beyond
    MAX_OPEN_CALLS_CHECKED of them the answer is "may exist" (True): saying
    "no call" without having looked would redial a family on the line.
    """
    wanted = _digits(address)
    checks = (
        (client.queued_calls.list_ids, client.queued_calls.get),
        (client.live_calls.list_ids, client.live_calls.get),
    )
    for list_ids, get in checks:
        listed = getattr(_request(list_ids), "calls", None) or []
        if len(listed) > MAX_OPEN_CALLS_CHECKED:
            return True
        for call_id in listed:
            call = _request(get, str(call_id))
            if call is not None and _digits(str(getattr(call, "to", ""))) == wanted:
                return True
    return False

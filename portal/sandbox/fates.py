"""What happens to a call or text, decided by the last two digits of the number.

Tests and demos pick an outcome by picking a number, so nothing is random
unless fault injection is switched on. docs/sandbox.md has the same table.
"""

import re
from dataclasses import dataclass

NUMBER = re.compile(r"^\+?[1-9]\d{7,14}$")


@dataclass(frozen=True)
class Fate:
    """How a simulated phone behaves when called or texted."""

    name: str
    answered: bool = False
    machine: bool = False
    presses: str = ""
    call_status: str = "completed"
    hangup_cause: str = "NORMAL_CLEARING"
    sms_status: str = "delivered"
    sms_error: str = ""


ANSWERED = Fate("answered", answered=True)
PRESSES_ONE = Fate("answered", answered=True, presses="1")
VOICEMAIL = Fate("voicemail", answered=True, machine=True)
BUSY = Fate("busy", call_status="busy", hangup_cause="USER_BUSY")
NO_ANSWER = Fate("no-answer", call_status="no-answer", hangup_cause="NO_ANSWER")
RING_TIMEOUT = Fate("timeout", call_status="timeout", hangup_cause="NO_ANSWER")
DISCONNECTED = Fate(
    "disconnected",
    call_status="failed",
    hangup_cause="UNALLOCATED_NUMBER",
    sms_status="undelivered",
    sms_error="70",
)
NOT_FOR_TEXT = Fate(
    "disconnected",
    call_status="failed",
    hangup_cause="UNALLOCATED_NUMBER",
    sms_status="failed",
    sms_error="50",
)
INVALID = Fate("invalid")

# Last two digits → fate. 95-99 are answered unless `number_faults` is on.
_TABLE = (
    (range(0, 60), ANSWERED),
    (range(60, 70), PRESSES_ONE),
    (range(70, 80), VOICEMAIL),
    (range(80, 85), BUSY),
    (range(85, 88), NO_ANSWER),
    (range(88, 90), RING_TIMEOUT),
    (range(90, 92), NOT_FOR_TEXT),
    (range(92, 94), DISCONNECTED),
    (range(94, 95), INVALID),
    (range(95, 100), ANSWERED),
)

# Last two digits → the fault the first request for that number meets.
NUMBER_FAULTS = {
    95: "429",
    96: "500",
    97: "500_after_create",
    98: "slow",
    99: "timeout_after_accept",
}


def normalise(number: str) -> str:
    """The number in E.164 with its `+`, as the store keys phones."""
    number = number.strip()
    return number if number.startswith("+") else "+" + number


def is_well_formed(number: str) -> bool:
    """Whether Plivo would accept `number` as a destination at all."""
    return bool(NUMBER.match(number.strip()))


def fate_for(number: str) -> Fate:
    """The fate of a call or text to a well-formed `number`."""
    ending = int(number.strip()[-2:])
    for digits, fate in _TABLE:
        if ending in digits:
            return fate
    return ANSWERED


def number_fault(number: str) -> str | None:
    """The fault kind this number triggers (when `number_faults` is on)."""
    return NUMBER_FAULTS.get(int(number.strip()[-2:]))


def plivo_form(number: str) -> str:
    """The number as Plivo writes it in callbacks: digits, no `+`."""
    return number.strip().lstrip("+")

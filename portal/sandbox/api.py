"""Creating calls and texts the way Plivo's REST API does, without Flask.

These two requests are the hot path of every benchmark, so they are plain
functions of (sandbox, parameters) → (status, body), served by the WSGI
front in `fastlane.py`; reads and the rest go through Flask (`records.py`).
Both check HTTP Basic auth here (auth id + token, and the auth id in the
path) and count the request against the API rate. A create request may
then meet an injected fault before or after it takes effect.
"""

import base64
import binascii
import hmac
import time
from urllib.parse import urlsplit

from portal.sandbox.fates import INVALID, fate_for, is_well_formed, normalise

MACHINE_DETECTION = {"true", "hangup"}
METHODS = {"GET", "POST"}
CALL_URLS = ("answer_url", "hangup_url", "fallback_url", "machine_detection_url")
CALL_METHODS = ("answer_method", "hangup_method", "fallback_method",
                "machine_detection_method")  # fmt: skip


class Refused(Exception):
    """A request Plivo would refuse, with its status and error text."""

    def __init__(self, status: int, error: str):
        super().__init__(error)
        self.status = status
        self.error = error


def authorised(settings, header: str | None, path_auth_id: str) -> bool:
    """Whether a Basic `Authorization` header and path id match the account."""
    if not header or not header.startswith("Basic "):
        return False
    try:
        user, _, token = base64.b64decode(header[6:]).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return (
        hmac.compare_digest(user, settings.auth_id)
        and hmac.compare_digest(token, settings.auth_token)
        and path_auth_id == settings.auth_id
    )


def gate(sandbox, header: str | None, path_auth_id: str) -> None:
    """Refuse with 401 or 429 unless the request may go on."""
    if not authorised(sandbox.settings, header, path_auth_id):
        sandbox.store.count("responses_401")
        raise Refused(401, "authentication failed")
    if not sandbox.admit():
        raise Refused(429, "too many requests")


def _require(params: dict, *names: str) -> None:
    for name in names:
        if params.get(name) in (None, ""):
            raise Refused(400, f"{name} is a required parameter")


def _check_url(params: dict, name: str) -> None:
    value = params.get(name)
    if value and urlsplit(str(value)).scheme not in ("http", "https"):
        raise Refused(400, f"{name} is not a valid URL")


def _destinations(raw: str, name: str) -> list[str]:
    numbers = [n.strip() for n in str(raw).split("<") if n.strip()]
    for number in numbers:
        if not is_well_formed(number) or fate_for(number) is INVALID:
            raise Refused(400, f"invalid {name} number: {number}")
    return [normalise(n) for n in numbers]


def _with_fault(sandbox, number: str, create):
    """Run `create()` around the fault this request meets; returns its result."""
    kind = sandbox.fault_for(number)
    if kind == "429":
        raise Refused(429, "too many requests")
    if kind == "500":
        raise Refused(500, "internal server error")
    created = create()
    if kind == "500_after_create":
        raise Refused(500, "internal server error")
    if kind == "slow":
        time.sleep(sandbox.settings.slow_seconds)
    if kind == "timeout_after_accept":
        time.sleep(sandbox.settings.hang_seconds)
    return created


def create_call(sandbox, params: dict) -> tuple[int, dict]:
    """`POST Call/`: one call per `<`-separated destination."""
    _require(params, "from", "to", "answer_url")
    if not is_well_formed(str(params["from"])):
        raise Refused(400, "invalid from number")
    for name in CALL_URLS:
        _check_url(params, name)
    for name in CALL_METHODS:
        if str(params.get(name) or "POST").upper() not in METHODS:
            raise Refused(400, f"{name} must be GET or POST")
    detection = str(params.get("machine_detection") or "").lower()
    if detection and detection not in MACHINE_DETECTION:
        raise Refused(400, "machine_detection must be true or hangup")
    params["machine_detection"] = detection
    numbers = _destinations(params["to"], "to")

    placed = _with_fault(
        sandbox, numbers[0], lambda: [sandbox.place_call(params, n) for n in numbers]
    )
    queued = any(call.dial_at > time.monotonic() for call in placed)
    uuids = [call.request_uuid for call in placed]
    return 201, {
        "message": "call queued" if queued else "call fired",
        "request_uuid": uuids[0] if len(uuids) == 1 else uuids,
    }


def create_message(sandbox, params: dict) -> tuple[int, dict]:
    """`POST Message/`: one text per `<`-separated destination."""
    _require(params, "dst", "text")
    if not params.get("src") and not params.get("powerpack_uuid"):
        raise Refused(400, "src or powerpack_uuid is required")
    if params.get("src") and not is_well_formed(str(params["src"])):
        raise Refused(400, "invalid src number")
    _check_url(params, "url")
    numbers = _destinations(params["dst"], "dst")
    params.setdefault("src", "")

    placed = _with_fault(
        sandbox, numbers[0], lambda: [sandbox.place_text(params, n) for n in numbers]
    )
    return 202, {
        "message": "message(s) queued",
        "message_uuid": [text.message_uuid for text in placed],
    }

"""The part of Plivo's REST API the portal uses, with Plivo's paths and JSON.

Every request is checked for HTTP Basic auth (auth id + token, and the auth
id in the path), then counted against the API rate (429 beyond it). Create
requests may then meet an injected fault before or after they take effect.
"""

import hmac
import logging
import time
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, jsonify, request

from portal.sandbox.fates import INVALID, fate_for, is_well_formed, normalise
from portal.sandbox.store import new_uuid

logger = logging.getLogger(__name__)

bp = Blueprint("plivo_api", __name__, url_prefix="/v1/Account/<auth_id>")

MACHINE_DETECTION = {"true", "hangup"}
METHODS = {"GET", "POST"}


class Refused(Exception):
    """A request Plivo would refuse, with its status and error text."""

    def __init__(self, status: int, error: str):
        super().__init__(error)
        self.status = status
        self.error = error


def sandbox():
    """The `Sandbox` of the running app."""
    return current_app.extensions["plivo_sandbox"]


def reply(body: dict, status: int = 200):
    """A Plivo JSON reply with its `api_id`."""
    return jsonify({"api_id": g.api_id, **body}), status


@bp.url_value_preprocessor
def _take_auth_id(endpoint, values):
    g.path_auth_id = values.pop("auth_id", "")


@bp.before_request
def _check_auth_and_rate():
    g.api_id = new_uuid()
    settings = sandbox().settings
    auth = request.authorization
    if (
        auth is None
        or not hmac.compare_digest(str(auth.username or ""), settings.auth_id)
        or not hmac.compare_digest(str(auth.password or ""), settings.auth_token)
        or g.path_auth_id != settings.auth_id
    ):
        sandbox().store.count("responses_401")
        return reply({"error": "authentication failed"}, 401)
    if not sandbox().admit():
        return reply({"error": "too many requests"}, 429)
    return None


@bp.errorhandler(Refused)
def _refused(error: Refused):
    sandbox().store.count(f"responses_{error.status}")
    return reply({"error": error.error}, error.status)


def _params() -> dict:
    body = request.get_json(silent=True)
    if isinstance(body, dict):
        return body
    return request.form.to_dict()


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


def _meet_fault(kind: str | None, create):
    """Run `create()` around the injected fault `kind`; returns its result."""
    settings = sandbox().settings
    if kind == "429":
        return None, reply({"error": "too many requests"}, 429)
    if kind == "500":
        sandbox().store.count("responses_500")
        return None, reply({"error": "internal server error"}, 500)
    created = create()
    if kind == "500_after_create":
        sandbox().store.count("responses_500")
        return created, reply({"error": "internal server error"}, 500)
    if kind == "slow":
        time.sleep(settings.slow_seconds)
    if kind == "timeout_after_accept":
        time.sleep(settings.hang_seconds)
    return created, None


@bp.post("/Call/")
def create_call():
    """Make outbound calls (one per `<`-separated destination)."""
    params = _params()
    _require(params, "from", "to", "answer_url")
    if not is_well_formed(str(params["from"])):
        raise Refused(400, "invalid from number")
    for name in ("answer_url", "hangup_url", "fallback_url", "machine_detection_url"):
        _check_url(params, name)
    for name in ("answer_method", "hangup_method", "machine_detection_method"):
        if str(params.get(name) or "POST").upper() not in METHODS:
            raise Refused(400, f"{name} must be GET or POST")
    detection = str(params.get("machine_detection") or "").lower()
    if detection and detection not in MACHINE_DETECTION:
        raise Refused(400, "machine_detection must be true or hangup")
    params["machine_detection"] = detection
    numbers = _destinations(params["to"], "to")

    def create():
        return [sandbox().place_call(params, number) for number in numbers]

    placed, failure = _meet_fault(sandbox().fault_for(numbers[0]), create)
    if failure:
        return failure
    queued = any(call.dial_at > time.monotonic() for call in placed)
    uuids = [call.request_uuid for call in placed]
    return reply(
        {
            "message": "call queued" if queued else "call fired",
            "request_uuid": uuids[0] if len(uuids) == 1 else uuids,
        },
        201,
    )


@bp.post("/Message/")
def create_message():
    """Send a text to one or more (`<`-separated) destinations."""
    params = _params()
    _require(params, "dst", "text")
    if not params.get("src") and not params.get("powerpack_uuid"):
        raise Refused(400, "src or powerpack_uuid is required")
    if params.get("src") and not is_well_formed(str(params["src"])):
        raise Refused(400, "invalid src number")
    _check_url(params, "url")
    numbers = _destinations(params["dst"], "dst")
    params.setdefault("src", "")

    def create():
        return [sandbox().place_text(params, number) for number in numbers]

    placed, failure = _meet_fault(sandbox().fault_for(numbers[0]), create)
    if failure:
        return failure
    return reply(
        {
            "message": "message(s) queued",
            "message_uuid": [text.message_uuid for text in placed],
        },
        202,
    )

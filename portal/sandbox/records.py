"""Reading back calls and texts the way reconciliation asks Plivo about them.

A finished call is a CDR (`GET /Call/{call_uuid}/`); a call still waiting or
ringing is found with `?status=queued` (by request id) or `?status=live`.
Also here: transferring a live call to new XML (what a portal may do after
machine detection), hanging up, and cancelling a queued request.
"""

import time

from flask import Blueprint, current_app, g, jsonify, request

from portal.sandbox.api import Refused, gate
from portal.sandbox.fates import plivo_form
from portal.sandbox.store import Call, Text, new_uuid

bp = Blueprint("plivo_api", __name__, url_prefix="/v1/Account/<auth_id>")


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
    gate(sandbox(), request.headers.get("Authorization"), g.path_auth_id)


@bp.errorhandler(Refused)
def _refused(error: Refused):
    if error.status not in (401, 429):
        sandbox().store.count(f"responses_{error.status}")
    return reply({"error": error.error}, error.status)


CALL_STATES = {
    "completed": "ANSWER",
    "busy": "BUSY",
    "no-answer": "NO_ANSWER",
    "timeout": "NO_ANSWER",
    "failed": "FAILED",
    "cancel": "CANCEL",
}
LIVE = {"ringing", "in-progress"}


def _is_queued(call: Call) -> bool:
    return call.status != "cancel" and call.dial_at > time.monotonic()


def _is_live(call: Call) -> bool:
    """Dialled and not over. A call past its dial time whose ringing has not
    been simulated yet is live too, as at Plivo: an accepted call is always
    either queued, live or finished (reconciliation relies on it)."""
    return not (call.ended_at or call.status == "cancel" or _is_queued(call))


def _cdr(call: Call) -> dict:
    return {
        "answer_time": call.answered_at or None,
        "bill_duration": call.duration,
        "billed_duration": -(-call.duration // 60) * 60,
        "call_direction": "outbound",
        "call_duration": call.duration,
        "call_state": CALL_STATES.get(call.status, call.status.upper()),
        "call_uuid": call.call_uuid,
        "end_time": call.ended_at or None,
        "from_number": plivo_form(call.from_number),
        "hangup_cause_name": call.hangup_cause,
        "hangup_source": "Callee",
        "initiation_time": call.created_at,
        "parent_call_uuid": None,
        "request_uuid": call.request_uuid,
        "resource_uri": _resource_uri("Call", call.call_uuid),
        "to_number": plivo_form(call.to_number),
        "total_amount": "0.00000",
        "total_rate": "0.00000",
    }


def _resource_uri(kind: str, uuid: str) -> str:
    return f"/v1/Account/{sandbox().settings.auth_id}/{kind}/{uuid}/"


def _live_status(call: Call) -> str:
    if _is_queued(call):
        return "queued"
    return "ringing" if call.status == "queued" else call.status


def _live(call: Call) -> dict:
    return {
        "call_status": _live_status(call),
        "call_uuid": call.call_uuid,
        "request_uuid": call.request_uuid,
        "direction": "outbound",
        "from": plivo_form(call.from_number),
        "to": plivo_form(call.to_number),
        "caller_name": call.params.get("caller_name", ""),
    }


@bp.get("/Call/<call_id>/")
def get_call(call_id: str):
    """A call's record: CDR when ended, live or queued details when asked."""
    status = request.args.get("status", "")
    if status == "queued":
        call = sandbox().store.call(request_uuid=call_id)
        if call is None or not _is_queued(call):
            raise Refused(404, "call not found")
        return reply(_live(call))
    call = sandbox().store.call(call_uuid=call_id)
    if call is None:
        raise Refused(404, "call not found")
    if status == "live":
        if not _is_live(call):
            raise Refused(404, "call not found")
        return reply(_live(call))
    if not call.ended_at:
        raise Refused(404, "call not found")
    return reply(_cdr(call))


@bp.get("/Call/")
def list_calls():
    """Queued or live call ids, or finished calls filtered like Plivo's list."""
    status = request.args.get("status", "")
    calls = sandbox().store.all_calls()
    if status == "queued":
        return reply({"calls": [c.request_uuid for c in calls if _is_queued(c)]})
    if status == "live":
        live = [c.call_uuid for c in calls if _is_live(c)]
        return reply({"calls": live})
    ended = [c for c in reversed(calls) if c.ended_at]
    return reply(_page(ended, _cdr, "to_number", "from_number"))


def _page(rows: list, shape, *filters: str) -> dict:
    for name in filters:
        wanted = request.args.get(name)
        if wanted:
            wanted = plivo_form(wanted)
            field = "to_number" if name == "to_number" else "from_number"
            rows = [r for r in rows if plivo_form(getattr(r, field)) == wanted]
    limit = max(1, min(request.args.get("limit", 20, type=int), 20))
    offset = max(0, request.args.get("offset", 0, type=int))
    chosen = rows[offset : offset + limit]
    meta = {
        "count": len(rows),
        "limit": limit,
        "offset": offset,
        "next": None,
        "previous": None,
    }
    return {"meta": meta, "objects": [shape(r) for r in chosen]}


@bp.post("/Call/<call_uuid>/")
def transfer_call(call_uuid: str):
    """Transfer a live call to new XML (`aleg_url`), as after machine detection."""
    call = sandbox().store.call(call_uuid=call_uuid)
    if call is None or call.status not in LIVE:
        raise Refused(404, "call not found")
    params = request.get_json(silent=True) or request.form.to_dict()
    url = params.get("aleg_url") or params.get("url")
    if not url:
        raise Refused(400, "aleg_url is a required parameter")
    call.transfer_url = url
    call.transfer_method = str(params.get("aleg_method") or "POST").upper()
    return reply({"message": "call transferred"}, 202)


@bp.delete("/Call/<call_uuid>/")
def hang_up_call(call_uuid: str):
    """Hang up a live call (it ends at its next step)."""
    call = sandbox().store.call(call_uuid=call_uuid)
    if call is None or call.ended_at:
        raise Refused(404, "call not found")
    call.transfer_url = ""
    call.status = "cancel"
    return "", 204


@bp.delete("/Request/<request_uuid>/")
def cancel_request(request_uuid: str):
    """Cancel a call that is still queued behind the calls-per-second limit."""
    call = sandbox().store.call(request_uuid=request_uuid)
    if call is None or not _is_queued(call):
        raise Refused(404, "request not found")
    call.status = "cancel"
    call.ended_at = call.created_at
    call.hangup_cause = "ORIGINATOR_CANCEL"
    sandbox().store.count("calls_cancelled")
    return "", 204


def _message(text: Text) -> dict:
    return {
        "error_code": text.error_code or None,
        "from_number": plivo_form(text.from_number),
        "message_direction": text.direction,
        "message_state": text.status,
        "message_time": text.created_at,
        "message_type": "sms",
        "message_uuid": text.message_uuid,
        "resource_uri": _resource_uri("Message", text.message_uuid),
        "to_number": plivo_form(text.to_number),
        "total_amount": "0.00000",
        "total_rate": "0.00000",
        "units": 1,
    }


@bp.get("/Message/<message_uuid>/")
def get_message(message_uuid: str):
    """One text's current state."""
    text = sandbox().store.text(message_uuid)
    if text is None:
        raise Refused(404, "message not found")
    return reply(_message(text))


@bp.get("/Message/")
def list_messages():
    """Texts, newest first, filtered by `to_number`/`from_number`."""
    texts = list(reversed(sandbox().store.all_texts()))
    state = request.args.get("message_state")
    if state:
        texts = [t for t in texts if t.status == state]
    return reply(_page(texts, _message, "to_number", "from_number"))

"""The sandbox's own JSON API: simulated phones, counters, settings, reset.

This is what the portal's "Simulated phones" page (development only) and
the tests read. It has no authentication: run the sandbox on 127.0.0.1.
"""

from flask import Blueprint, current_app, jsonify, request

from portal.sandbox import messages
from portal.sandbox.fates import is_well_formed, normalise

bp = Blueprint("sandbox_control", __name__, url_prefix="/sandbox")


def sandbox():
    """The `Sandbox` of the running app."""
    return current_app.extensions["plivo_sandbox"]


def _number(raw: str) -> str:
    return normalise(raw.replace(" ", ""))


@bp.get("/phones")
def phones():
    """The most recently used phones (`?limit=`, default 200), latest first."""
    limit = request.args.get("limit", 200, type=int)
    return jsonify({"phones": sandbox().store.phone_list(limit)})


@bp.get("/phones/<number>")
def phone(number: str):
    """What one phone heard (calls) and read (texts), oldest first."""
    number = _number(number)
    events = sandbox().store.phone(number)
    if events is None:
        return jsonify({"error": "no such phone", "number": number}), 404
    return jsonify({"number": number, "events": events})


@bp.post("/phones/<number>/text")
def text_portal(number: str):
    """Make a simulated phone text a word (STOP, START, HELP…) to the portal."""
    number = _number(number)
    body = request.get_json(silent=True) or request.form.to_dict()
    if not is_well_formed(number) or not body.get("text"):
        return jsonify({"error": "need a well-formed number and a text"}), 400
    try:
        result = messages.text_portal(
            sandbox(), number, body["text"], body.get("url", ""), body.get("to", "")
        )
    except ValueError as error:
        return jsonify({"error": str(error)}), 400
    return jsonify(result)


@bp.get("/calls/<call_id>")
def call(call_id: str):
    """One call by request id or call id, with everything it heard."""
    store = sandbox().store
    found = store.call(request_uuid=call_id) or store.call(call_uuid=call_id)
    if found is None:
        return jsonify({"error": "no such call"}), 404
    return jsonify(found.as_dict())


@bp.get("/messages/<message_uuid>")
def message(message_uuid: str):
    """One text by its id, with the callbacks sent about it."""
    found = sandbox().store.text(message_uuid)
    if found is None:
        return jsonify({"error": "no such message"}), 404
    return jsonify(found.as_dict())


@bp.get("/stats")
def stats():
    """Counters, busiest one-second windows, 429s, what is pending."""
    return jsonify(sandbox().stats())


@bp.post("/reset")
def reset():
    """Forget every call, text, phone and counter (settings stay)."""
    sandbox().reset()
    return jsonify({"reset": True})


@bp.get("/config")
def config():
    """The current settings (the auth token left out)."""
    return jsonify(sandbox().settings.as_dict())


@bp.post("/config")
def configure():
    """Change settings at runtime, e.g. `{"calls_per_second": 50}`."""
    changes = request.get_json(silent=True)
    if not isinstance(changes, dict):
        return jsonify({"error": "send a JSON object of settings"}), 400
    try:
        return jsonify(sandbox().configure(changes))
    except ValueError as error:
        return jsonify({"error": str(error)}), 400

"""A WSGI front for the two requests benchmarks hammer: create call, create text.

Flask's request machinery costs several times what the sandbox itself does
per request, so `POST /v1/Account/{id}/Call/` and `.../Message/` are served
here straight from the WSGI environ; every other path goes on to Flask.
"""

import json
import logging
import re
from urllib.parse import parse_qsl

from portal.sandbox import api
from portal.sandbox.store import new_uuid

logger = logging.getLogger(__name__)

CREATE = re.compile(r"^/v1/Account/([^/]+)/(Call|Message)/?$")
HANDLERS = {"Call": api.create_call, "Message": api.create_message}
REASONS = {201: "201 CREATED", 202: "202 ACCEPTED", 400: "400 BAD REQUEST",
           401: "401 UNAUTHORIZED", 429: "429 TOO MANY REQUESTS",
           500: "500 INTERNAL SERVER ERROR"}  # fmt: skip


class FastLane:
    """Serves create requests itself and hands everything else to `app`."""

    def __init__(self, app, sandbox):
        self.app = app
        self.sandbox = sandbox

    def __call__(self, environ, start_response):
        match = CREATE.match(environ.get("PATH_INFO", ""))
        if match is None or environ["REQUEST_METHOD"] != "POST":
            return self.app(environ, start_response)

        sandbox = self.sandbox
        try:
            api.gate(sandbox, environ.get("HTTP_AUTHORIZATION"), match.group(1))
            status, body = HANDLERS[match.group(2)](sandbox, _params(environ))
        except api.Refused as refused:
            if refused.status not in (401, 429):
                sandbox.store.count(f"responses_{refused.status}")
            status, body = refused.status, {"error": refused.error}

        payload = json.dumps({"api_id": new_uuid(), **body}).encode()
        start_response(
            REASONS.get(status, f"{status} ERROR"),
            [("Content-Type", "application/json"),
             ("Content-Length", str(len(payload)))],
        )  # fmt: skip
        return [payload]


def _params(environ) -> dict:
    """The request's JSON object or form fields (Plivo accepts both)."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    raw = environ["wsgi.input"].read(length) if length else b""
    if "json" in environ.get("CONTENT_TYPE", ""):
        try:
            body = json.loads(raw or b"{}")
        except ValueError as error:
            raise api.Refused(400, "the body is not valid JSON") from error
        if not isinstance(body, dict):
            raise api.Refused(400, "the body must be a JSON object")
        return body
    return dict(parse_qsl(raw.decode("utf-8", "replace")))

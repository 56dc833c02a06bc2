"""A simulated call, step by step, on the callback threads.

At its dial time (after the calls-per-second queue) the phone rings; then,
by its fate, it is answered by a person or a machine, or it is busy, not
answered or disconnected. An answered phone fetches the answer URL, follows
the XML (fetching each Play, pressing a digit where its fate says so),
reports machine detection, and finally the hangup callback goes out.
"""

import logging
import math

import requests

from portal.sandbox import answer_xml, signing
from portal.sandbox.fates import plivo_form
from portal.sandbox.store import Call, utc_now

logger = logging.getLogger(__name__)

MAX_DOCUMENTS = 8
MAX_AUDIO_BYTES = 50 * 1024 * 1024


def ring(sandbox, call: Call) -> None:
    """The phone rang: answer it, or end the call as its fate says."""
    if call.ended_at:
        return
    call.status = "ringing"
    if not call.fate.answered:
        hang_up(sandbox, call, call.fate.call_status, call.fate.hangup_cause)
        return

    call.status = "in-progress"
    call.answered_at = utc_now()
    call.answered_by = "machine" if call.fate.machine else "human"
    detection = call.params.get("machine_detection", "")
    if call.fate.machine and detection == "hangup":
        _machine_detected(sandbox, call)
        hang_up(sandbox, call, "completed", "MACHINE_DETECTED")
        return

    ended = _follow(
        sandbox, call, "answer", call.params["answer_url"], _answer_method(call)
    )
    # Detection runs beside the XML (Plivo reports it within a few seconds),
    # so it is reported even when the XML itself ended the call.
    if detection:
        _machine_detected(sandbox, call, machine=call.fate.machine)
    if ended:
        hang_up(sandbox, call, "completed", ended)
        return
    sandbox.scheduler.later(
        sandbox.settings.talk_seconds, lambda: _after_talk(sandbox, call)
    )


def _answer_method(call: Call) -> str:
    return str(call.params.get("answer_method") or "POST").upper()


def _after_talk(sandbox, call: Call) -> None:
    ended = None
    if call.transfer_url:
        url, call.transfer_url = call.transfer_url, ""
        ended = _follow(sandbox, call, "transfer", url, call.transfer_method)
    hang_up(sandbox, call, "completed", ended or "NORMAL_CLEARING")


def call_params(call: Call, status: str = "in-progress") -> dict:
    """The parameters Plivo sends with every callback about this call."""
    return {
        "CallUUID": call.call_uuid,
        "RequestUUID": call.request_uuid,
        "ALegUUID": call.call_uuid,
        "ALegRequestUUID": call.request_uuid,
        "From": plivo_form(call.from_number),
        "To": plivo_form(call.to_number),
        "CallerName": call.params.get("caller_name", ""),
        "Direction": "outbound",
        "CallStatus": status,
    }


def _follow(sandbox, call, event, url, method) -> str | None:
    """Fetch XML from `url` and do what it says; the hangup cause if it ended."""
    extra = {"Event": "StartApp"} if event == "answer" else {}
    for _ in range(MAX_DOCUMENTS):
        params = {**call_params(call), **extra}
        text = _document(sandbox, call, event, url, method, params)
        if text is None:
            return "ANSWER_URL_FAILED"
        steps, errors = answer_xml.parse(text)
        call.xml_errors.extend(f"{event}: {e}" for e in errors)
        if errors:
            sandbox.store.count("xml_errors")
        if not steps and errors:
            return "INVALID_ANSWER_XML"
        following = _listen(sandbox, call, steps)
        if following is None:
            return None
        if following == "hangup":
            return "NORMAL_CLEARING"
        event, url, method, extra = following
    call.xml_errors.append("too many Redirect/GetInput documents in a row")
    return "INVALID_ANSWER_XML"


def _document(sandbox, call, event, url, method, params) -> str | None:
    """The XML at `url`, or at the fallback URL when the answer URL fails."""
    text = _fetch_xml(sandbox, call, event, url, method, params)
    fallback = call.params.get("fallback_url")
    if text is None and event == "answer" and fallback:
        fallback_method = str(call.params.get("fallback_method") or "POST").upper()
        text = _fetch_xml(sandbox, call, "fallback", fallback, fallback_method, params)
    return text


def _fetch_xml(sandbox, call, event, url, method, params) -> str | None:
    try:
        response = signing.send(sandbox.http(), method, url, params, sandbox.settings)
    except requests.RequestException as error:
        _note(sandbox, call, event, url, f"error: {type(error).__name__}")
        return None
    _note(sandbox, call, event, url, response.status_code)
    if response.status_code != 200:
        call.xml_errors.append(f"{event}: HTTP {response.status_code} from {url}")
        return None
    return response.text


def _listen(sandbox, call: Call, steps: list[dict]):
    """Hear the steps; returns None, "hangup", or the next document to fetch."""
    for step in steps:
        kind = step["element"]
        if kind == "Hangup":
            call.heard.append({"element": "Hangup", "reason": step["reason"]})
            return "hangup"
        if kind == "Redirect":
            return ("redirect", step["url"], step["method"].upper(), {})
        if kind == "GetInput":
            for child in step["children"]:
                _hear(sandbox, call, child)
            digits = _press(call, step)
            if digits and step["action"]:
                call.heard.append({"element": "GetInput", "pressed": digits})
                extra = {"Digits": digits, "InputType": "dtmf"}
                return ("input", step["action"], step["method"], extra)
            call.heard.append({"element": "GetInput", "pressed": ""})
            continue
        _hear(sandbox, call, step)
    return None


def _press(call: Call, step: dict) -> str:
    already = any(h.get("pressed") for h in call.heard)
    return "" if already or call.answered_by == "machine" else call.fate.presses


def _hear(sandbox, call: Call, step: dict) -> None:
    call.duration += answer_xml.seconds(step)
    if step["element"] == "Play" and sandbox.settings.fetch_audio:
        step = {**step, **_fetch_audio(sandbox, step["url"])}
        sandbox.store.count("audio_fetches")
    call.heard.append(step)


def _fetch_audio(sandbox, url: str) -> dict:
    """GET a Play URL as Plivo would, keeping only its status and size."""
    try:
        target = signing.delivery_url(url, sandbox.settings.answer_base)
        with sandbox.http().get(
            target, stream=True, timeout=sandbox.settings.callback_timeout
        ) as response:
            size = 0
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > MAX_AUDIO_BYTES:
                    break
            return {
                "status": response.status_code,
                "bytes": size,
                "content_type": response.headers.get("Content-Type", ""),
            }
    except requests.RequestException as error:
        return {"status": None, "bytes": 0, "error": type(error).__name__}


def _machine_detected(sandbox, call: Call, machine: bool = True) -> None:
    """Tell `machine_detection_url` who answered: Machine=true or false."""
    url = call.params.get("machine_detection_url")
    if not url:
        return
    method = str(call.params.get("machine_detection_method") or "POST").upper()
    params = {
        **call_params(call),
        "Machine": "true" if machine else "false",
        "Event": "MachineDetection",
    }
    notify(sandbox, call, "machine_detection", method, url, params, retries=0)


def hang_up(sandbox, call: Call, status: str, cause: str) -> None:
    """End the call and send the hangup callback."""
    if call.ended_at:
        return
    call.status = status
    call.hangup_cause = cause
    call.ended_at = utc_now()
    duration = math.ceil(call.duration) if call.answered_at else 0
    call.duration = duration
    sandbox.store.count(f"calls_{status}")
    url = call.params.get("hangup_url") or call.params.get("answer_url")
    method = str(call.params.get("hangup_method") or "POST").upper()
    params = {
        **call_params(call, status),
        "Event": "Hangup",
        "HangupCause": cause,
        "HangupSource": "Callee" if status != "completed" else "Plivo",
        "Duration": duration,
        "BillDuration": math.ceil(duration / 60) * 60 if duration else 0,
        "StartTime": call.created_at,
        "AnswerTime": call.answered_at,
        "EndTime": call.ended_at,
        "TotalCost": "0.00000",
    }
    notify(sandbox, call, "hangup", method, url, params)


def notify(sandbox, record, event, method, url, params, retries=None) -> None:
    """Send a signed callback now; retry later on failure, as Plivo does."""
    if retries is None:
        retries = sandbox.settings.callback_retries
    try:
        response = signing.send(sandbox.http(), method, url, params, sandbox.settings)
        outcome = response.status_code
        failed = outcome >= 500
    except requests.RequestException as error:
        outcome, failed = f"error: {type(error).__name__}", True
    _note(sandbox, record, event, url, outcome)
    if failed and retries > 0:
        sandbox.scheduler.later(
            sandbox.settings.callback_retry_seconds,
            lambda: notify(sandbox, record, event, method, url, params, retries - 1),
        )


def _note(sandbox, record, event, url, outcome) -> None:
    record.callbacks.append({"event": event, "url": url, "result": outcome})
    ok = isinstance(outcome, int) and outcome < 400
    sandbox.store.count("callbacks_sent" if ok else "callbacks_failed")

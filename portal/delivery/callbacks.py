"""Provider callbacks: answer XML, hangup, machine detection, SMS status.

Every view is `@public` because the provider cannot sign in, and every one
checks the V3 signature against PUBLIC_BASE_URL first: a bad or missing
signature, an edited field or a wrong URL gets 403 and changes nothing.
Our delivery and attempt ids travel in the signed URL. Unknown ids are
logged and answered 200 so the provider stops retrying.
"""

import logging
from functools import wraps

from flask import Response, abort, current_app, request, send_from_directory
from sqlalchemy import select

from portal.accounts.access import public
from portal.delivery import audio, optouts, outcomes
from portal.delivery.bp import bp
from portal.delivery.content import voice_parts
from portal.delivery.models import Attempt, Delivery
from portal.extensions import csrf, db
from portal.telephony import signatures, xml

logger = logging.getLogger(__name__)

XML_TYPE = "application/xml"


def signed(view):
    """Refuse (403) any request without a valid provider signature."""

    @wraps(view)
    def checked(*args, **kwargs):
        if not signatures.request_is_signed():
            logger.warning("callback_bad_signature endpoint=%s", request.endpoint)
            abort(403)
        return view(*args, **kwargs)

    return checked


def _ids() -> tuple[int | None, int | None]:
    try:
        return int(request.args["delivery"]), int(request.args["attempt"])
    except (KeyError, ValueError):
        return None, None


def _fields() -> dict:
    return {str(k): str(v) for k, v in request.form.to_dict().items()}


@bp.post("/provider/answer")
@public
@csrf.exempt
@signed
def answer():
    """The call's XML: identification, the message, press 1 to repeat."""
    delivery_id, attempt_id = _ids()
    delivery = db.session.get(Delivery, delivery_id) if delivery_id else None
    if delivery is None:
        logger.warning("answer_unknown_delivery delivery_id=%s", delivery_id)
        return Response(xml.goodbye(), mimetype=XML_TYPE)
    if "Digits" in request.form and request.form["Digits"] != "1":
        return Response(xml.goodbye(), mimetype=XML_TYPE)

    message = delivery.message
    building = message.building
    caller = building.name if building is not None else _district_name()
    number = (building.phone if building is not None else None) or ""
    machine = request.form.get("Machine", "").lower() == "true"
    body = xml.answer(
        voice_parts(delivery),
        caller=caller,
        number=number or current_app.config["PLIVO_CALLER_ID"],
        language=delivery.content_language or "en",
        repeat_url=audio.public_url(
            "delivery.answer", delivery=delivery.id, attempt=attempt_id
        ),
        machine=machine,
    )
    logger.info(
        "answer_served delivery_id=%s attempt_id=%s machine=%s",
        delivery.id,
        attempt_id,
        machine,
    )
    return Response(body, mimetype=XML_TYPE)


def _district_name() -> str:
    return "your school district"


def _apply(apply, event: str):
    """Apply a status callback in one short transaction; always answer 200.

    The outcome function locks the delivery, checks that the attempt is
    its own and stores the callback once, so the usual callback costs its
    statements only. The ids are looked up again only when nothing changed,
    to tell an unknown id from a replay in the log.
    """
    delivery_id, attempt_id = _ids()
    changed = delivery_id is not None and apply(delivery_id, attempt_id, _fields())
    if not changed and not _known(delivery_id, attempt_id):
        logger.warning(
            "callback_unknown_ids event=%s delivery_id=%s attempt_id=%s",
            event,
            delivery_id,
            attempt_id,
        )
        return "", 200
    logger.info(
        "callback_applied event=%s delivery_id=%s attempt_id=%s changed=%s",
        event,
        delivery_id,
        attempt_id,
        changed,
    )
    return "", 200


def _known(delivery_id: int | None, attempt_id: int | None) -> bool:
    """Whether the attempt exists and belongs to the delivery (one query)."""
    if delivery_id is None:
        return False
    owner = db.session.scalar(
        select(Attempt.delivery_id).where(Attempt.id == attempt_id)
    )
    db.session.rollback()  # end the read; the request holds no transaction
    return owner == delivery_id


@bp.post("/provider/hangup")
@public
@csrf.exempt
@signed
def hangup():
    """The call ended: final state or a redial."""
    return _apply(outcomes.call_hangup, "hangup")


@bp.post("/provider/machine")
@public
@csrf.exempt
@signed
def machine():
    """Answering-machine detection result for a call."""
    return _apply(outcomes.call_machine, "machine")


@bp.post("/provider/sms-status")
@public
@csrf.exempt
@signed
def sms_status():
    """A text's delivery report."""
    return _apply(outcomes.sms_status, "sms_status")


@bp.post("/provider/sms-inbound")
@public
@csrf.exempt
@signed
def inbound_sms():
    """A text from a family: STOP, START, HELP and their synonyms."""
    sender = request.form.get("From", "")
    reply = optouts.handle_inbound(sender, request.form.get("Text", ""))
    if reply is None:
        return "", 200
    ours = request.form.get("To") or current_app.config["PLIVO_CALLER_ID"]
    body = xml.sms_reply(reply, src=ours, dst=sender)
    return Response(body, mimetype=XML_TYPE)


@bp.get("/audio/<token>", endpoint="audio")
@public
def audio_file(token: str):
    """A recording or speech clip, for the provider, while the link is fresh."""
    from portal.messaging.models import Recording

    named = audio.read_token(token)
    if named is None:
        abort(404)
    if "r" in named:
        recording = db.session.get(Recording, named["r"])
        if recording is None:
            abort(404)
        return Response(recording.audio, mimetype=recording.mime_type)
    return send_from_directory(current_app.config["AUDIO_DIR"], named["f"])

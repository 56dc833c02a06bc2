"""One time slice of a message's deliveries, as a worker runs it.

A slice claims small batches and delivers them one by one until its time
is up or a more urgent queue has work; then it hands what is left to a new
job at the back of its queue. So an emergency never waits behind more than
one slice of a large outreach.
"""

import logging
import os
import socket
import time
import uuid

from flask import current_app

from portal.delivery import (
    audio,
    claims,
    engine,
    outcomes,
    reconcile,
    rules,
    throttle,
)
from portal.delivery.content import written_text
from portal.delivery.models import CLAIMED, Attempt, Delivery, OptOut
from portal.extensions import db
from portal.models_base import utcnow
from portal.telephony import plivo_client

logger = logging.getLogger(__name__)

BATCH = 10
THROTTLED = {"phone": "call", "sms": "sms"}


def _token() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def work_slice(message_id: int) -> int:
    """Deliver claimed batches for up to a slice; returns how many were handled."""
    seconds = rules.setting("DELIVERY_SLICE_SECONDS", 2.0)
    started = time.monotonic()
    token = _token()
    sender = Sender()
    handled = 0
    interrupted = False
    engine.mark_active(message_id)

    while time.monotonic() - started < seconds and not interrupted:
        ids = claims.claim(message_id, token, BATCH)
        if not ids:
            break
        for position, delivery_id in enumerate(ids):
            if engine.more_urgent_work_waiting():
                claims.release(ids[position:], token)
                interrupted = True
                break
            try:
                deliver_one(delivery_id, token, sender)
            except Exception:
                # Hand back what this slice has not touched, then fail the job.
                db.session.rollback()
                claims.release(ids[position + 1 :], token)
                raise
            handled += 1

    engine.continue_message(message_id, more=interrupted or handled > 0)
    logger.info(
        "slice_done message_id=%s handled=%s interrupted=%s",
        message_id,
        handled,
        interrupted,
    )
    return handled


def deliver_one(delivery_id: int, token: str, sender: "Sender") -> None:
    """Check, record the attempt, send, and record what the provider said."""
    delivery = db.session.get(Delivery, delivery_id)
    db.session.refresh(delivery)
    if delivery.state != CLAIMED or delivery.claimed_by != token:
        return
    reason = held_back(delivery)
    if reason == "wait":
        return
    if reason:
        outcomes.finish(delivery, reason)
        db.session.commit()
        return

    if _dialled_already(delivery, sender):
        return

    # Wait for the shared throttle before the attempt row exists: if Redis
    # fails here, nothing was recorded as sent and the lease simply expires.
    if delivery.channel in THROTTLED:
        throttle.acquire(THROTTLED[delivery.channel])
    attempt = claims.begin_attempt(delivery, token)
    if attempt is None:
        return
    try:
        provider_id = sender.send(delivery, attempt)
    except plivo_client.ProviderError as error:
        state = outcomes.failed_request(delivery.id, attempt.id, token, error)
        logger.info(
            "attempt_failed delivery_id=%s attempt=%s outcome=%s status=%s state=%s",
            delivery.id,
            attempt.number,
            error.outcome,
            error.http_status,
            state,
        )
        return
    if delivery.channel == "email":
        _email_sent(delivery, attempt, token, provider_id)
    else:
        outcomes.accepted(delivery, attempt, token, provider_id)


def _dialled_already(delivery: Delivery, sender: "Sender") -> bool:
    """Before a redial after an unsettled attempt, ask the provider first."""
    last = delivery.attempts[-1] if delivery.attempts else None
    if delivery.channel != "phone" or last is None:
        return False
    if last.result not in outcomes.UNSETTLED_RESULTS or last.callback:
        return False
    try:
        found = reconcile.find_call(sender.client, delivery.address, last.started_at)
    except reconcile.Unreachable:
        outcomes.wait_until(delivery, utcnow() + rules.backoff_delay(1), "reconcile")
        db.session.commit()
        return True
    if found is None:
        return False
    outcomes.adopt(delivery, last, found)
    db.session.commit()
    logger.info("reconciled delivery_id=%s found=%s", delivery.id, found.status)
    return True


def held_back(delivery: Delivery) -> str | None:
    """Why a claimed delivery must not go now: a final state, "wait", or None."""
    message = delivery.message
    if message.state == "cancelled" or message.cancelled_at is not None:
        return "cancelled"
    emergency = message.kind == "emergency"
    opted_out = delivery.channel == "sms" and not emergency
    if opted_out and db.session.get(OptOut, delivery.address) is not None:
        return "opted_out"
    if emergency or delivery.channel == "email":
        return None

    opening = rules.next_opening(delivery.building_id, utcnow())
    if opening is None:
        return None
    outcomes.wait_until(delivery, opening, "quiet hours")
    db.session.commit()
    outcomes.schedule_wake(delivery.message_id, opening)
    return "wait"


def _email_sent(delivery, attempt, token, message_id: str) -> None:
    outcomes.accepted(delivery, attempt, token, message_id[:80])
    delivery = outcomes.locked(delivery.id)
    if delivery.state not in ("sent", "delivered"):
        outcomes.finish(delivery, "sent")
    attempt = db.session.get(Attempt, attempt.id)
    attempt.result = "sent"
    attempt.finished_at = utcnow()
    db.session.commit()


class Sender:
    """Sends one attempt on its channel; one plivo client per job."""

    def __init__(self):
        self._client = None

    @property
    def client(self):
        if self._client is None:
            self._client = plivo_client.make_client()
        return self._client

    def send(self, delivery: Delivery, attempt: Attempt) -> str:
        return getattr(self, f"send_{delivery.channel}")(delivery, attempt)

    def send_phone(self, delivery, attempt) -> str:
        ids = {"delivery": delivery.id, "attempt": attempt.id}
        params = {
            "from_": current_app.config["PLIVO_CALLER_ID"],
            "to_": delivery.address,
            "answer_url": audio.public_url("delivery.answer", **ids),
            "answer_method": "POST",
            "hangup_url": audio.public_url("delivery.hangup", **ids),
            "hangup_method": "POST",
            "machine_detection": "true",
            "machine_detection_url": audio.public_url("delivery.machine", **ids),
            "machine_detection_method": "POST",
            "ring_timeout": 30,
        }
        return plivo_client.create_call(self.client, **params).provider_id

    def send_sms(self, delivery, attempt) -> str:
        ids = {"delivery": delivery.id, "attempt": attempt.id}
        variant = written_text(delivery)
        text = variant.text if variant else delivery.message.title
        params = {
            "src": current_app.config["PLIVO_CALLER_ID"],
            "dst": delivery.address,
            "text": text,
            "url": audio.public_url("delivery.sms_status", **ids),
            "method": "POST",
        }
        return plivo_client.create_message(self.client, **params).provider_id

    def send_email(self, delivery, attempt) -> str:
        from portal.delivery import email

        return email.send(delivery)

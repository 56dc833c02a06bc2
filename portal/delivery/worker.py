"""One time slice of a message's deliveries, as a worker runs it.

A slice claims a batch, checks it, commits the batch's attempt rows in one
transaction, then sends the batch's requests several at a time (threads,
each with its own plivo client, each waiting for the shared throttle just
before its request) and records what the provider said in one transaction.
It stops when its time is up or a more urgent queue has work (requests
not yet sent are then withdrawn), and hands what is left to a new job at
the back of its queue. So an emergency never waits behind more than the
requests already in flight.
"""

import logging
import os
import socket
import threading
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

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
from portal.messaging.models import Message
from portal.models_base import utcnow
from portal.telephony import plivo_client

logger = logging.getLogger(__name__)

BATCH = 20
# Provider requests one worker keeps in flight (one thread and client each).
IN_FLIGHT = 4
THROTTLED = {"phone": "call", "sms": "sms"}
# How often a slice waiting for its requests looks for more urgent work.
URGENT_CHECK_SECONDS = 0.1


def _token() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def work_slice(message_id: int) -> int:
    """Deliver claimed batches for up to a slice; returns how many were handled."""
    seconds = rules.setting("DELIVERY_SLICE_SECONDS", 2.0)
    started = time.monotonic()
    token = _token()
    handled = 0
    interrupted = False
    engine.mark_active(message_id)

    in_flight = int(rules.setting("DELIVERY_IN_FLIGHT", IN_FLIGHT))
    with Sender(in_flight, lambda: _should_stop(message_id)) as sender:
        while time.monotonic() - started < seconds and not interrupted:
            if engine.more_urgent_work_waiting():
                interrupted = True
                break
            ids = claims.claim(message_id, token, BATCH)
            if not ids:
                break
            try:
                handled += deliver_batch(ids, token, sender)
            except Exception:
                # Fail the job; the sweeper takes back the leases it held
                # (a request that may have gone out ends as outcome unknown).
                db.session.rollback()
                raise
            interrupted = sender.stopped.is_set()

    engine.continue_message(message_id, more=interrupted or handled > 0)
    logger.info(
        "slice_done message_id=%s handled=%s interrupted=%s",
        message_id,
        handled,
        interrupted,
    )
    return handled


def _should_stop(message_id: int) -> bool:
    """Stop sending: a more urgent queue has work, or the message was cancelled."""
    if engine.more_urgent_work_waiting():
        return True
    cancelled = db.session.scalar(
        select(Message.cancelled_at).where(Message.id == message_id)
    )
    db.session.rollback()  # end the read; the slice holds no transaction here
    return cancelled is not None


@dataclass
class Request:
    """One provider request, built in the slice's thread, sent by a sender thread."""

    delivery_id: int
    channel: str
    address: str
    text: str | None = None
    started: claims.Started | None = None
    params: dict = field(default_factory=dict)
    rate: float = 0.0
    deadline: float = 0.0


def deliver_batch(ids: list[int], token: str, sender: "Sender") -> int:
    """Check, record the attempts, send, and record what the provider said."""
    requests = _ready(ids, token, sender)
    emails = [r for r in requests if r.channel == "email"]
    calls = [r for r in requests if r.channel != "email"]

    started = claims.begin_attempts([r.delivery_id for r in requests], token)
    # Past half the lease a request is withdrawn rather than sent late.
    deadline = time.monotonic() + rules.lease_seconds() / 2
    for request in emails:
        if request.delivery_id in started:
            _send_email(request.delivery_id, started[request.delivery_id], token)
    calls = [r for r in calls if r.delivery_id in started]
    rates = {channel: throttle.rate(channel) for channel in THROTTLED.values()}
    for request in calls:
        request.started = started[request.delivery_id]
        request.params = _params(request)
        request.rate = rates[THROTTLED[request.channel]]
        request.deadline = deadline
    _record(sender.send_all(calls), token)
    return len(ids)


def _ready(ids: list[int], token: str, sender: "Sender") -> list[Request]:
    """The claimed deliveries that may go now, as plain requests.

    The rest are settled here (cancelled, opted out) or put back to wait
    (quiet hours), in one commit.
    """
    deliveries = db.session.scalars(
        select(Delivery)
        .where(Delivery.id.in_(ids))
        .order_by(Delivery.id)
        .execution_options(populate_existing=True)
    ).all()
    texted = [d.address for d in deliveries if d.channel == "sms"]
    opted_out = set(
        db.session.scalars(select(OptOut.address).where(OptOut.address.in_(texted)))
        if texted
        else ()
    )

    requests, wakes, unsettled = [], [], []
    for delivery in deliveries:
        if delivery.state != CLAIMED or delivery.claimed_by != token:
            continue
        reason = held_back(delivery, opted_out)
        if isinstance(reason, str):
            outcomes.finish(delivery, reason)
        elif reason is not None:
            outcomes.wait_until(delivery, reason, "quiet hours")
            wakes.append((delivery.message_id, reason))
        elif _unsettled(delivery):
            unsettled.append(delivery.id)
        else:
            requests.append(_request(delivery))
    db.session.commit()
    for message_id, when in wakes:
        outcomes.schedule_wake(message_id, when)

    for delivery_id in unsettled:
        delivery = db.session.get(Delivery, delivery_id)
        if not _dialled_already(delivery, sender):
            requests.append(_request(delivery))
    return requests


def _request(delivery: Delivery) -> Request:
    text = None
    if delivery.channel == "sms":
        variant = written_text(delivery)
        text = variant.text if variant else delivery.message.title
    return Request(delivery.id, delivery.channel, delivery.address, text)


def _params(request: Request) -> dict:
    """The SDK call's parameters; the callback URLs carry our ids."""
    ids = {"delivery": request.delivery_id, "attempt": request.started.attempt_id}
    caller_id = current_app.config["PLIVO_CALLER_ID"]
    if request.channel == "sms":
        return {
            "src": caller_id,
            "dst": request.address,
            "text": request.text,
            "url": audio.public_url("delivery.sms_status", **ids),
            "method": "POST",
        }
    return {
        "from_": caller_id,
        "to_": request.address,
        "answer_url": audio.public_url("delivery.answer", **ids),
        "answer_method": "POST",
        "hangup_url": audio.public_url("delivery.hangup", **ids),
        "hangup_method": "POST",
        "machine_detection": "true",
        "machine_detection_url": audio.public_url("delivery.machine", **ids),
        "machine_detection_method": "POST",
        "ring_timeout": 30,
    }


# A request a sender thread gave up before sending (stop, or lease too old).
NOT_SENT = object()


def _record(results: list[tuple[Request, object]], token: str) -> None:
    """Store the batch's answers: accepted in one transaction, the rest each.

    A result is a provider id, a `ProviderError`, NOT_SENT, or an exception
    raised before the request went out (the throttle's Redis failing): the
    unsent are withdrawn, then that exception fails the job.
    """
    accepted, unsent, failure = [], [], None
    for request, result in results:
        if isinstance(result, str):
            accepted.append((request.delivery_id, request.started.attempt_id, result))
        elif not isinstance(result, plivo_client.ProviderError):
            unsent.append(request.started)
            if isinstance(result, BaseException):
                failure = result
    outcomes.accepted(token, accepted)

    for request, result in results:
        if isinstance(result, plivo_client.ProviderError):
            _failed(request, result, token)
    claims.withdraw(unsent, token)
    if failure is not None:
        raise failure


def _failed(request: Request, error: plivo_client.ProviderError, token: str) -> None:
    started = request.started
    state = outcomes.failed_request(
        request.delivery_id, started.attempt_id, token, error
    )
    logger.info(
        "attempt_failed delivery_id=%s attempt=%s outcome=%s status=%s state=%s",
        request.delivery_id,
        started.number,
        error.outcome,
        error.http_status,
        state,
    )


def _unsettled(delivery: Delivery) -> bool:
    """A call or text whose last attempt's outcome is not known."""
    if delivery.channel not in reconcile.FINDERS or not delivery.attempt_count:
        return False
    last = delivery.attempts[-1] if delivery.attempts else None
    return last is not None and last.result in outcomes.UNSETTLED_RESULTS


def _dialled_already(delivery: Delivery, sender: "Sender") -> bool:
    """Before resending after an unsettled attempt, ask the provider first.

    An attempt the provider has called back about went out: it is waited
    for, never resent.
    """
    last = delivery.attempts[-1]
    if last.callback:
        outcomes.adopt(delivery, last, reconcile.Found("open"))
        db.session.commit()
        return True
    try:
        found = reconcile.find(
            sender.client, delivery.channel, delivery.address, last.started_at
        )
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


def held_back(delivery: Delivery, opted_out=frozenset()):
    """Why a claimed delivery must not go now.

    A final state (str), the time it may go (quiet hours), or None.
    """
    message = delivery.message
    if message.state == "cancelled" or message.cancelled_at is not None:
        return "cancelled"
    emergency = message.kind == "emergency"
    if delivery.channel == "sms" and not emergency and delivery.address in opted_out:
        return "opted_out"
    if emergency or delivery.channel == "email":
        return None
    return rules.next_opening(delivery.building_id, utcnow())


def _send_email(delivery_id: int, started: claims.Started, token: str) -> None:
    """E-mail goes out from the slice's own thread (SMTP, not the provider)."""
    from portal.delivery import email

    delivery = db.session.get(Delivery, delivery_id)
    try:
        message_id = email.send(delivery)
    except plivo_client.ProviderError as error:
        request = Request(delivery_id, "email", delivery.address, started=started)
        _failed(request, error, token)
        return
    outcomes.accepted(token, [(delivery_id, started.attempt_id, message_id[:80])])
    delivery = outcomes.locked(delivery_id)
    if delivery.state not in ("sent", "delivered"):
        outcomes.finish(delivery, "sent")
    attempt = db.session.get(Attempt, started.attempt_id)
    attempt.result = "sent"
    attempt.finished_at = utcnow()
    db.session.commit()


class Sender:
    """Sends a batch's requests, several at a time; one plivo client per thread."""

    def __init__(self, in_flight: int, should_stop=lambda: False):
        self.config = current_app.config
        self.should_stop = should_stop
        self.connection = throttle.shared_connection()
        self.pool = ThreadPoolExecutor(max(1, in_flight), "delivery-send")
        self.local = threading.local()
        self.stopped = threading.Event()
        self._client = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.pool.shutdown(wait=True)
        return False

    @property
    def client(self):
        """A client for the slice's own thread (reconciliation)."""
        if self._client is None:
            self._client = plivo_client.make_client(self.config)
        return self._client

    def send_all(self, requests: list[Request]) -> list[tuple[Request, object]]:
        """Each request with its provider id, `ProviderError`, NOT_SENT or error.

        While waiting, stop sending (NOT_SENT) once `should_stop` says so.
        """
        futures = {self.pool.submit(self._send, r): r for r in requests}
        pending = set(futures)
        while pending:
            _done, pending = wait(pending, URGENT_CHECK_SECONDS, FIRST_COMPLETED)
            if pending and not self.stopped.is_set() and self.should_stop():
                self.stopped.set()
        return [(futures[f], _outcome(f)) for f in futures]

    def _send(self, request: Request):
        """In a sender thread: wait for the throttle, then one SDK call."""
        if self.stopped.is_set() or time.monotonic() > request.deadline:
            return NOT_SENT
        throttle.wait_for_slot(
            THROTTLED[request.channel], request.rate, self.connection
        )
        if self.stopped.is_set():  # told to stop while waiting for the slot
            return NOT_SENT
        client = getattr(self.local, "client", None)
        if client is None:
            client = self.local.client = plivo_client.make_client(self.config)
        try:
            if request.channel == "sms":
                return plivo_client.create_message(client, **request.params).provider_id
            return plivo_client.create_call(client, **request.params).provider_id
        except plivo_client.ProviderError as error:
            return error
        except Exception as error:  # sent or not, we cannot tell
            logger.exception("send_failed delivery_id=%s", request.delivery_id)
            return plivo_client.ProviderError("unknown", type(error).__name__)


def _outcome(future):
    """A thread's result; an exception there means nothing was sent."""
    error = future.exception()
    return error if error is not None else future.result()

"""Moving deliveries forward: provider answers, callbacks, retries, finals.

State only moves forward (pending → claimed → submitted → final); the one
move between finals is an SMS that was "sent" becoming "delivered" or
"failed". Each callback is applied once per attempt, so replays change
nothing.
"""

import logging

from sqlalchemy import bindparam, func, select

from portal.delivery import rules
from portal.delivery.models import (
    CLAIMED,
    FINAL_STATES,
    PENDING,
    SUBMITTED,
    Attempt,
    Delivery,
)
from portal.extensions import db
from portal.models_base import utcnow

logger = logging.getLogger(__name__)

SMS_UPGRADES = {"sent": {"delivered", "failed"}}
CALL_STATUS = {
    "completed": "answered",
    "busy": "busy",
    "no-answer": "no_answer",
    "timeout": "no_answer",
    "failed": "failed",
    "cancel": "no_answer",
}
SMS_STATUS = {
    "sent": "sent",
    "delivered": "delivered",
    "failed": "failed",
    "undelivered": "failed",
}
UNKNOWN_SETTLED = "outcome unknown; not redialled"
DEAD_NUMBER_CAUSES = ("unallocated", "invalid", "not in service", "disconnected")


def locked(delivery_id: int) -> Delivery | None:
    """The delivery, locked for this transaction (callbacks serialise here)."""
    return db.session.get(Delivery, delivery_id, with_for_update=True)


def finish(delivery: Delivery, state: str, detail: str | None = None) -> None:
    """Set a final state (caller commits)."""
    now = utcnow()
    delivery.state = state
    delivery.detail = detail
    delivery.final_at = now
    delivery.updated_at = now
    delivery.lease_until = None
    delivery.outcome_unknown = False
    if state == "invalid_number":
        open_contact_problem(delivery, detail or "invalid number")


def wait_until(delivery: Delivery, when, detail: str | None = None) -> None:
    """Put a delivery back in line, due at `when` (caller commits)."""
    delivery.state = PENDING
    delivery.not_before = when
    delivery.claimed_by = None
    delivery.lease_until = None
    delivery.outcome_unknown = False
    delivery.detail = detail
    delivery.updated_at = utcnow()


def open_contact_problem(delivery: Delivery, reason: str) -> None:
    """Tell the Directory's contact log about an invalid or dead number."""
    from portal.contacts.service import open_problem_from_delivery

    problem = open_problem_from_delivery(None, delivery.address, reason)
    logger.info(
        "contact_problem_opened delivery_id=%s problem_id=%s",
        delivery.id,
        problem.id if problem is not None else None,
    )


def accepted(token: str, sent: list[tuple[int, int, str]]) -> None:
    """The provider took these requests: submitted, unless a callback beat us.

    `sent` holds (delivery id, attempt id, provider id); one transaction for
    the batch.
    """
    if not sent:
        return
    sent = sorted(sent)
    # Lock the deliveries before their attempts, in id order, as the
    # callbacks do (`locked` first), or a fast callback and this deadlock.
    db.session.execute(
        select(Delivery.id)
        .where(Delivery.id.in_([delivery_id for delivery_id, _, _ in sent]))
        .order_by(Delivery.id)
        .with_for_update()
    )
    rows = [{"d_id": d, "a_id": a, "p_id": p} for d, a, p in sent]
    attempts, deliveries = Attempt.__table__, Delivery.__table__
    connection = db.session.connection()
    connection.execute(
        attempts.update()
        .where(attempts.c.id == bindparam("a_id"))
        .values(
            provider_id=bindparam("p_id"),
            result=func.coalesce(attempts.c.result, "accepted"),
        ),
        rows,
    )
    connection.execute(
        deliveries.update()
        .where(
            deliveries.c.id == bindparam("d_id"),
            deliveries.c.state == CLAIMED,
            deliveries.c.claimed_by == token,
        )
        .values(
            state=SUBMITTED,
            provider_id=bindparam("p_id"),
            lease_until=None,
            outcome_unknown=False,
            updated_at=utcnow(),
        ),
        rows,
    )
    db.session.commit()


def failed_request(delivery_id: int, attempt_id: int, token: str, error) -> str:
    """Record a refused or unanswered request and decide what follows."""
    delivery = locked(delivery_id)
    attempt = db.session.get(Attempt, attempt_id)
    attempt.finished_at = utcnow()
    attempt.http_status = error.http_status
    attempt.error = error.detail
    if attempt.result is None:
        attempt.result = error.outcome
    if delivery.state != CLAIMED or delivery.claimed_by != token:
        db.session.commit()  # a callback or the sweeper already moved it
        return delivery.state

    if error.outcome == "invalid":
        finish(delivery, "invalid_number", "refused by the provider")
    elif error.outcome == "rejected":
        finish(delivery, "failed", "refused by the provider")
    elif error.outcome == "backoff":
        _back_off(delivery, attempt)
    else:
        _await_callback(delivery)
    db.session.commit()
    return delivery.state


def _back_off(delivery: Delivery, attempt: Attempt) -> None:
    backoffs = sum(1 for a in delivery.attempts if a.result == "backoff")
    if backoffs > rules.MAX_BACKOFFS:
        finish(delivery, "failed", "provider kept refusing")
        return
    delay = rules.backoff_delay(backoffs)
    if attempt.http_status and attempt.http_status >= 500:
        # A 5xx may hide a created call: wait for its callback first.
        delay = max(delay, rules.unknown_grace())
        attempt.result = "server_error"
    wait_until(delivery, utcnow() + delay, "provider busy, backing off")


def _await_callback(delivery: Delivery) -> None:
    delivery.state = SUBMITTED
    delivery.outcome_unknown = True
    delivery.lease_until = None
    delivery.detail = "outcome unknown, waiting for the provider"
    delivery.updated_at = utcnow()


def _record_event(attempt: Attempt, event: str, payload: dict) -> bool:
    """Store a callback on its attempt; False if it was seen already."""
    seen = dict(attempt.callback or {})
    if event in seen:
        return False
    seen[event] = payload
    attempt.callback = seen
    return True


def _current(delivery: Delivery, attempt: Attempt) -> bool:
    return attempt.number == delivery.attempt_count


def _take_callback(delivery_id: int, attempt_id: int, event: str, payload: dict):
    """Lock the delivery, find its attempt and store the callback once.

    Returns (delivery, attempt), or None (rolled back) for unknown ids, an
    attempt of another delivery, or a replay.
    """
    delivery = locked(delivery_id)
    attempt = db.session.get(Attempt, attempt_id)
    if (
        delivery is None
        or attempt is None
        or attempt.delivery_id != delivery_id
        or not _record_event(attempt, event, payload)
    ):
        db.session.rollback()
        return None
    return delivery, attempt


def call_machine(delivery_id: int, attempt_id: int, payload: dict) -> bool:
    """Machine detection said who answered; remembered for the hangup."""
    if _take_callback(delivery_id, attempt_id, "machine", payload) is None:
        return False
    db.session.commit()
    return True


def call_hangup(delivery_id: int, attempt_id: int, payload: dict) -> bool:
    """The call ended: final state, or a redial for no answer and busy."""
    taken = _take_callback(delivery_id, attempt_id, "hangup", payload)
    if taken is None:
        return False
    delivery, attempt = taken

    result = _call_result(attempt, payload)
    attempt.result = result
    attempt.finished_at = utcnow()
    attempt.provider_id = attempt.provider_id or payload.get("ALegRequestUUID")
    if _late_for_unknown(delivery, attempt):
        finish(delivery, result, _hangup_detail(payload))  # the truth, no redial
        db.session.commit()
        return True
    if delivery.state in FINAL_STATES or not _current(delivery, attempt):
        db.session.commit()
        return True

    # Only no answer and busy may redial; the message and the earlier
    # attempts are read for them alone (most calls are answered).
    redial_at = None
    if result in rules.REDIALLED_RESULTS:
        kind = delivery.message.kind
        dials = sum(1 for a in delivery.attempts if a.result in rules.REDIALLED_RESULTS)
        if rules.may_redial(kind, dials):
            redial_at = utcnow() + rules.redial_delay(kind)
    if redial_at is None:
        finish(delivery, result, _hangup_detail(payload))
    else:
        wait_until(delivery, redial_at, result)
    message_id = delivery.message_id
    db.session.commit()
    if redial_at is not None:
        schedule_wake(message_id, redial_at)
    return True


def _late_for_unknown(delivery: Delivery, attempt: Attempt) -> bool:
    """A callback that finally tells what an unknown outcome was."""
    return (
        delivery.state == "failed"
        and (delivery.detail or "").startswith(UNKNOWN_SETTLED)
        and _current(delivery, attempt)
    )


def _call_result(attempt: Attempt, payload: dict) -> str:
    status = (payload.get("CallStatus") or "").lower()
    cause = (payload.get("HangupCause") or "").lower()
    result = CALL_STATUS.get(status, "failed")
    if result == "failed" and any(mark in cause for mark in DEAD_NUMBER_CAUSES):
        return "invalid_number"
    machine = (attempt.callback or {}).get("machine", {})
    if result == "answered" and str(machine.get("Machine", "")).lower() == "true":
        return "voicemail"
    return result


def _hangup_detail(payload: dict) -> str | None:
    cause = payload.get("HangupCause")
    return str(cause)[:200] if cause else None


def sms_status(delivery_id: int, attempt_id: int, payload: dict) -> bool:
    """A text's status report; out-of-order reports never move it back."""
    status = (payload.get("Status") or "").lower()
    taken = _take_callback(delivery_id, attempt_id, f"status:{status}", payload)
    if taken is None:
        return False
    delivery, attempt = taken

    new = SMS_STATUS.get(status)
    if new is None:  # queued: nothing to record on the delivery
        db.session.commit()
        return True
    attempt.result = new
    attempt.finished_at = utcnow()
    if (
        delivery.state not in FINAL_STATES
        or new in SMS_UPGRADES.get(delivery.state, ())
        or _late_for_unknown(delivery, attempt)
    ):
        finish(delivery, new, payload.get("ErrorCode") or None)
    db.session.commit()
    return True


def schedule_wake(message_id: int, when) -> None:
    """Make sure a job looks at the message again when `when` comes."""
    from portal.delivery import engine

    engine.wake_at(message_id, when)


UNSETTLED_RESULTS = frozenset({None, "unknown", "server_error"})


def adopt(delivery: Delivery, attempt: Attempt, found) -> None:
    """Take what reconciliation found as the attempt's outcome (caller commits)."""
    if found.status == "ended":
        attempt.result = found.state
        attempt.finished_at = utcnow()
        finish(delivery, found.state, found.detail)
        return
    attempt.result = "unknown"
    _await_callback(delivery)
    delivery.claimed_by = None

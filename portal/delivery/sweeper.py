"""The sweeper: takes back claims of dead workers, settles stale unknowns.

A worker killed mid-slice leaves deliveries claimed with a lease. Once the
lease has expired the sweeper looks at the last attempt: none, or one that
finished → the delivery goes back to pending; one without a result (the
worker died around the provider request) → outcome unknown, settled by
the provider's callback, which carries our delivery id, or past the grace
by the provider's records. Never a blind resend.
"""

import logging
from datetime import timedelta

from sqlalchemy import select

from portal.delivery import engine, outcomes, reconcile, rules
from portal.delivery.models import CLAIMED, PENDING, SUBMITTED, Attempt, Delivery
from portal.extensions import db
from portal.models_base import utcnow
from portal.telephony import plivo_client

logger = logging.getLogger(__name__)

BATCH = 500
NO_CALLBACK_AFTER = timedelta(hours=2)


def sweep() -> dict:
    """One pass; returns counts of what it changed."""
    counts = {
        "recovered": recover_expired_leases(),
        "unknown_settled": settle_stale_unknowns(),
        "silent_settled": settle_silent_submissions(),
    }
    counts["woken"] = wake_waiting_messages()
    logger.info("sweep_done %s", " ".join(f"{k}={v}" for k, v in counts.items()))
    return counts


def _locked_batch(query):
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(db.session.scalars(query.limit(BATCH)))


def recover_expired_leases() -> int:
    """Claims whose lease ran out: back to pending, or to outcome unknown."""
    now = utcnow()
    rows = _locked_batch(
        select(Delivery).where(Delivery.state == CLAIMED, Delivery.lease_until < now)
    )
    for delivery in rows:
        last = _last_attempt(delivery)
        if last is not None and last.result is None:
            last.result = "unknown"
            last.error = "worker lost around the provider request"
            delivery.state = SUBMITTED
            delivery.outcome_unknown = True
            delivery.detail = "outcome unknown, waiting for the provider"
        else:
            delivery.state = PENDING
        delivery.claimed_by = None
        delivery.lease_until = None
        delivery.updated_at = now
        logger.info(
            "lease_recovered delivery_id=%s state=%s", delivery.id, delivery.state
        )
    db.session.commit()
    return len(rows)


def _last_attempt(delivery: Delivery) -> Attempt | None:
    return db.session.scalar(
        select(Attempt)
        .where(Attempt.delivery_id == delivery.id)
        .order_by(Attempt.number.desc())
        .limit(1)
    )


def settle_stale_unknowns() -> int:
    """Unknown outcomes whose callback is late: ask the provider, then decide.

    A call or text found → its outcome; one still queued or live → wait
    more; none → nothing went out, so back to pending. An e-mail (SMTP
    cannot be asked) → failed, never resent blindly; a provider that
    cannot be asked now → asked again on a later pass.
    """
    cutoff = utcnow() - rules.unknown_grace()
    rows = _locked_batch(
        select(Delivery).where(
            Delivery.state == SUBMITTED,
            Delivery.outcome_unknown.is_(True),
            Delivery.updated_at < cutoff,
        )
    )
    client = plivo_client.make_client() if rows else None
    for delivery in rows:
        _settle(delivery, client)
    db.session.commit()
    return len(rows)


def _settle(delivery: Delivery, client) -> None:
    last = _last_attempt(delivery)
    if last is not None and last.callback:
        # The provider has called back with this attempt's ids: it went out.
        # Its final callback settles it; never send it again.
        delivery.updated_at = utcnow()
        return
    if delivery.channel not in reconcile.FINDERS or last is None:
        outcomes.finish(delivery, "failed", outcomes.UNKNOWN_SETTLED)
        logger.warning("unknown_outcome_settled delivery_id=%s", delivery.id)
        return
    try:
        found = reconcile.find(
            client, delivery.channel, delivery.address, last.started_at
        )
    except reconcile.Unreachable:
        delivery.updated_at = utcnow()  # ask again on a later pass
        return
    if found is None:
        outcomes.wait_until(delivery, utcnow(), "not sent; sending again")
        last.result = "not_dialled"
        logger.info("unknown_not_sent delivery_id=%s", delivery.id)
    elif found.status == "open":
        delivery.updated_at = utcnow()
    else:
        outcomes.adopt(delivery, last, found)


def settle_silent_submissions() -> int:
    """Accepted requests that never got a callback at all."""
    cutoff = utcnow() - NO_CALLBACK_AFTER
    rows = _locked_batch(
        select(Delivery).where(
            Delivery.state == SUBMITTED,
            Delivery.outcome_unknown.is_(False),
            Delivery.updated_at < cutoff,
        )
    )
    for delivery in rows:
        if delivery.channel == "sms":
            outcomes.finish(delivery, "sent", "accepted; no status report")
        else:
            outcomes.finish(delivery, "failed", "accepted; no callback")
    db.session.commit()
    return len(rows)


def wake_waiting_messages() -> int:
    """A job for every message with due deliveries and no slice running."""
    now = utcnow()
    message_ids = list(
        db.session.scalars(
            select(Delivery.message_id)
            .where(
                Delivery.state == PENDING,
                (Delivery.not_before.is_(None)) | (Delivery.not_before <= now),
            )
            .distinct()
        )
    )
    woken = 0
    for message_id in message_ids:
        if engine.recently_active(message_id):
            continue
        engine.wake_at(message_id, None)
        woken += 1
    db.session.commit()
    return woken

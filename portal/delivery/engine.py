"""The delivery engine's entry points: wake, continue, cancel, finish.

The database is the record of who was contacted; RQ only wakes workers.
A delivery moves pending → claimed (lease) → submitted (provider id) →
a final state. Each provider request has an attempt row committed before
the request is sent, so a crash after the provider accepted is visible.
The pieces: `claims` (leases), `worker` (a slice of work), `outcomes`
(state changes from answers and callbacks), `sweeper` (dead workers).
"""

import logging
import math
from datetime import UTC, datetime

from rq import get_current_job
from sqlalchemy import func, select, update

from portal.extensions import db
from portal.messaging.models import Message
from portal.models_base import utcnow
from portal.queues import QUEUE_NAMES, get_queue, redis_connection

logger = logging.getLogger(__name__)

BULK_THRESHOLD = 2000
JOB_TIMEOUT = 600
# How many jobs work one message at once (one per free worker).
PARALLEL_JOBS = 4
SLICE_SIZE = 25
JOB = "jobs.delivery.deliver_message"


def queue_for(kind: str, pending: int) -> str:
    """The queue a message's jobs go on: emergency > default > bulk."""
    if kind == "emergency":
        return "emergency"
    return "bulk" if pending > BULK_THRESHOLD else "default"


def _enqueue(message_id: int, queue_name: str, count: int = 1) -> None:
    queue = get_queue(queue_name, connection=_redis())
    for _ in range(count):
        queue.enqueue(
            JOB, message_id, job_timeout=JOB_TIMEOUT, result_ttl=60, failure_ttl=86400
        )


def _redis():
    from portal.delivery.throttle import shared_connection

    return shared_connection()


def enqueue_message(message_id: int) -> None:
    """Wake workers for a message whose delivery rows are committed."""
    from portal.delivery.models import PENDING, Delivery

    message = db.session.get(Message, message_id)
    if message is None:
        logger.warning("enqueue_unknown_message message_id=%s", message_id)
        return
    pending = db.session.scalar(
        select(func.count(Delivery.id)).where(
            Delivery.message_id == message_id, Delivery.state == PENDING
        )
    )
    name = queue_for(message.kind, pending)
    parallel = int(_setting("DELIVERY_PARALLEL_JOBS", PARALLEL_JOBS))
    jobs = max(1, min(parallel, math.ceil(pending / SLICE_SIZE)))
    _redis().set(f"delivery:queue:{message_id}", name, ex=7 * 86400)
    _enqueue(message_id, name, jobs)
    logger.info(
        "message_enqueued message_id=%s queue=%s jobs=%s pending=%s",
        message_id,
        name,
        jobs,
        pending,
    )


def _setting(name: str, default):
    from flask import current_app

    return current_app.config.get(name, default)


def queue_of(message_id: int) -> str:
    """The queue this message's work goes on (remembered at the first wake)."""
    job = get_current_job()
    if job is not None and job.origin in QUEUE_NAMES:
        return job.origin
    remembered = _redis().get(f"delivery:queue:{message_id}")
    if remembered:
        return remembered.decode()
    message = db.session.get(Message, message_id)
    return queue_for(message.kind if message else "outreach", 0)


def more_urgent_work_waiting() -> bool:
    """True when a queue ahead of the current job's queue has jobs."""
    job = get_current_job()
    if job is None or job.origin not in QUEUE_NAMES:
        return False
    ahead = QUEUE_NAMES[: QUEUE_NAMES.index(job.origin)]
    connection = job.connection
    return any(get_queue(name, connection=connection).count for name in ahead)


def mark_active(message_id: int) -> None:
    """Note that a slice is working this message (the sweeper then waits)."""
    slice_seconds = float(_setting("DELIVERY_SLICE_SECONDS", 2.0))
    _redis().set(f"delivery:active:{message_id}", 1, ex=max(5, int(3 * slice_seconds)))


def recently_active(message_id: int) -> bool:
    return bool(_redis().exists(f"delivery:active:{message_id}"))


def continue_message(message_id: int, more: bool) -> None:
    """After a slice: hand on the rest, schedule a wake, or close the message."""
    from portal.delivery import claims

    if more:
        _enqueue(message_id, queue_of(message_id))
        return
    due = claims.next_due(message_id)
    if due is not None or claims.has_pending(message_id):
        wake_at(message_id, due)
        return
    close_if_done(message_id)


def wake_at(message_id: int, when: datetime | None) -> None:
    """A job for the message when `when` comes (at most one per second)."""
    name = queue_of(message_id)
    if when is None or when <= utcnow():
        _enqueue(message_id, name)
        return
    # One job per message per whole second, at the end of that second, so
    # every delivery due within it is due when the job runs.
    second = math.ceil(when.timestamp())
    key = f"delivery:wake:{message_id}:{second}"
    if not _redis().set(key, 1, nx=True, ex=86400):
        return
    at = datetime.fromtimestamp(second, tz=UTC)
    get_queue(name, connection=_redis()).enqueue_at(
        at, JOB, message_id, job_timeout=JOB_TIMEOUT, result_ttl=60
    )


def close_if_done(message_id: int) -> None:
    """Mark a sending or scheduled message sent once every delivery is final."""
    from portal.delivery.models import FINAL_STATES, Delivery

    open_left = db.session.scalar(
        select(Delivery.id)
        .where(
            Delivery.message_id == message_id,
            Delivery.state.not_in(FINAL_STATES),
        )
        .limit(1)
    )
    if open_left is not None:
        return
    db.session.execute(
        update(Message)
        .where(Message.id == message_id, Message.state.in_(("sending", "scheduled")))
        .values(state="sent", updated_at=utcnow())
    )
    db.session.commit()


def cancel(message_id: int) -> int:
    """Stop what has not been dialled yet; returns how many were cancelled.

    Pending deliveries end as cancelled at once; a claimed one is stopped
    by the worker's check of the message when it loads its batch, or (its
    request not sent yet) by the check every 0.1 s while the batch is out.
    Requests already on their way go out. The caller commits (and audits).
    """
    from portal.delivery.models import PENDING, Delivery

    now = utcnow()
    message = db.session.get(Message, message_id)
    if message.cancelled_at is None:
        message.cancelled_at = now
    message.state = "cancelled"
    result = db.session.execute(
        update(Delivery)
        .where(Delivery.message_id == message_id, Delivery.state == PENDING)
        .values(state="cancelled", final_at=now, updated_at=now, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def work_slice(message_id: int) -> None:
    """Claim and deliver a bounded slice of one message's deliveries."""
    from portal.delivery import worker

    worker.work_slice(message_id)


def flush_redis_connection() -> None:
    """Forget the cached Redis connection (after a Redis restart in tests)."""
    from flask import current_app

    current_app.extensions.pop("delivery_redis", None)


__all__ = ["cancel", "enqueue_message", "queue_for", "redis_connection"]

"""The delivery engine: claims, attempts, provider requests, final states.

The database is the record of who was contacted; RQ only wakes workers.
A delivery moves pending → claimed (lease) → submitted (provider id) →
a final state. Each provider request has an attempt row committed before
the request is sent, so a crash after the provider accepted is visible.
"""

import logging
import math

from portal.extensions import db
from portal.messaging.models import Message
from portal.queues import get_queue

logger = logging.getLogger(__name__)

BULK_THRESHOLD = 2000
JOB_TIMEOUT = 600
# How many jobs work one message at once (one per worker that is free).
PARALLEL_JOBS = 4
SLICE_SIZE = 25


def queue_for(kind: str, pending: int) -> str:
    """The queue a message's jobs go on: emergency > default > bulk."""
    if kind == "emergency":
        return "emergency"
    return "bulk" if pending > BULK_THRESHOLD else "default"


def enqueue_message(message_id: int) -> None:
    """Wake workers for a message whose delivery rows are committed."""
    from portal.delivery.models import PENDING, Delivery

    message = db.session.get(Message, message_id)
    if message is None:
        logger.warning("enqueue_unknown_message message_id=%s", message_id)
        return
    pending = (
        db.session.query(Delivery)
        .filter_by(message_id=message_id, state=PENDING)
        .count()
    )
    name = queue_for(message.kind, pending)
    jobs = max(1, min(PARALLEL_JOBS, math.ceil(pending / SLICE_SIZE)))
    queue = get_queue(name)
    for _ in range(jobs):
        queue.enqueue(
            "jobs.delivery.deliver_message",
            message_id,
            job_timeout=JOB_TIMEOUT,
            result_ttl=300,
            failure_ttl=86400,
        )
    logger.info(
        "message_enqueued message_id=%s queue=%s jobs=%s pending=%s",
        message_id,
        name,
        jobs,
        pending,
    )


def work_slice(message_id: int) -> None:
    """Claim and deliver a bounded slice of one message's deliveries."""
    from portal.delivery import worker

    worker.work_slice(message_id)

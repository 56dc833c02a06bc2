"""Delivery jobs. Each opens an app context and calls `portal.delivery.engine`.

Every job here is safe to run twice: the database rows (deliveries with
leases, attempts written before each provider request) are the record of
who was contacted, and a job only acts on rows it has claimed.
"""

import logging

from jobs.context import app_context

logger = logging.getLogger(__name__)


def deliver_message(message_id: int) -> None:
    """Work one time slice of a message's pending deliveries.

    Safe twice: it only dials deliveries it claims with a lease, and a
    delivery that has an attempt is never claimed as untouched again.
    """
    from portal.delivery import engine

    with app_context():
        engine.work_slice(message_id)


def sweep() -> None:
    """Recover expired leases, resolve stale unknown outcomes, wake messages.

    Safe twice: every change is a guarded UPDATE on rows still in the state
    that was read, so a second sweeper finds nothing left to do.
    """
    from portal.delivery import sweeper

    with app_context():
        sweeper.sweep()

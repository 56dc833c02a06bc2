"""Claims with leases: who may work on a delivery, and for how long.

A batch is claimed with one `WITH picked AS MATERIALIZED (SELECT … FOR UPDATE
SKIP LOCKED) UPDATE … FROM picked RETURNING id`, so workers never wait for
each other or take the same row (SQLite, which serialises writers, ignores
the lock clause). Every later write by a worker is
fenced by its claim token: if the sweeper took the row back, it stops.
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, or_, select, update

from portal.delivery.models import CLAIMED, PENDING, Attempt, Delivery
from portal.delivery.rules import lease_seconds
from portal.extensions import db
from portal.models_base import utcnow


def _due(message_id: int, now):
    return and_(
        Delivery.message_id == message_id,
        Delivery.state == PENDING,
        or_(Delivery.not_before.is_(None), Delivery.not_before <= now),
    )


def claim(message_id: int, token: str, limit: int) -> list[int]:
    """Claim up to `limit` due deliveries of a message; returns their ids.

    One statement. The rows are picked and locked in a materialised CTE:
    as a plain `IN (subquery)` PostgreSQL may run the subquery again and,
    skipping the rows it just locked, take more than `limit`.
    """
    now = utcnow()
    lease = now + timedelta(seconds=lease_seconds())
    picked = (
        select(Delivery.id)
        .where(_due(message_id, now))
        .order_by(Delivery.priority, Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("picked")
        .prefix_with("MATERIALIZED")
    )
    ids = db.session.scalars(
        update(Delivery)
        .where(Delivery.id == picked.c.id, Delivery.state == PENDING)
        .values(state=CLAIMED, claimed_by=token, lease_until=lease, updated_at=now)
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return sorted(ids)


def release(ids: list[int], token: str) -> None:
    """Give back claimed deliveries this worker has not started."""
    if not ids:
        return
    db.session.execute(
        update(Delivery)
        .where(
            Delivery.id.in_(ids),
            Delivery.claimed_by == token,
            Delivery.state == CLAIMED,
        )
        .values(state=PENDING, claimed_by=None, lease_until=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


@dataclass(frozen=True)
class Started:
    """An attempt row committed for a request about to be sent."""

    delivery_id: int
    attempt_id: int
    number: int


def begin_attempts(delivery_ids: list[int], token: str) -> dict[int, Started]:
    """Write and commit the attempt rows before the provider requests.

    One transaction for the batch. Returns the attempts by delivery id, for
    the deliveries whose claim is still ours (nothing is sent for the rest).
    """
    if not delivery_ids:
        return {}
    now = utcnow()
    counted = db.session.execute(
        update(Delivery)
        .where(
            Delivery.id.in_(delivery_ids),
            Delivery.claimed_by == token,
            Delivery.state == CLAIMED,
        )
        .values(
            attempt_count=Delivery.attempt_count + 1,
            lease_until=now + timedelta(seconds=lease_seconds()),
            updated_at=now,
        )
        .returning(Delivery.id, Delivery.attempt_count)
        .execution_options(synchronize_session=False)
    ).all()
    attempts = [
        Attempt(delivery_id=delivery_id, number=number, started_at=now)
        for delivery_id, number in counted
    ]
    db.session.add_all(attempts)
    db.session.flush()
    started = {a.delivery_id: Started(a.delivery_id, a.id, a.number) for a in attempts}
    db.session.commit()
    return started


def withdraw(attempts: list[Started], token: str) -> None:
    """Attempts whose request was never sent: noted, deliveries back in line."""
    if not attempts:
        return
    now = utcnow()
    db.session.execute(
        update(Attempt)
        .where(
            Attempt.id.in_([a.attempt_id for a in attempts]),
            Attempt.result.is_(None),
        )
        .values(result="not_dialled", finished_at=now)
        .execution_options(synchronize_session=False)
    )
    release([a.delivery_id for a in attempts], token)


def next_due(message_id: int):
    """When the message's next waiting delivery becomes due (None if none)."""
    return db.session.scalar(
        select(Delivery.not_before)
        .where(Delivery.message_id == message_id, Delivery.state == PENDING)
        .order_by(Delivery.not_before.asc().nulls_first())
        .limit(1)
    )


def has_pending(message_id: int) -> bool:
    return (
        db.session.scalar(
            select(Delivery.id)
            .where(Delivery.message_id == message_id, Delivery.state == PENDING)
            .limit(1)
        )
        is not None
    )

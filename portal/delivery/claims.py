"""Claims with leases: who may work on a delivery, and for how long.

On PostgreSQL a batch is claimed with `FOR UPDATE SKIP LOCKED`, so workers
never wait for each other or take the same row. SQLite serialises writers,
so there a plain guarded UPDATE is enough. Every later write by a worker is
fenced by its claim token: if the sweeper took the row back, it stops.
"""

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
    """Claim up to `limit` due deliveries of a message; returns their ids."""
    now = utcnow()
    lease = now + timedelta(seconds=lease_seconds())
    candidates = (
        select(Delivery.id)
        .where(_due(message_id, now))
        .order_by(Delivery.priority, Delivery.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(candidates))
    if not ids:
        db.session.rollback()
        return []

    db.session.execute(
        update(Delivery)
        .where(Delivery.id.in_(ids), Delivery.state == PENDING)
        .values(state=CLAIMED, claimed_by=token, lease_until=lease, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    mine = select(Delivery.id).where(
        Delivery.id.in_(ids), Delivery.claimed_by == token, Delivery.state == CLAIMED
    )
    return sorted(db.session.scalars(mine))


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


def begin_attempt(delivery: Delivery, token: str) -> Attempt | None:
    """Write and commit the attempt row before the provider request.

    Returns None when the claim is no longer ours (nothing is sent then).
    """
    now = utcnow()
    result = db.session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery.id,
            Delivery.claimed_by == token,
            Delivery.state == CLAIMED,
        )
        .values(
            attempt_count=Delivery.attempt_count + 1,
            lease_until=now + timedelta(seconds=lease_seconds()),
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        return None
    db.session.refresh(delivery)
    attempt = Attempt(
        delivery_id=delivery.id, number=delivery.attempt_count, started_at=now
    )
    db.session.add(attempt)
    db.session.commit()
    return attempt


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

"""Helpers for end-to-end delivery tests: households, waiting, counting calls."""

import time
from collections import Counter

from sqlalchemy import func, insert, select

from portal.delivery import sweeper
from portal.delivery.models import FINAL_STATES, Delivery
from portal.extensions import db


def numbers(count: int, start: int = 0, endings=range(0, 60)) -> list[str]:
    """Distinct phone numbers whose last two digits are in `endings`."""
    allowed = sorted(set(endings))
    found, n = [], start
    while len(found) < count:
        if n % 100 in allowed:
            found.append(f"+1253{6000000 + n:07d}")
        n += 1
    return found


def households(message, addresses, channel="phone") -> None:
    """Pending deliveries for `addresses`, inserted in one statement."""
    db.session.execute(
        insert(Delivery),
        [
            {
                "message_id": message.id,
                "channel": channel,
                "address": address,
                "language": "en",
                "content_language": "en",
                "recipients": {},
                "priority": 1,
                "state": "pending",
                "attempt_count": 0,
                "outcome_unknown": False,
            }
            for address in addresses
        ],
    )
    db.session.commit()


def open_count(message_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count(Delivery.id)).where(
            Delivery.message_id == message_id, Delivery.state.not_in(FINAL_STATES)
        )
    )


def states(message_id: int) -> Counter:
    db.session.expire_all()
    rows = db.session.execute(
        select(Delivery.state, func.count(Delivery.id))
        .where(Delivery.message_id == message_id)
        .group_by(Delivery.state)
    ).all()
    return Counter(dict(rows))


def wait_until_final(message_id: int, limit: float = 60, sweep_every: float = 1.0):
    """Run the sweeper (as cron would) until every delivery is final."""
    deadline = time.monotonic() + limit
    last_sweep = 0.0
    while open_count(message_id):
        if time.monotonic() > deadline:
            raise AssertionError(f"not final after {limit}s: {states(message_id)}")
        if time.monotonic() - last_sweep > sweep_every:
            sweeper.sweep()
            last_sweep = time.monotonic()
        time.sleep(0.1)
    return states(message_id)


def calls_per_number(sandbox) -> Counter:
    """How many calls the sandbox created for each number."""
    return Counter(call.to_number for call in sandbox.sandbox.store.all_calls())


def texts_per_number(sandbox) -> Counter:
    return Counter(
        text.to_number
        for text in sandbox.sandbox.store.all_texts()
        if getattr(text, "direction", "outbound") == "outbound"
    )

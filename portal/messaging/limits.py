"""Outreach limits: per household per rolling 7 days, fundraising per building.

The limits are district settings; the compose page shows what is left, and a
message over a limit needs a district approver's override with a reason.
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from portal import clock, district_settings
from portal.delivery.models import Delivery
from portal.extensions import db
from portal.messaging import audience
from portal.messaging.models import Message
from portal.policy import UNCAPPED_KINDS, Kind

COUNTED_STATES = ("sent", "scheduled")
NOT_COUNTED_DELIVERIES = ("cancelled", "suppressed_by_limit")


@dataclass(frozen=True)
class LimitStatus:
    """One limit as the compose page shows it."""

    name: str
    label: str
    limit: int
    used: int
    households_at_limit: int = 0

    @property
    def left(self) -> int:
        return max(self.limit - self.used, 0)

    @property
    def over(self) -> bool:
        return self.used >= self.limit


def household_usage(since, exclude: int | None = None) -> dict[str, int]:
    """Outreach messages that reached each address since `since`."""
    when = func.coalesce(Delivery.not_before, Delivery.created_at)
    rows = db.session.execute(
        select(Delivery.address, func.count(func.distinct(Delivery.message_id)))
        .join(Message, Message.id == Delivery.message_id)
        .where(
            Message.kind == Kind.OUTREACH.value,
            Message.state.in_(COUNTED_STATES),
            Delivery.state.not_in(NOT_COUNTED_DELIVERIES),
            when >= since,
            Delivery.message_id != (exclude or 0),
        )
        .group_by(Delivery.address)
    )
    return dict(rows.all())


def outreach_status(message: Message, now=None) -> LimitStatus:
    """How many outreach messages the most-reached household has had."""
    now = now or clock.now()
    limit = int(district_settings.get("outreach_per_household_7d"))
    usage = household_usage(now - timedelta(days=7), exclude=message.id)
    addresses = audience.cached_addresses(message.audience, message.channels)
    counts = [usage.get(address, 0) for address in addresses]
    return LimitStatus(
        "outreach_per_household_7d",
        "Outreach per household, rolling 7 days",
        limit,
        max(counts, default=0),
        sum(1 for c in counts if c >= limit),
    )


def fundraising_status(message: Message, now=None) -> LimitStatus:
    """Fundraising messages this building sent in the last 30 days."""
    now = now or clock.now()
    limit = int(district_settings.get("fundraising_per_building_30d"))
    used = db.session.scalar(
        select(func.count(Message.id)).where(
            Message.category == "fundraising",
            Message.building_id == message.building_id,
            Message.state.in_(COUNTED_STATES),
            Message.sent_at >= now - timedelta(days=30),
            Message.id != message.id,
        )
    )
    return LimitStatus(
        "fundraising_per_building_30d",
        "Fundraising messages for this building, 30 days",
        limit,
        used or 0,
    )


def statuses(message: Message, now=None) -> list[LimitStatus]:
    """Every limit that applies to this message (none for emergencies)."""
    if Kind(message.kind) in UNCAPPED_KINDS or message.kind != Kind.OUTREACH:
        return []
    found = [outreach_status(message, now)]
    if message.category == "fundraising" and message.building_id is not None:
        found.append(fundraising_status(message, now))
    return found


def is_over(message: Message, now=None) -> bool:
    """Whether sending now would go over a limit."""
    return any(status.over for status in statuses(message, now))

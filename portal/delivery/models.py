"""Deliveries (one message to one contact point on one channel) and attempts."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models_base import UtcDateTime, utcnow

PENDING = "pending"
CLAIMED = "claimed"
SUBMITTED = "submitted"
FINAL_STATES = frozenset(
    {
        "answered",
        "voicemail",
        "delivered",
        "sent",
        "no_answer",
        "busy",
        "failed",
        "invalid_number",
        "opted_out",
        "suppressed_by_limit",
        "cancelled",
    }
)


class Delivery(db.Model):
    """The record of whether one household was reached on one channel.

    Unique per (message, channel, address): siblings sharing a phone get one
    call. The database, not the queue, is the record of who was contacted.
    """

    __table_args__ = (
        UniqueConstraint("message_id", "channel", "address"),
        Index("ix_delivery_message_state", "message_id", "state"),
        # The sweeper's scans: expired leases and stale unknown outcomes.
        Index("ix_delivery_state_lease", "state", "lease_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id"))
    channel: Mapped[str] = mapped_column(String(10))  # phone | sms | email
    address: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(10), default="en")
    # The variant actually used; differs from `language` on English fallback.
    content_language: Mapped[str] = mapped_column(String(10), default="en")
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"))
    # Who is reached here: {"guardians": [ids], "staff": [ids], "students": [ids]}
    recipients: Mapped[dict] = mapped_column(JSON, default=dict)
    priority: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(20), default=PENDING)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    not_before: Mapped[datetime | None] = mapped_column(UtcDateTime())
    provider_id: Mapped[str | None] = mapped_column(String(80), index=True)
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    outcome_unknown: Mapped[bool] = mapped_column(Boolean, default=False)
    detail: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    final_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    message = relationship("Message")
    attempts: Mapped[list["Attempt"]] = relationship(
        back_populates="delivery", order_by="Attempt.number"
    )


class Attempt(db.Model):
    """One request to the provider (or SMTP server) for a delivery."""

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("delivery.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    # Indexed: the progress page counts the attempts of the last seconds.
    started_at: Mapped[datetime] = mapped_column(
        UtcDateTime(), default=utcnow, index=True
    )
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    provider_id: Mapped[str | None] = mapped_column(String(80))
    result: Mapped[str | None] = mapped_column(String(30))
    http_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    callback: Mapped[dict | None] = mapped_column(JSON)

    delivery: Mapped[Delivery] = relationship(back_populates="attempts")


class OptOut(db.Model):
    """A number that texted STOP: no more non-emergency texts to it."""

    address: Mapped[str] = mapped_column(String(32), primary_key=True)
    opted_out_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    keyword: Mapped[str] = mapped_column(String(20))

"""Messages, their language variants, recordings, approvals and notices."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models_base import UtcDateTime, utcnow


class Message(db.Model):
    """One communication: kind, scope, audience, channels, state.

    States: draft → pending_approval → approved → scheduled/sending → sent,
    or rejected / cancelled. `version` goes up on every edit, and approvals
    carry the version they approved, so an edit voids them.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    building_id: Mapped[int | None] = mapped_column(
        ForeignKey("building.id"), index=True
    )  # None = district-wide
    category: Mapped[str | None] = mapped_column(String(40))
    situation: Mapped[str | None] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    # {"buildings": [ids] | "all", "grades": [..] | "all", "groups": [...]}
    audience: Mapped[dict] = mapped_column(JSON, default=dict)
    channels: Mapped[list] = mapped_column(JSON, default=list)  # phone, sms, email
    state: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("portal_user.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # now | end_of_day | at
    send_mode: Mapped[str] = mapped_column(String(20), default="now")
    scheduled_for: Mapped[datetime | None] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("portal_user.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    limit_override_reason: Mapped[str | None] = mapped_column(Text)

    building = relationship("Building")
    author = relationship("PortalUser", foreign_keys=[author_id])
    variants: Mapped[list["MessageVariant"]] = relationship(
        back_populates="message", cascade="all, delete-orphan"
    )
    approvals: Mapped[list["Approval"]] = relationship(
        back_populates="message", cascade="all, delete-orphan"
    )

    @property
    def is_district(self) -> bool:
        return self.building_id is None


class MessageVariant(db.Model):
    """The message in one language: subject, written text, recording."""

    __table_args__ = (UniqueConstraint("message_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id"), index=True)
    language: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    recording_id: Mapped[int | None] = mapped_column(ForeignKey("recording.id"))

    message: Mapped[Message] = relationship(back_populates="variants")
    recording = relationship("Recording")


class Recording(db.Model):
    """Audio for one language variant, checked by content on upload."""

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))
    language: Mapped[str] = mapped_column(String(10))
    mime_type: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    audio: Mapped[bytes] = mapped_column(LargeBinary)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("portal_user.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Approval(db.Model):
    """A decision on one version of a message.

    kind: content (district-wide), emergency_advice (assistant
    superintendent), limit_override (going over an outreach limit).
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id"), index=True)
    message_version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    decision: Mapped[str] = mapped_column(String(20))  # approved | rejected
    approver_id: Mapped[int] = mapped_column(ForeignKey("portal_user.id"))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    voided: Mapped[bool] = mapped_column(Boolean, default=False)

    message: Mapped[Message] = relationship(back_populates="approvals")
    approver = relationship("PortalUser")


class NoticeRecord(db.Model):
    """An automatic e-mail to the board, ALT, SSC receptionist or HR."""

    id: Mapped[int] = mapped_column(primary_key=True)
    notice: Mapped[str] = mapped_column(String(30))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"), index=True)
    contact_problem_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_problem.id")
    )
    recipients: Mapped[list] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(String(200))
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

"""Absences, per-language call templates, cached voice clips and daily runs."""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models_base import UtcDateTime, utcnow


class Absence(db.Model):
    """One student's unexcused absence on one day, as imported.

    `held` is set by a clerk when the absence was corrected: a held absence
    is left out of the day's calls.
    """

    __table_args__ = (UniqueConstraint("student_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    date: Mapped[date] = mapped_column(Date, index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    held: Mapped[bool] = mapped_column(Boolean, default=False)
    held_by_id: Mapped[int | None] = mapped_column(ForeignKey("portal_user.id"))
    held_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_run.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    student = relationship("Student")
    building = relationship("Building")


class AttendanceTemplate(db.Model):
    """What an attendance call says in one language.

    `text` holds the placeholders {names}, {school} and {date}; `and_word`
    joins two or more names ("Ana and Luis").
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    language: Mapped[str] = mapped_column(String(10), unique=True)
    subject: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text)
    and_word: Mapped[str] = mapped_column(String(20), default="and")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200), default="")


class TtsClip(db.Model):
    """Synthesized audio for one (engine, language, text), kept on disk."""

    __table_args__ = (UniqueConstraint("engine", "language", "text_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    engine: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(10))
    text_hash: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(300))
    mime_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class AttendanceRun(db.Model):
    """The day's calls for one building; at most one per building and date.

    status: preparing → synthesizing → dispatched (or empty when nobody
    was to be called). `counts` keeps the figures the report shows.
    """

    __table_args__ = (UniqueConstraint("building_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), index=True)
    date: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20), default="preparing")
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    synthesis_attempts: Mapped[int] = mapped_column(Integer, default=0)
    # {"absences", "held", "households", "deliveries", "clips_made",
    #  "fallbacks": {"so": "en", ...}}
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(String(200))

    building = relationship("Building")
    message = relationship("Message")

"""Buildings and the people the portal reaches, as imported from SIS and HR."""

from datetime import datetime, time

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models_base import UtcDateTime, utcnow


class Building(db.Model):
    """A school or the district office."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # school | district
    timezone: Mapped[str] = mapped_column(String(64), default="America/Los_Angeles")
    end_of_day: Mapped[time] = mapped_column(Time, default=time(15, 30))
    calling_window_start: Mapped[time] = mapped_column(Time, default=time(8, 0))
    calling_window_end: Mapped[time] = mapped_column(Time, default=time(20, 0))
    phone: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    row_hash: Mapped[str | None] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"<Building {self.code}>"


class Student(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    student_number: Mapped[str] = mapped_column(String(40), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), index=True)
    grade: Mapped[str] = mapped_column(String(10))
    home_language: Mapped[str] = mapped_column(String(10), default="en")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    row_hash: Mapped[str | None] = mapped_column(String(64))

    building: Mapped[Building] = relationship()
    guardian_links: Mapped[list["GuardianLink"]] = relationship(
        back_populates="student"
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Guardian(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    guardian_number: Mapped[str] = mapped_column(String(40), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(10), default="en")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    row_hash: Mapped[str | None] = mapped_column(String(64))

    links: Mapped[list["GuardianLink"]] = relationship(back_populates="guardian")
    contact_points: Mapped[list["ContactPoint"]] = relationship(
        back_populates="guardian"
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class GuardianLink(db.Model):
    """A guardian of a student, with the order in which they are called."""

    __table_args__ = (UniqueConstraint("guardian_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unique (guardian_id, student_id) index serves lookups by guardian.
    guardian_id: Mapped[int] = mapped_column(ForeignKey("guardian.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    relationship_to_student: Mapped[str] = mapped_column(String(40), default="")
    priority: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    guardian: Mapped[Guardian] = relationship(back_populates="links")
    student: Mapped[Student] = relationship(back_populates="guardian_links")


class StaffMember(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    employee_number: Mapped[str] = mapped_column(String(40), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), index=True)
    job_title: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    language: Mapped[str] = mapped_column(String(10), default="en")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    row_hash: Mapped[str | None] = mapped_column(String(64))

    building: Mapped[Building] = relationship()
    contact_points: Mapped[list["ContactPoint"]] = relationship(
        back_populates="staff_member"
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class ContactPoint(db.Model):
    """One phone number or e-mail address of a guardian or staff member.

    `address` is the normalised form (E.164 or lower-cased e-mail) and is
    empty when the raw value is inaccurate; `problem` then says why.
    """

    # Each point has one owner, so each owner index is partial: it holds
    # only the rows of its kind of owner (half the index upkeep on import).
    __table_args__ = (
        Index(
            "ix_contact_point_guardian_id",
            "guardian_id",
            postgresql_where=text("guardian_id IS NOT NULL"),
            sqlite_where=text("guardian_id IS NOT NULL"),
        ),
        Index(
            "ix_contact_point_staff_member_id",
            "staff_member_id",
            postgresql_where=text("staff_member_id IS NOT NULL"),
            sqlite_where=text("staff_member_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    guardian_id: Mapped[int | None] = mapped_column(ForeignKey("guardian.id"))
    staff_member_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id"))
    # home_phone | mobile_phone | work_phone | phone | email
    kind: Mapped[str] = mapped_column(String(20))
    raw: Mapped[str] = mapped_column(String(254))
    address: Mapped[str | None] = mapped_column(String(254), index=True)
    problem: Mapped[str | None] = mapped_column(String(200))
    priority: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    guardian: Mapped[Guardian | None] = relationship(back_populates="contact_points")
    staff_member: Mapped[StaffMember | None] = relationship(
        back_populates="contact_points"
    )

    @property
    def is_phone(self) -> bool:
        return self.kind != "email"

    @property
    def owner_name(self) -> str:
        owner = self.guardian or self.staff_member
        return owner.full_name if owner else ""


class ImportRun(db.Model):
    """One run of the directory or absence import, kept with its counts."""

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(20), default="directory")
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(120), default="")
    files: Mapped[list] = mapped_column(JSON, default=list)
    # running | imported | rejected | dry_run | aborted
    status: Mapped[str] = mapped_column(String(20), default="running")
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    errors: Mapped[list] = mapped_column(JSON, default=list)
    warnings: Mapped[list] = mapped_column(JSON, default=list)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)

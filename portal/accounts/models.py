"""Portal users, the roles they hold, their sessions and the audit trail."""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.extensions import db
from portal.models_base import UtcDateTime, utcnow
from portal.policy import DISTRICT_ROLES, Role


class PortalUser(db.Model):
    """A person who signs in, keyed on the OpenID issuer and subject."""

    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(254))
    display_name: Mapped[str] = mapped_column(String(200))
    mobile_phone: Mapped[str | None] = mapped_column(String(32))
    staff_member_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    roles: Mapped[list["RoleAssignment"]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # Flask-Login protocol; the session id, not the user id, goes in the cookie.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return str(self.id)

    def current_roles(self, on: date | None = None) -> list["RoleAssignment"]:
        """Role assignments in force on a day (today by default)."""
        on = on or clock.today()
        return [r for r in self.roles if r.in_force(on)]


class RoleAssignment(db.Model):
    """A role held for the district (no building) or for one building.

    Designees carry an end date; the role lapses by itself after it.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("portal_user.id"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"))
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    user: Mapped[PortalUser] = relationship(back_populates="roles")
    building = relationship("Building")

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def is_district(self) -> bool:
        return Role(self.role) in DISTRICT_ROLES

    def in_force(self, on: date) -> bool:
        if self.starts_on and on < self.starts_on:
            return False
        return not (self.ends_on and on > self.ends_on)


class UserSession(db.Model):
    """A signed-in browser. Ending the row ends the session on the server."""

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("portal_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_reason: Mapped[str | None] = mapped_column(String(40))
    remote_addr: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[PortalUser] = relationship()


class AuditEvent(db.Model):
    """Who did what, when, where. Rows are only ever added.

    Each row carries the hash of the row before it, so an edited or deleted
    row breaks the chain (`flask --app wsgi audit verify`).
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(60), index=True)
    building_id: Mapped[int | None] = mapped_column(Integer)
    # Indexed: a message's history page reads its rows by target.
    target: Mapped[str | None] = mapped_column(String(120), index=True)
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

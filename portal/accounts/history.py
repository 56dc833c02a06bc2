"""Every change to anyone's access, kept for good and shown on their page.

All grants, endings and deactivations go through these functions, so each
one leaves an AccessChange row and an audit row in the same transaction.
"""

import logging
from datetime import date, datetime, timedelta

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.accounts import audit, sessions
from portal.accounts.models import PortalUser, RoleAssignment
from portal.extensions import db
from portal.models_base import UtcDateTime, utcnow
from portal.policy import DISTRICT_ROLES, Role

logger = logging.getLogger(__name__)

ACCOUNT_CREATED = "account_created"
ACCOUNT_DEACTIVATED = "account_deactivated"
ACCOUNT_REACTIVATED = "account_reactivated"
ROLE_GRANTED = "role_granted"
ROLE_ENDED = "role_ended"

CHANGE_LABELS = {
    ACCOUNT_CREATED: "Account created",
    ACCOUNT_DEACTIVATED: "Account deactivated",
    ACCOUNT_REACTIVATED: "Account reactivated",
    ROLE_GRANTED: "Role granted",
    ROLE_ENDED: "Role ended",
}


class AccessChange(db.Model):
    """One change to a portal user's access: who changed what, and why."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("portal_user.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    change: Mapped[str] = mapped_column(String(30))
    role: Mapped[str | None] = mapped_column(String(40))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"))
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    account_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("account_request.id")
    )
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("portal_user.id"))

    user: Mapped[PortalUser] = relationship(foreign_keys=[user_id])
    changed_by: Mapped[PortalUser | None] = relationship(foreign_keys=[changed_by_id])
    building = relationship("Building")

    @property
    def label(self) -> str:
        return CHANGE_LABELS.get(self.change, self.change)


def _keep(user, change, by, request_id, *, assignment=None) -> AccessChange:
    """Add the history row and its audit row (the caller commits)."""
    row = AccessChange(
        user_id=user.id,
        at=utcnow(),
        change=change,
        account_request_id=request_id,
        changed_by_id=by.id if by else None,
    )
    if assignment is not None:
        row.role = assignment.role
        row.building_id = assignment.building_id
        row.starts_on = assignment.starts_on
        row.ends_on = assignment.ends_on
    db.session.add(row)
    audit.record(
        f"access.{change}",
        target=f"user:{user.id}",
        building_id=row.building_id,
        role=row.role,
        starts_on=row.starts_on.isoformat() if row.starts_on else None,
        ends_on=row.ends_on.isoformat() if row.ends_on else None,
        account_request=request_id,
    )
    logger.info("access_change user_id=%s change=%s", user.id, change)
    return row


def create_account(fields: dict, by, request_id=None) -> PortalUser:
    """A new, active portal user (no roles yet)."""
    user = PortalUser(active=True, **fields)
    db.session.add(user)
    db.session.flush()
    _keep(user, ACCOUNT_CREATED, by, request_id)
    return user


def grant(
    user, role: Role, building_id, by, request_id=None, *, starts_on=None, ends_on=None
) -> RoleAssignment:
    """Give a role (district-wide or for one building), from/until dates."""
    assignment = RoleAssignment(
        role=str(role),
        building_id=None if role in DISTRICT_ROLES else building_id,
        starts_on=starts_on,
        ends_on=ends_on,
        granted_at=utcnow(),
    )
    user.roles.append(assignment)
    db.session.flush()
    _keep(user, ROLE_GRANTED, by, request_id, assignment=assignment)
    if not user.active:
        reactivate(user, by, request_id)
    return assignment


def end(assignment: RoleAssignment, by, request_id=None) -> None:
    """End a role yesterday, so it is no longer in force today."""
    yesterday = clock.today() - timedelta(days=1)
    assignment.ends_on = yesterday
    _keep(assignment.user, ROLE_ENDED, by, request_id, assignment=assignment)


def deactivate(user, by, request_id=None) -> None:
    """Switch the account off and end every session it has."""
    user.active = False
    sessions.end_all_for(user.id, "account_removed")
    _keep(user, ACCOUNT_DEACTIVATED, by, request_id)


def reactivate(user, by, request_id=None) -> None:
    """Switch a deactivated account back on."""
    user.active = True
    _keep(user, ACCOUNT_REACTIVATED, by, request_id)


def live_roles(user) -> list[RoleAssignment]:
    """Roles in force today or starting later."""
    today = clock.today()
    return [r for r in user.roles if not (r.ends_on and r.ends_on < today)]


def for_user(user_id: int) -> list[AccessChange]:
    """The person's access history, newest first."""
    return db.session.scalars(
        db.select(AccessChange)
        .where(AccessChange.user_id == user_id)
        .order_by(AccessChange.id.desc())
    ).all()

"""The IT Services Account Request Form: submit, then fulfil or decline.

A district leader or a principal asks; the IT administrator fulfils or
declines with a comment. Fulfilling is the only way roles change in the
portal, and every change goes through `portal.accounts.history`.
"""

import logging
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.accounts import access, audit
from portal.accounts.models import PortalUser
from portal.directory.models import StaffMember
from portal.extensions import db
from portal.models_base import UtcDateTime, utcnow
from portal.policy import BUILDING_ROLES, DISTRICT_ROLES, Role

logger = logging.getLogger(__name__)

KINDS = {"add": "Add", "change": "Change", "remove": "Remove"}
DESIGNEE_ROLES = frozenset({Role.PRINCIPAL_DESIGNEE, Role.SUPERINTENDENT_DESIGNEE})
PENDING, FULFILLED, DECLINED = "pending", "fulfilled", "declined"


class AccountRequest(db.Model):
    """One filled-in account request form and what IT decided."""

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    staff_member_id: Mapped[int] = mapped_column(ForeignKey("staff_member.id"))
    role: Mapped[str | None] = mapped_column(String(40))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"))
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("portal_user.id"))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(String(12), default=PENDING, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("portal_user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    comment: Mapped[str | None] = mapped_column(Text)
    portal_user_id: Mapped[int | None] = mapped_column(ForeignKey("portal_user.id"))

    staff_member: Mapped[StaffMember] = relationship()
    building = relationship("Building")
    requested_by: Mapped[PortalUser] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[PortalUser | None] = relationship(foreign_keys=[decided_by_id])
    portal_user: Mapped[PortalUser | None] = relationship(foreign_keys=[portal_user_id])

    @property
    def is_designee(self) -> bool:
        return self.role is not None and Role(self.role) in DESIGNEE_ROLES


class RequestError(ValueError):
    """A request or decision that the procedure does not allow."""


def allowed_roles(requester) -> list[Role]:
    """Roles this requester may ask for (principals: building roles only)."""
    scope = access.building_scope(requester, "accounts.request")
    roles = [r for r in Role if scope is None or r in BUILDING_ROLES]
    if Role.SUPERINTENDENT not in access.user_role_set(requester):
        roles = [r for r in roles if r is not Role.SUPERINTENDENT_DESIGNEE]
    return roles


def problems(requester, kind, staff, role, building_id, starts_on, ends_on):
    """What is wrong with a request, as {field: message}; empty when fine."""
    found = {}
    scope = access.building_scope(requester, "accounts.request")
    if kind not in KINDS:
        found["kind"] = "Choose add, change or remove."
    if staff is None:
        found["staff_member_id"] = "Choose the person from the staff directory."
    if role is None and kind != "remove":
        found["role"] = "Choose a role."
    if role is not None and role not in allowed_roles(requester):
        found["role"] = "You may not request this role."
    if role in DISTRICT_ROLES and building_id is not None:
        found["building_id"] = "A district role has no building."
    if role in BUILDING_ROLES and building_id is None:
        found["building_id"] = "Choose the building for this role."
    if scope is not None and building_id not in scope:
        found["building_id"] = "You may request access only for your building."
    if role in DESIGNEE_ROLES:
        found.update(_designee_problems(starts_on, ends_on))
    if kind in ("change", "remove") and staff and account_for(staff) is None:
        found["staff_member_id"] = "This person has no portal account yet."
    return found


def _designee_problems(starts_on, ends_on) -> dict:
    if ends_on is None:
        return {"ends_on": "A designee needs an end date."}
    if ends_on < (starts_on or clock.today()):
        return {"ends_on": "The end date is before the start."}
    return {}


def submit(
    requester, *, kind, staff, role, building_id, starts_on, ends_on, reason
) -> AccountRequest:
    """Record a request in the IT queue (the caller commits)."""
    designee = role in DESIGNEE_ROLES
    request_row = AccountRequest(
        kind=kind,
        staff_member_id=staff.id,
        role=str(role) if role else None,
        building_id=building_id,
        starts_on=(starts_on or clock.today()) if designee else None,
        ends_on=ends_on if designee else None,
        reason=reason,
        requested_by_id=requester.id,
        requested_at=utcnow(),
        status=PENDING,
    )
    db.session.add(request_row)
    db.session.flush()
    audit.record(
        "accounts.request_submitted",
        target=f"account_request:{request_row.id}",
        building_id=building_id,
        kind=kind,
        role=request_row.role,
        staff_member=staff.id,
    )
    return request_row


def account_for(staff: StaffMember) -> PortalUser | None:
    """The portal account of a staff member: linked, or by e-mail."""
    user = db.session.scalar(
        select(PortalUser).where(PortalUser.staff_member_id == staff.id)
    )
    if user is None and staff.email:
        user = db.session.scalar(
            select(PortalUser).where(
                db.func.lower(PortalUser.email) == staff.email.lower()
            )
        )
    return user


def default_subject(staff: StaffMember) -> str:
    """The IdP subject we expect for a staff member: their e-mail address."""
    return (staff.email or "").strip().lower()

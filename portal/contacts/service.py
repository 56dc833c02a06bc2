"""Opening and closing contact problems: from imports and failed deliveries.

There is at most one unresolved problem per contact point. The import
closes problems by itself (verified_by_import, person_left), so the log
can tell a verified fix from a ticked box.
"""

import logging
from datetime import datetime

from sqlalchemy import and_, exists, func, or_, select, update

from portal.contacts.models import ContactProblem
from portal.directory.checks import check_email, check_phone
from portal.directory.models import (
    ContactPoint,
    Guardian,
    GuardianLink,
    StaffMember,
    Student,
)
from portal.extensions import db
from portal.models_base import utcnow

logger = logging.getLogger(__name__)

OPEN_STATUSES = ("open", "assigned")
CHUNK = 1000


def _unresolved(contact_point_id):
    return exists().where(
        ContactProblem.contact_point_id == contact_point_id,
        ContactProblem.status.in_(OPEN_STATUSES),
    )


def _building_of_point():
    """SQL: the building a contact point belongs to (staff's, or a child's)."""
    child_building = (
        select(func.min(Student.building_id))
        .join(GuardianLink, GuardianLink.student_id == Student.id)
        .where(
            GuardianLink.guardian_id == ContactPoint.guardian_id,
            GuardianLink.active.is_(True),
            Student.active.is_(True),
        )
        .scalar_subquery()
    )
    staff_building = (
        select(StaffMember.building_id)
        .where(StaffMember.id == ContactPoint.staff_member_id)
        .scalar_subquery()
    )
    return func.coalesce(staff_building, child_building)


def open_from_import(now: datetime) -> int:
    """Open a problem for each inaccurate contact point that has none open.

    First the few candidates (inaccurate, active, nothing unresolved), then
    the buildings of their active owners, batch by batch: planned as one
    statement with a building subquery per contact point, PostgreSQL
    misjudges freshly imported tables and spends longer planning than
    running it.
    """
    candidates = db.session.execute(
        select(
            ContactPoint.id,
            ContactPoint.problem,
            ContactPoint.guardian_id,
            ContactPoint.staff_member_id,
        ).where(
            ContactPoint.active.is_(True),
            ContactPoint.problem.is_not(None),
            ~_unresolved(ContactPoint.id),
        )
    ).all()
    guardians = _guardian_buildings({c.guardian_id for c in candidates})
    staff = _staff_buildings({c.staff_member_id for c in candidates})
    new = []
    for cp_id, reason, guardian_id, staff_member_id in candidates:
        building_id = staff.get(staff_member_id) or guardians.get(guardian_id)
        if building_id is not None:
            new.append(
                {
                    "contact_point_id": cp_id,
                    "building_id": building_id,
                    "source": "import",
                    "reason": reason,
                    "opened_at": now,
                    "status": "open",
                }
            )
    for start in range(0, len(new), CHUNK):
        db.session.execute(
            ContactProblem.__table__.insert(), new[start : start + CHUNK]
        )
    return len(new)


def _guardian_buildings(ids: set[int | None]) -> dict[int, int]:
    """Active guardian id -> the lowest building of their active children."""
    found = {}
    ids = sorted(i for i in ids if i is not None)
    for start in range(0, len(ids), CHUNK):
        rows = db.session.execute(
            select(GuardianLink.guardian_id, func.min(Student.building_id))
            .join(Student, Student.id == GuardianLink.student_id)
            .join(Guardian, Guardian.id == GuardianLink.guardian_id)
            .where(
                GuardianLink.guardian_id.in_(ids[start : start + CHUNK]),
                GuardianLink.active.is_(True),
                Student.active.is_(True),
                Guardian.active.is_(True),
            )
            .group_by(GuardianLink.guardian_id)
        )
        found.update(tuple(row) for row in rows)
    return found


def _staff_buildings(ids: set[int | None]) -> dict[int, int]:
    """Active staff member id -> their building."""
    found = {}
    ids = sorted(i for i in ids if i is not None)
    for start in range(0, len(ids), CHUNK):
        rows = db.session.execute(
            select(StaffMember.id, StaffMember.building_id).where(
                StaffMember.id.in_(ids[start : start + CHUNK]),
                StaffMember.active.is_(True),
            )
        )
        found.update(tuple(row) for row in rows)
    return found


def close_verified(contact_point_ids: set[int], now: datetime) -> int:
    """Close open problems of contact points the import just changed."""
    ids = sorted(contact_point_ids)
    closed = 0
    for start in range(0, len(ids), CHUNK):
        batch = ids[start : start + CHUNK]
        still_bad = select(ContactPoint.id).where(
            ContactPoint.id.in_(batch),
            ContactPoint.active.is_(True),
            ContactPoint.problem.is_not(None),
        )
        result = db.session.execute(
            update(ContactProblem)
            .where(
                ContactProblem.contact_point_id.in_(batch),
                ContactProblem.status.in_(OPEN_STATUSES),
                ContactProblem.contact_point_id.not_in(still_bad),
            )
            .values(status="resolved", resolution="verified_by_import", resolved_at=now)
            .execution_options(synchronize_session=False)
        )
        closed += result.rowcount
    return closed


def close_person_left(now: datetime) -> int:
    """Close open problems of guardians and staff who are no longer active."""
    gone = select(ContactPoint.id).where(
        or_(
            and_(
                ContactPoint.guardian_id.is_not(None),
                ContactPoint.guardian_id.in_(
                    select(Guardian.id).where(Guardian.active.is_(False))
                ),
            ),
            and_(
                ContactPoint.staff_member_id.is_not(None),
                ContactPoint.staff_member_id.in_(
                    select(StaffMember.id).where(StaffMember.active.is_(False))
                ),
            ),
        )
    )
    result = db.session.execute(
        update(ContactProblem)
        .where(
            ContactProblem.status.in_(OPEN_STATUSES),
            ContactProblem.contact_point_id.in_(gone),
        )
        .values(status="resolved", resolution="person_left", resolved_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def _normalise(address: str) -> str:
    if "@" in address:
        return check_email(address)[0] or address.strip().lower()
    return check_phone(address)[0] or address.strip()


def open_problem_from_delivery(
    contact_point_id: int | None, address: str, reason: str
) -> ContactProblem | None:
    """Open (or return the open) problem for a number a delivery found bad.

    Without an id, every active contact point holding the normalised address
    gets one. Idempotent: one unresolved problem per contact point. Returns
    the first problem, or None if no contact point matched. The caller commits.
    """
    if contact_point_id:
        points = [db.session.get(ContactPoint, contact_point_id)]
    else:
        points = db.session.scalars(
            select(ContactPoint)
            .where(ContactPoint.address == _normalise(address))
            .where(ContactPoint.active.is_(True))
            .order_by(ContactPoint.id)
        ).all()
    problems = [_open_for_point(p, reason) for p in points if p is not None]
    problems = [p for p in problems if p is not None]
    if not problems:
        logger.info("delivery_problem_no_contact_point reason=%s", reason)
    return problems[0] if problems else None


def _open_for_point(point: ContactPoint, reason: str) -> ContactProblem | None:
    found = db.session.scalars(
        select(ContactProblem).where(
            ContactProblem.contact_point_id == point.id,
            ContactProblem.status.in_(OPEN_STATUSES),
        )
    ).first()
    if found is not None:
        return found
    building_id = db.session.scalar(
        select(_building_of_point()).where(ContactPoint.id == point.id)
    )
    if building_id is None:
        return None
    problem = ContactProblem(
        contact_point_id=point.id,
        building_id=building_id,
        source="delivery",
        reason=reason[:200],
        opened_at=utcnow(),
        status="open",
    )
    db.session.add(problem)
    db.session.flush()
    logger.info("contact_problem_opened id=%s source=delivery", problem.id)
    return problem

"""Small factories for tests: buildings, people and users with roles."""

import itertools
from datetime import time

from portal.accounts.models import PortalUser, RoleAssignment
from portal.directory.models import (
    Building,
    ContactPoint,
    Guardian,
    GuardianLink,
    StaffMember,
    Student,
)
from portal.extensions import db
from portal.policy import DISTRICT_ROLES, Role

_seq = itertools.count(1)


def building(code: str | None = None, **fields) -> Building:
    n = next(_seq)
    row = Building(
        code=code or f"B{n:03d}",
        name=fields.pop("name", f"School {n}"),
        kind=fields.pop("kind", "school"),
        timezone=fields.pop("timezone", "America/Los_Angeles"),
        end_of_day=fields.pop("end_of_day", time(15, 30)),
        phone=fields.pop("phone", "+12535550100"),
        **fields,
    )
    db.session.add(row)
    db.session.commit()
    return row


def user(*roles: Role | str, building: Building | None = None, **fields) -> PortalUser:
    """A portal user holding `roles` (building roles for `building`)."""
    n = next(_seq)
    row = PortalUser(
        issuer=fields.pop("issuer", "http://127.0.0.1:1"),
        subject=fields.pop("subject", f"user{n}"),
        email=fields.pop("email", f"user{n}@district.example"),
        display_name=fields.pop("display_name", f"User {n}"),
        **fields,
    )
    for role in roles:
        role = Role(role)
        row.roles.append(
            RoleAssignment(
                role=role,
                building_id=None if role in DISTRICT_ROLES else building.id,
            )
        )
    db.session.add(row)
    db.session.commit()
    return row


def student(building: Building, **fields) -> Student:
    n = next(_seq)
    row = Student(
        student_number=fields.pop("student_number", f"S{n:06d}"),
        first_name=fields.pop("first_name", f"Kid{n}"),
        last_name=fields.pop("last_name", "Example"),
        building_id=building.id,
        grade=fields.pop("grade", "5"),
        home_language=fields.pop("home_language", "en"),
        **fields,
    )
    db.session.add(row)
    db.session.commit()
    return row


def guardian(*students: Student, phone: str | None = "+12535550123", **fields):
    """A guardian of `students`, with one mobile phone (if given)."""
    n = next(_seq)
    row = Guardian(
        guardian_number=fields.pop("guardian_number", f"G{n:06d}"),
        first_name=fields.pop("first_name", f"Parent{n}"),
        last_name=fields.pop("last_name", "Example"),
        language=fields.pop("language", "en"),
        **fields,
    )
    db.session.add(row)
    db.session.flush()
    for s in students:
        db.session.add(GuardianLink(guardian_id=row.id, student_id=s.id, priority=1))
    if phone:
        db.session.add(
            ContactPoint(
                guardian_id=row.id, kind="mobile_phone", raw=phone, address=phone
            )
        )
    db.session.commit()
    return row


def staff(building: Building, **fields) -> StaffMember:
    n = next(_seq)
    row = StaffMember(
        employee_number=fields.pop("employee_number", f"E{n:06d}"),
        first_name=fields.pop("first_name", f"Staff{n}"),
        last_name=fields.pop("last_name", "Example"),
        building_id=building.id,
        job_title=fields.pop("job_title", "Teacher"),
        email=fields.pop("email", f"staff{n}@district.example"),
        **fields,
    )
    db.session.add(row)
    db.session.commit()
    return row

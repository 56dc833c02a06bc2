"""Who is called about a building's absences: one household per contact point.

Each absent child's first-call guardians (lowest link priority) are reached
on their first phone, their e-mail addresses, and their mobile by text when
the district allows it. Siblings whose guardians share a phone become one
household: one call that names every absent child.
"""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from portal.attendance.models import Absence
from portal.directory.models import ContactPoint, Guardian, GuardianLink, Student
from portal.extensions import db


@dataclass
class Household:
    """The people reached at one address on one channel, and their children."""

    channel: str
    address: str
    language: str
    students: list[int] = field(default_factory=list)
    guardians: list[int] = field(default_factory=list)


def absences_for(building_id: int, day: date, *, held: bool | None = None):
    """The building's absences on `day` with their students, by name."""
    query = (
        select(Absence)
        .join(Student, Student.id == Absence.student_id)
        .options(contains_eager(Absence.student))
        .where(Absence.building_id == building_id, Absence.date == day)
        .order_by(Student.last_name, Student.first_name, Student.id)
    )
    if held is not None:
        query = query.where(Absence.held.is_(held))
    return list(db.session.scalars(query))


def plan(building_id: int, day: date, *, sms: bool = False) -> list[Household]:
    """The households to reach for the building's unheld absences on `day`."""
    absences = absences_for(building_id, day, held=False)
    students = {a.student_id: a.student for a in absences if a.student.active}
    guardians = _first_call_guardians(list(students))
    points = _contact_points({g.id for gs in guardians.values() for g in gs})

    households: dict[tuple[str, str], Household] = {}
    for student_id, student in students.items():
        for guardian in guardians.get(student_id, []):
            language = guardian.language or student.home_language or "en"
            for channel, address in _reach(points.get(guardian.id, []), sms):
                home = households.setdefault(
                    (channel, address), Household(channel, address, language)
                )
                if student_id not in home.students:
                    home.students.append(student_id)
                if guardian.id not in home.guardians:
                    home.guardians.append(guardian.id)
    return list(households.values())


def _first_call_guardians(student_ids: list[int]) -> dict[int, list[Guardian]]:
    """Per student, the active guardians with the lowest call priority."""
    rows = db.session.execute(
        select(GuardianLink.student_id, GuardianLink.priority, Guardian)
        .join(Guardian, Guardian.id == GuardianLink.guardian_id)
        .where(
            GuardianLink.student_id.in_(student_ids),
            GuardianLink.active.is_(True),
            Guardian.active.is_(True),
        )
        .order_by(GuardianLink.priority, Guardian.id)
    )
    best: dict[int, int] = {}
    found: dict[int, list[Guardian]] = {}
    for student_id, priority, guardian in rows:
        if best.setdefault(student_id, priority) == priority:
            found.setdefault(student_id, []).append(guardian)
    return found


def _contact_points(guardian_ids: set[int]) -> dict[int, list[ContactPoint]]:
    found: dict[int, list[ContactPoint]] = {}
    if not guardian_ids:
        return found
    query = (
        select(ContactPoint)
        .where(
            ContactPoint.guardian_id.in_(guardian_ids),
            ContactPoint.active.is_(True),
            ContactPoint.address.is_not(None),
            ContactPoint.address != "",
        )
        .order_by(ContactPoint.priority, ContactPoint.id)
    )
    for point in db.session.scalars(query):
        found.setdefault(point.guardian_id, []).append(point)
    return found


def _reach(points: list[ContactPoint], sms: bool) -> list[tuple[str, str]]:
    """(channel, address) pairs for one guardian: first phone, e-mails, text."""
    reach = []
    phones = [p for p in points if p.is_phone]
    if phones:
        reach.append(("phone", phones[0].address))
    reach.extend(("email", p.address) for p in points if not p.is_phone)
    if sms:
        reach.extend(("sms", p.address) for p in phones if p.kind == "mobile_phone")
    return reach

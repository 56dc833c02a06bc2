"""The daily contact log of a building: new today, still open, resolved lately."""

import csv
import io
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import joinedload

from portal import clock
from portal.contacts.models import ContactProblem
from portal.directory.models import Building, ContactPoint, Guardian, GuardianLink
from portal.extensions import db

RESOLVED_WINDOW = timedelta(days=14)
KIND_LABELS = {
    "home_phone": "home phone",
    "mobile_phone": "mobile phone",
    "work_phone": "work phone",
    "phone": "phone",
    "email": "e-mail",
}
RESOLUTION_LABELS = {
    "corrected_in_sis": "corrected in the student system",
    "reached_family": "reached the family",
    "sent_to_hr": "sent to HR",
    "verified_by_import": "verified by import",
    "person_left": "person left (import)",
}
AUTOMATIC = {"verified_by_import", "person_left"}
# A cell starting with one of these would run as a formula in a spreadsheet.
FORMULA_CHARS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class LogEntry:
    """One contact problem as the office reads it."""

    problem: ContactProblem
    person: str
    relation: str
    kind: str
    value: str
    age_days: int

    @property
    def resolution_label(self) -> str:
        return RESOLUTION_LABELS.get(self.problem.resolution or "", "")

    @property
    def automatic(self) -> bool:
        return self.problem.resolution in AUTOMATIC


def start_of_today() -> datetime:
    """Local midnight in the district, as an aware datetime."""
    zone = clock.district_timezone()
    return datetime.combine(clock.today(), time(0), tzinfo=zone)


def _query():
    return select(ContactProblem).options(
        joinedload(ContactProblem.assigned_to),
        joinedload(ContactProblem.contact_point).joinedload(ContactPoint.staff_member),
        joinedload(ContactProblem.contact_point)
        .joinedload(ContactPoint.guardian)
        .selectinload(Guardian.links)
        .joinedload(GuardianLink.student),
    )


def entry(problem: ContactProblem, now: datetime | None = None) -> LogEntry:
    """Describe a problem: whose contact point, which kind, what value."""
    now = now or clock.now()
    point = problem.contact_point
    if point.staff_member is not None:
        person = point.staff_member.full_name
        relation = f"staff: {point.staff_member.job_title or 'staff member'}"
    else:
        guardian = point.guardian
        person = guardian.full_name if guardian else ""
        children = [
            link.student.full_name
            for link in (guardian.links if guardian else [])
            if link.active and link.student.building_id == problem.building_id
        ]
        relation = "guardian of " + ", ".join(children) if children else "guardian"
    age = (now - problem.opened_at).days
    return LogEntry(
        problem,
        person,
        relation,
        KIND_LABELS.get(point.kind, point.kind),
        point.raw,
        age,
    )


def _sections(building_id: int, now: datetime) -> dict:
    """Each list of the log: its condition and its order."""
    mine = ContactProblem.building_id == building_id
    unresolved = and_(mine, ContactProblem.status != "resolved")
    today = start_of_today()
    return {
        "new": (
            and_(unresolved, ContactProblem.opened_at >= today),
            ContactProblem.opened_at,
        ),
        "open": (
            and_(unresolved, ContactProblem.opened_at < today),
            ContactProblem.opened_at,
        ),
        "resolved": (
            and_(
                mine,
                ContactProblem.status == "resolved",
                ContactProblem.resolved_at >= now - RESOLVED_WINDOW,
            ),
            ContactProblem.resolved_at.desc(),
        ),
    }


def building_log(
    building_id: int, limit: int | None = None
) -> dict[str, list[LogEntry]]:
    """The three lists of one building's log, each cut at `limit` rows if given."""
    now = clock.now()
    log = {}
    for section, (condition, order) in _sections(building_id, now).items():
        query = _query().where(condition).order_by(order, ContactProblem.id)
        if limit is not None:
            query = query.limit(limit)
        log[section] = [entry(p, now) for p in db.session.scalars(query).unique()]
    return log


def section_sizes(building_id: int) -> dict[str, int]:
    """How many problems each list of the log holds, in one query."""
    sections = _sections(building_id, clock.now())
    counts = db.session.execute(
        select(*(func.count().filter(c) for c, _order in sections.values())).where(
            ContactProblem.building_id == building_id
        )
    ).one()
    return dict(zip(sections, counts, strict=True))


def assigned_to(user_id: int) -> list[LogEntry]:
    """The unresolved problems assigned to one office staff member."""
    problems = db.session.scalars(
        _query()
        .where(
            ContactProblem.assigned_to_id == user_id,
            ContactProblem.status != "resolved",
        )
        .order_by(ContactProblem.opened_at)
    ).unique()
    return [entry(p) for p in problems]


def open_counts(building_ids: set[int] | None) -> list[tuple[Building, int]]:
    """Unresolved problems per building (all buildings when None)."""
    query = (
        select(Building, func.count(ContactProblem.id))
        .outerjoin(
            ContactProblem,
            (ContactProblem.building_id == Building.id)
            & (ContactProblem.status != "resolved"),
        )
        .where(Building.active.is_(True))
        .group_by(Building.id)
        .order_by(Building.code)
    )
    if building_ids is not None:
        query = query.where(Building.id.in_(building_ids))
    return [(building, count) for building, count in db.session.execute(query)]


def safe_cell(value) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_CHARS):
        return "'" + text
    return text


def log_csv(building: Building, log: dict[str, list[LogEntry]]) -> str:
    """The building's log as CSV, formula-safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "building",
            "section",
            "opened",
            "age_days",
            "person",
            "relation",
            "kind",
            "value",
            "reason",
            "status",
            "assigned_to",
            "resolution",
        ]
    )
    for section, entries in log.items():
        for item in entries:
            problem = item.problem
            assignee = problem.assigned_to.display_name if problem.assigned_to else ""
            row = [building.code, section, f"{problem.opened_at:%Y-%m-%d}"]
            row += [item.age_days, item.person, item.relation, item.kind, item.value]
            row += [problem.reason, problem.status, assignee, item.resolution_label]
            writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()

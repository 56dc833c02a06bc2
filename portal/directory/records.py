"""The four export files, and turning their rows into checked records.

Problems found here are structural too (an empty key, a duplicate, an
unknown building or student, a bad time): they reject the import. An
unknown language is only a warning: the person is imported as English.
"""

from dataclasses import dataclass, field
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from portal.directory.checks import language_code
from portal.directory.reading import FileSpec, Problem

_NAME = 100
BUILDINGS = FileSpec(
    "buildings.csv",
    (
        "building_code",
        "name",
        "kind",
        "timezone",
        "end_of_day",
        "calling_window",
        "phone",
    ),
    ("building_code", "name", "kind"),
    {"building_code": 20, "name": 200, "timezone": 64, "phone": 40},
    phone_columns=("phone",),
)
STUDENTS = FileSpec(
    "students.csv",
    (
        "student_id",
        "first_name",
        "last_name",
        "building_code",
        "grade",
        "home_language",
    ),
    ("student_id", "first_name", "last_name", "building_code", "grade"),
    {"student_id": 40, "first_name": _NAME, "last_name": _NAME, "grade": 10},
)
GUARDIAN_PHONES = ("home_phone", "mobile_phone", "work_phone")
GUARDIANS = FileSpec(
    "guardians.csv",
    (
        "guardian_id",
        "student_id",
        "first_name",
        "last_name",
        "relationship",
        "priority",
        "language",
        "email",
        *GUARDIAN_PHONES,
    ),
    ("guardian_id", "student_id", "first_name", "last_name"),
    {"guardian_id": 40, "student_id": 40, "first_name": _NAME, "last_name": _NAME}
    | {"relationship": 40, "email": 254}
    | dict.fromkeys(GUARDIAN_PHONES, 40),
    phone_columns=GUARDIAN_PHONES,
)
STAFF_PHONES = ("phone", "mobile_phone")
STAFF = FileSpec(
    "staff.csv",
    (
        "employee_id",
        "first_name",
        "last_name",
        "building_code",
        "job_title",
        "email",
        *STAFF_PHONES,
        "language",
    ),
    ("employee_id", "first_name", "last_name", "building_code"),
    {"employee_id": 40, "first_name": _NAME, "last_name": _NAME}
    | {"job_title": 120, "email": 254}
    | dict.fromkeys(STAFF_PHONES, 40),
    phone_columns=STAFF_PHONES,
)
SPECS = [BUILDINGS, STUDENTS, STAFF, GUARDIANS]
_REQUIRED_AT = {
    spec.name: [spec.columns.index(c) for c in spec.required] for spec in SPECS
}


@dataclass
class Checked:
    """Records of one file (keyed by their id), with what was wrong."""

    records: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def problem(self, spec: FileSpec, line: int, column: str, reason: str) -> None:
        self.problems.append(Problem(spec.name, line, column, reason))


def _required(out: Checked, spec: FileSpec, line: int, values: tuple) -> bool:
    required = _REQUIRED_AT[spec.name]
    if all(values[i] for i in required):
        return True
    for index in required:
        if not values[index]:
            out.problem(spec, line, spec.columns[index], "is empty")
    return False


def _keyed(out: Checked, spec: FileSpec, line: int, key, lines: dict) -> bool:
    if key in lines:
        reason = f"duplicate {spec.columns[0]} {key!r} (first on line {lines[key]})"
        out.problem(spec, line, spec.columns[0], reason)
        return False
    lines[key] = line
    return True


def _language(out: Checked, spec: FileSpec, line: int, value: str) -> str:
    code = language_code(value)
    if code is None:
        out.warnings.append(
            f"{spec.name}:{line}: unknown language {value!r}, imported as English"
        )
        return "en"
    return code


def _time(value: str) -> time:
    hours, minutes = value.split(":")
    if len(hours) != 2 or len(minutes) != 2:
        raise ValueError(value)
    return time(int(hours), int(minutes))


def check_buildings(rows: list) -> Checked:
    """Building records: code -> (name, kind, timezone, end, start, stop, phone)."""
    out, lines = Checked(), {}
    for line, values in rows:
        code, name, kind, zone, end_of_day, window, phone = values
        if not _required(out, BUILDINGS, line, values):
            continue
        if not _keyed(out, BUILDINGS, line, code, lines):
            continue
        if kind not in ("school", "district"):
            out.problem(BUILDINGS, line, "kind", "must be school or district")
        zone = zone or "America/Los_Angeles"
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            out.problem(BUILDINGS, line, "timezone", f"unknown time zone {zone!r}")
        try:
            end = _time(end_of_day or "15:30")
            start, stop = (_time(t) for t in (window or "08:00-20:00").split("-"))
        except ValueError:
            out.problem(BUILDINGS, line, "end_of_day", "times must be HH:MM")
            continue
        out.records[code] = (name, kind, zone, end, start, stop, phone)
    return out


def check_people(rows: list, spec: FileSpec, buildings: set[str]) -> Checked:
    """Student or staff records keyed on their id, with the building checked."""
    out, lines = Checked(), {}
    lang_at = spec.columns.index("language" if spec is STAFF else "home_language")
    for line, values in rows:
        if not _required(out, spec, line, values):
            continue
        if not _keyed(out, spec, line, values[0], lines):
            continue
        if values[3] not in buildings:
            out.problem(spec, line, "building_code", f"unknown building {values[3]!r}")
            continue
        values = list(values)
        values[lang_at] = _language(out, spec, line, values[lang_at])
        out.records[values[0]] = tuple(values[1:])
    return out


def check_guardians(rows: list, students: set[str]) -> Checked:
    """Guardian records by id: [person values, {student_id: (relation, priority)}]."""
    out, links = Checked(), {}
    for line, values in rows:
        if not _required(out, GUARDIANS, line, values):
            continue
        guardian, student = values[0], values[1]
        if not _keyed(out, GUARDIANS, line, (guardian, student), links):
            continue
        if student not in students:
            out.problem(GUARDIANS, line, "student_id", f"unknown student {student!r}")
            continue
        try:
            priority = int(values[5] or "1")
        except ValueError:
            out.problem(GUARDIANS, line, "priority", "must be a whole number")
            continue
        person = (values[2], values[3], _language(out, GUARDIANS, line, values[6]))
        person += values[7:]
        record = out.records.setdefault(guardian, [person, {}, line])
        if record[0] != person:
            out.warnings.append(
                f"guardians.csv:{line}: guardian {guardian} differs from line "
                f"{record[2]}; the first is kept"
            )
        record[1][student] = (values[4], priority)
    return out

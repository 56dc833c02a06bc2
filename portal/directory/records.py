"""The four export files, and turning their rows into checked records.

Problems found here are structural too (an empty key, a duplicate, an
unknown building or student, a bad time): they reject the import. An
unknown language is only a warning: the person is imported as English.

Each record carries a digest of its rows as exported. A record whose
digest matches the one stored at the last import is unchanged: it was
checked then, so only what depends on other files (its building, its
student) and its warnings are checked again, and it is not written.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from portal.directory.checks import language_code
from portal.directory.reading import FieldChecker, FileSpec, Problem

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


def digest(joined: str) -> str:
    """The stored digest of a record's exported values, joined."""
    return hashlib.blake2b(joined.encode(), digest_size=16).hexdigest()


@dataclass
class Checked:
    """New or changed records of one file (keyed by their id), with what was wrong.

    `records` maps a key to (digest, values); `keys` holds every key of the
    file, unchanged ones too; `unchanged` counts those.
    """

    records: dict = field(default_factory=dict)
    keys: set = field(default_factory=set)
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def problem(self, spec: FileSpec, line: int, column: str, reason: str) -> None:
        self.problems.append(Problem(spec.name, line, column, reason))


class _Languages:
    """Language codes of raw values, with a warning for each unknown one."""

    def __init__(self, out: Checked, spec: FileSpec) -> None:
        self.out = out
        self.spec = spec
        self.known: dict[str, str] = {}

    def code(self, line: int, value: str, warn: bool = True) -> str:
        code = self.known.get(value)
        if code is not None:
            return code
        code = language_code(value)
        if code is None:
            if warn:
                self.out.warnings.append(
                    f"{self.spec.name}:{line}: unknown language {value!r}, "
                    "imported as English"
                )
            return "en"
        self.known[value] = code
        return code


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


def _time(value: str) -> time:
    hours, minutes = value.split(":")
    if len(hours) != 2 or len(minutes) != 2:
        raise ValueError(value)
    return time(int(hours), int(minutes))


def _stripped(out: Checked, checker: FieldChecker, line: int, raw: tuple, joined):
    """The row's values stripped, or None (and its problems) if malformed."""
    values = tuple(map(str.strip, raw))
    problems = checker.check(raw, values, joined, line)
    if problems:
        out.problems += problems
        return None
    if not _required(out, checker.spec, line, values):
        return None
    return values


def check_buildings(rows: Iterable, known: dict) -> Checked:
    """Building records: code -> (digest, (name, kind, zone, end, start, stop, phone))."""
    out, lines = Checked(), {}
    checker = FieldChecker(BUILDINGS)
    for line, raw in rows:
        values = _stripped(out, checker, line, raw, "\x1f".join(raw))
        if values is None:
            continue
        code, name, kind, zone, end_of_day, window, phone = values
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
        out.keys.add(code)
        row_digest = digest("\x1f".join(raw))
        if known.get(code) == row_digest:
            out.unchanged += 1
        else:
            record = (name, kind, zone, end, start, stop, phone)
            out.records[code] = (row_digest, record)
    return out


def check_people(rows: Iterable, spec: FileSpec, buildings: set[str], known: dict):
    """Student or staff records keyed on their id, with the building checked."""
    out, lines = Checked(), {}
    checker = FieldChecker(spec)
    languages = _Languages(out, spec)
    lang_at = spec.columns.index("language" if spec is STAFF else "home_language")
    for line, raw in rows:
        key = raw[0].strip()
        joined = "\x1f".join(raw)
        row_digest = digest(joined)
        values = None
        if key in lines or known.get(key) != row_digest:
            values = _stripped(out, checker, line, raw, joined)
            if values is None or not _keyed(out, spec, line, key, lines):
                continue
        else:
            lines[key] = line
        code = raw[3].strip()
        if code not in buildings:
            out.problem(spec, line, "building_code", f"unknown building {code!r}")
            continue
        language = languages.code(line, raw[lang_at].strip())
        if values is None:
            out.unchanged += 1
        else:
            values = (*values[1:lang_at], language, *values[lang_at + 1 :])
            out.records[key] = (row_digest, values)
    out.keys = set(lines)
    return out


def check_guardians(rows: Iterable, students: set[str], known: dict) -> Checked:
    """Guardian records by id: [digest, person values, {student_id:
    (relationship, priority, line)}, first line].

    A guardian's digest covers all their rows, in file order. New guardians
    are checked as their rows come; the rows of guardians already stored
    are held until the file is read, then checked only if they changed.
    """
    out = Checked()
    checker = FieldChecker(GUARDIANS)
    languages = _Languages(out, GUARDIANS)
    row_digests: dict[str, bytes] = {}
    held: dict[str, list] = {}
    for line, raw in rows:
        guardian = raw[0].strip()
        joined = "\x1f".join(raw)
        row_digest = hashlib.blake2b(joined.encode(), digest_size=16).digest()
        row_digests[guardian] = row_digests.get(guardian, b"") + row_digest
        if guardian in known:
            held.setdefault(guardian, []).append((line, raw))
        else:
            _check_guardian(out, checker, languages, students, line, raw, joined)

    out.keys = set(row_digests)
    for guardian, group in held.items():
        if _group_digest(row_digests[guardian]) == known[guardian]:
            _recheck_guardian(out, languages, students, group)
            out.unchanged += 1
            continue
        for line, raw in group:
            joined = "\x1f".join(raw)
            _check_guardian(out, checker, languages, students, line, raw, joined)
    for guardian, record in out.records.items():
        record[0] = _group_digest(row_digests[guardian])
    return out


def _group_digest(row_digests: bytes) -> str:
    return hashlib.blake2b(row_digests, digest_size=16).hexdigest()


def _check_guardian(out, checker, languages, students, line, raw, joined) -> None:
    """Check one row of a new or changed guardian and add it to their record."""
    values = _stripped(out, checker, line, raw, joined)
    if values is None:
        return
    guardian, student = values[0], values[1]
    record = out.records.get(guardian)
    if record is not None and student in record[2]:
        first = record[2][student][2]
        reason = f"duplicate guardian_id {guardian!r} and student_id {student!r}"
        out.problem(GUARDIANS, line, "guardian_id", f"{reason} (first on line {first})")
        return
    if student not in students:
        out.problem(GUARDIANS, line, "student_id", f"unknown student {student!r}")
        return
    try:
        priority = int(values[5] or "1")
    except ValueError:
        out.problem(GUARDIANS, line, "priority", "must be a whole number")
        return
    person = _person(languages, line, values)
    if record is None:
        record = [None, person, {}, line]
        out.records[guardian] = record
    elif record[1] != person:
        _differs(out, guardian, line, record[3])
    record[2][student] = (values[4], priority, line)


def _recheck_guardian(out, languages, students, group) -> None:
    """An unchanged guardian: their students must still be there."""
    first_line, first = group[0]
    for line, raw in group:
        student = raw[1].strip()
        if student not in students:
            out.problem(GUARDIANS, line, "student_id", f"unknown student {student!r}")
        if raw is first or _person_raw(raw) == _person_raw(first):
            languages.code(line, raw[6].strip())
            continue
        person = _person(languages, line, tuple(map(str.strip, raw)))
        values = tuple(map(str.strip, first))
        if person != _person(languages, first_line, values, warn=False):
            _differs(out, raw[0].strip(), line, first_line)


def _person(languages: _Languages, line: int, values: tuple, warn=True) -> tuple:
    """A guardian's own details: name, language code, e-mail and phones."""
    language = languages.code(line, values[6], warn)
    return (values[2], values[3], language, *values[7:])


def _person_raw(raw: tuple) -> tuple:
    return (raw[2], raw[3], *raw[6:])


def _differs(out: Checked, guardian: str, line: int, first_line: int) -> None:
    out.warnings.append(
        f"guardians.csv:{line}: guardian {guardian} differs from line "
        f"{first_line}; the first is kept"
    )

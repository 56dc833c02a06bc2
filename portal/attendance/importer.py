"""The daily absences file: checked whole, then stored all at once or not at all.

`absences.csv`: date (YYYY-MM-DD), student_id, building_code, code. Header
required, column order free, names case-insensitive, UTF-8 with or without
BOM, extra columns ignored with a warning. Any problem rejects the file and
is reported as `file:line: column: reason`. Only unexcused codes (a
district setting) become absences; the others are counted and skipped.
"""

import csv
import io
import logging
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, select

from portal import district_settings
from portal.accounts import audit
from portal.attendance.models import Absence, AttendanceRun
from portal.directory.models import Building, ImportRun, Student
from portal.extensions import db
from portal.models_base import utcnow

logger = logging.getLogger(__name__)

COLUMNS = ("date", "student_id", "building_code", "code")


@dataclass
class AbsenceRow:
    line: int
    day: date
    student_id: int
    building_id: int
    code: str


@dataclass
class ImportResult:
    """What an import did, or why it changed nothing."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    import_run_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


def import_absences(
    raw: bytes,
    filename: str,
    *,
    actor: str = "system",
    allowed_buildings: set[int] | None = None,
) -> ImportResult:
    """Check and store an absences file; nothing is stored if any row fails."""
    result = ImportResult()
    rows = _read_rows(raw, filename, result, allowed_buildings)
    run = ImportRun(source="absences", actor=actor, files=[filename])
    db.session.add(run)

    if result.errors:
        run.status = "rejected"
        run.errors = result.errors[:500]
    else:
        result.counts = _store(rows, run)
        run.status = "imported"
    run.counts = result.counts
    run.finished_at = utcnow()
    db.session.flush()
    result.import_run_id = run.id

    audit.record(
        "attendance.import",
        target=f"import_run:{run.id}",
        status=run.status,
        errors=len(result.errors),
        **{k: v for k, v in result.counts.items() if isinstance(v, int)},
    )
    db.session.commit()
    logger.info(
        "absences_import run_id=%s status=%s errors=%d",
        run.id,
        run.status,
        len(result.errors),
    )
    return result


def _read_rows(raw, filename, result, allowed_buildings) -> list[AbsenceRow]:
    """Decode, check the header, then check every row against the directory."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        result.errors.append(f"{filename}:{line}: -: bytes are not UTF-8")
        return []

    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in COLUMNS if c not in header]
    for column in missing:
        result.errors.append(f"{filename}:1: {column}: required column is missing")
    for column in sorted(set(header) - set(COLUMNS) - {""}):
        result.warnings.append(f"{filename}:1: {column}: unknown column ignored")
    if missing:
        return []

    students, buildings = _directory_lookups()
    seen: dict[tuple[int, date], int] = {}
    rows = []
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        row = _check_row(
            filename, line, header, values, students, buildings, result.errors
        )
        if row is None:
            continue
        if allowed_buildings is not None and row.building_id not in allowed_buildings:
            result.errors.append(
                f"{filename}:{line}: building_code: not a building you manage"
            )
            continue
        key = (row.student_id, row.day)
        if key in seen:
            result.errors.append(
                f"{filename}:{line}: student_id: same student and date as line "
                f"{seen[key]}"
            )
            continue
        seen[key] = line
        rows.append(row)
    return rows


def _check_row(filename, line, header, values, students, buildings, errors):
    """One row as an AbsenceRow, or None with its problems added to `errors`."""
    if len(values) != len(header):
        errors.append(
            f"{filename}:{line}: -: has {len(values)} fields, header has "
            f"{len(header)} (truncated or extra row?)"
        )
        return None
    cell = {name: values[i].strip() for i, name in enumerate(header)}
    problems = []

    try:
        day = date.fromisoformat(cell["date"])
    except ValueError:
        problems.append("date: not a date (YYYY-MM-DD)")
        day = None
    building_id = buildings.get(cell["building_code"].upper())
    if building_id is None:
        problems.append("building_code: unknown building")
    student = students.get(cell["student_id"])
    if student is None:
        problems.append("student_id: unknown student")
    elif building_id is not None and student[1] != building_id:
        problems.append("building_code: the student is enrolled in another building")
    if not cell["code"]:
        problems.append("code: empty")

    errors.extend(f"{filename}:{line}: {p}" for p in problems)
    if problems:
        return None
    return AbsenceRow(line, day, student[0], building_id, cell["code"].upper())


def _directory_lookups():
    students = {
        number: (sid, bid)
        for sid, number, bid in db.session.execute(
            select(Student.id, Student.student_number, Student.building_id).where(
                Student.active.is_(True)
            )
        )
    }
    buildings = {
        code.upper(): bid
        for bid, code in db.session.execute(select(Building.id, Building.code))
    }
    return students, buildings


def _store(rows: list[AbsenceRow], run: ImportRun) -> dict:
    """Replace each (building, date)'s absences with the file's, keeping holds.

    A building whose calls already went for that date only gains new
    absences: what was called stays on record.
    """
    db.session.flush()
    unexcused = {c.upper() for c in district_settings.get("unexcused_codes")}
    wanted = [r for r in rows if r.code in unexcused]
    counts = {
        "rows": len(rows),
        "unexcused": len(wanted),
        "excused": len(rows) - len(wanted),
    }

    days = {(r.building_id, r.day) for r in rows}
    already_run = _days_already_run(days)
    existing = _existing_absences(days)
    keep = {(r.student_id, r.day) for r in wanted}

    removed = 0
    for (building_id, day), absences in existing.items():
        if (building_id, day) in already_run:
            continue
        stale = [a.id for a in absences.values() if (a.student_id, day) not in keep]
        if stale:
            db.session.execute(delete(Absence).where(Absence.id.in_(stale)))
            removed += len(stale)

    added = 0
    for row in wanted:
        current = existing.get((row.building_id, row.day), {}).get(row.student_id)
        if current is not None:
            current.code = row.code
            continue
        db.session.add(
            Absence(
                date=row.day,
                student_id=row.student_id,
                building_id=row.building_id,
                code=row.code,
                import_run_id=run.id,
            )
        )
        added += 1
    counts.update(added=added, removed=removed)
    return counts


def _days_already_run(days) -> set:
    if not days:
        return set()
    dates = {d for _, d in days}
    return {
        (b, d)
        for b, d in db.session.execute(
            select(AttendanceRun.building_id, AttendanceRun.date).where(
                AttendanceRun.date.in_(dates)
            )
        )
    }


def _existing_absences(days) -> dict:
    found: dict = {}
    if not days:
        return found
    dates = {d for _, d in days}
    buildings = {b for b, _ in days}
    query = select(Absence).where(
        Absence.date.in_(dates), Absence.building_id.in_(buildings)
    )
    for absence in db.session.scalars(query):
        found.setdefault((absence.building_id, absence.date), {})[
            absence.student_id
        ] = absence
    return found

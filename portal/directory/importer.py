"""The daily directory import: all or nothing, incremental, kept as a run.

`run_import(directory, actor=...)` reads whichever of buildings.csv,
students.csv, staff.csv and guardians.csv the folder holds, checks them
completely before anything is kept, writes only what changed in one
transaction, and records the run. Needs an app context.
"""

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from portal.accounts import audit
from portal.contacts import service as problems
from portal.directory import contact_points, leavers, runs, writing
from portal.directory.models import Building, Guardian, StaffMember, Student
from portal.directory.reading import read_file
from portal.directory.records import (
    BUILDINGS,
    GUARDIAN_PHONES,
    GUARDIANS,
    SPECS,
    STAFF,
    STAFF_PHONES,
    STUDENTS,
    check_buildings,
    check_guardians,
    check_people,
)
from portal.extensions import db
from portal.models_base import utcnow

logger = logging.getLogger(__name__)

DEACTIVATION_LIMIT = 0.05


@dataclass
class ImportResult:
    """How a run ended, with counts per kind and every problem found."""

    run_id: int | None
    status: str  # imported | dry_run | rejected | aborted
    counts: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status in ("imported", "dry_run")


class _Stop(Exception):
    """Ends a run early: nothing is kept."""

    def __init__(self, status: str, problems: list[str]) -> None:
        super().__init__(status)
        self.status = status
        self.problems = problems


def run_import(
    directory: Path,
    *,
    actor: str,
    dry_run: bool = False,
    force: bool = False,
    progress: runs.ProgressCallback | None = None,
) -> ImportResult:
    """Import the directory files in `directory`; see the module docstring."""
    started = time.monotonic()
    directory = Path(directory)
    present = [spec for spec in SPECS if (directory / spec.name).is_file()]
    run_id = runs.start(actor, [s.name for s in present], dry_run, force)
    tracker = runs.Progress(run_id, progress)
    job = _Import(directory, present, tracker, force)

    try:
        if not present:
            raise _Stop("rejected", [f"{directory}: no directory files found"])
        job.read()
        job.write()
        _keep_or_discard(job, run_id, actor, dry_run)
        status = "dry_run" if dry_run else "imported"
    except _Stop as stop:
        db.session.rollback()
        status, job.problems = stop.status, stop.problems
    except Exception:
        db.session.rollback()
        runs.finish(run_id, "aborted", {}, ["internal error"], job.warnings)
        raise

    runs.finish(run_id, status, job.counts, job.problems, job.warnings)
    duration = time.monotonic() - started
    logger.info(
        "directory_import run=%s status=%s seconds=%.1f", run_id, status, duration
    )
    return ImportResult(
        run_id, status, job.counts, job.problems, job.warnings, duration
    )


def _keep_or_discard(job: "_Import", run_id: int, actor: str, dry_run: bool) -> None:
    if dry_run:
        db.session.rollback()
        return
    audit.record(
        "directory.import",
        target=f"import_run:{run_id}",
        actor=actor,
        counts=job.counts,
    )
    db.session.commit()


def _wanted_points(email: str, kinds: tuple, phones: tuple) -> list[tuple]:
    """(kind, raw, priority) of a person's contact points; phones by column order."""
    points = [("email", email, 1)]
    for priority, (kind, raw) in enumerate(zip(kinds, phones, strict=True), 1):
        points.append((kind, raw, priority))
    return points


class _Import:
    """The steps of one run, sharing the checked records between them."""

    def __init__(self, directory: Path, present, tracker, force: bool) -> None:
        self.directory = directory
        self.present = present
        self.tracker = tracker
        self.force = force
        self.checked: dict = {}
        self.counts: dict = {}
        self.problems: list[str] = []
        self._found: list = []
        self._keys: dict[str, set[str]] = {}
        self.warnings: list[str] = []

    def read(self) -> None:
        """Read and check every file; stop with all problems if any."""
        found = []
        raw = {}
        for spec in self.present:
            result = read_file(self.directory / spec.name, spec)
            found += result.problems
            self.warnings += result.warnings
            raw[spec.name] = result.rows
            self._keys[spec.name] = result.keys
            self.tracker.add_total(2 * len(result.rows))
            self.tracker.tick(len(result.rows), "reading")
        self._found = found
        self._check_records(raw)
        if found:
            order = {spec.name: n for n, spec in enumerate(SPECS)}
            found.sort(key=lambda p: (order[p.file], p.line))
            raise _Stop("rejected", [str(p) for p in found])

    def _check_records(self, raw: dict) -> None:
        def keep(name: str, checked) -> None:
            self.checked[name] = checked.records
            self._found += checked.problems
            self.warnings += checked.warnings

        if BUILDINGS.name in raw:
            keep(BUILDINGS.name, check_buildings(raw.pop(BUILDINGS.name)))
            codes = self._keys[BUILDINGS.name]
        else:
            codes = set(db.session.scalars(select(Building.code)))
        for spec in (STUDENTS, STAFF):
            if spec.name in raw:
                keep(spec.name, check_people(raw.pop(spec.name), spec, codes))
        if GUARDIANS.name in raw:
            if STUDENTS.name in self._keys:
                students = self._keys[STUDENTS.name]
            else:
                students = set(
                    db.session.scalars(
                        select(Student.student_number).where(Student.active)
                    )
                )
            keep(GUARDIANS.name, check_guardians(raw.pop(GUARDIANS.name), students))

    def write(self) -> None:
        """Write every kind present, then settle contact problems."""
        self.tracker.writing_started()
        now = utcnow()
        settled: set[int] = set()
        if BUILDINGS.name in self.checked:
            self._write_kind("buildings", Building, "code", BUILDINGS.name, None)
        buildings = writing.id_map(Building, "code")
        if STUDENTS.name in self.checked:
            to_row = writing.student_row(buildings)
            self._write_kind(
                "students", Student, "student_number", STUDENTS.name, to_row
            )
        if STAFF.name in self.checked:
            settled |= self._write_staff(buildings, now)
        if GUARDIANS.name in self.checked:
            settled |= self._write_guardians()

        closed = problems.close_verified(settled, now)
        closed += problems.close_person_left(now)
        opened = problems.open_from_import(now)
        self.counts["contact_problems"] = {"opened": opened, "closed": closed}
        self.tracker.tick(self.tracker.total - self.tracker.done, "done")

    def _write_kind(self, kind, model, key, file_name, to_row, records=None):
        records = records if records is not None else self.checked[file_name]
        plan = writing.plan_rows(model, key, records, to_row or writing.building_row)
        self._guard(kind, plan.counts)
        writing.apply_plan(model, plan, lambda n: self.tracker.tick(n, kind))
        self.tracker.tick(plan.counts.unchanged, kind)
        self.counts[kind] = plan.counts.as_dict()
        return plan

    def _guard(self, kind: str, counts: writing.KindCounts) -> None:
        """Stop when a run would deactivate more than 5% of a kind."""
        if self.force or not counts.active_before:
            return
        share = counts.removed / counts.active_before
        if share > DEACTIVATION_LIMIT:
            raise _Stop(
                "aborted",
                [
                    f"would mark {counts.removed} of {counts.active_before} "
                    f"{kind} inactive ({share:.1%}, over the 5% limit); "
                    "check the export, or run again with --force"
                ],
            )

    def _write_staff(self, buildings: dict, now) -> set[int]:
        records = self.checked[STAFF.name]
        plan = self._write_kind(
            "staff",
            StaffMember,
            "employee_number",
            STAFF.name,
            writing.staff_row(buildings),
        )
        ids = writing.id_map(StaffMember, "employee_number")
        new = {ids[row["employee_number"]] for row in plan.inserts}
        desired = {}
        for number, values in records.items():
            owner = ids[number]
            if owner in new or owner in plan.changed_ids:
                desired[owner] = _wanted_points(values[4], STAFF_PHONES, values[5:7])
        settled = contact_points.sync("staff_member_id", desired, new)
        self.counts["staff"]["portal_access_ended"] = leavers.end_access(
            plan.removed_ids, now
        )
        return settled

    def _write_guardians(self) -> set[int]:
        records = self.checked[GUARDIANS.name]
        persons = {number: record[0] for number, record in records.items()}
        plan = self._write_kind(
            "guardians",
            Guardian,
            "guardian_number",
            GUARDIANS.name,
            writing.guardian_row,
            persons,
        )
        del persons
        ids = writing.id_map(Guardian, "guardian_number")
        students = writing.id_map(Student, "student_number")
        writing.sync_links(ids, students, records)

        new = {ids[row["guardian_number"]] for row in plan.inserts}
        desired = {}
        for number, (person, _links, _line) in records.items():
            owner = ids[number]
            if owner in new or owner in plan.changed_ids:
                desired[owner] = _wanted_points(person[3], GUARDIAN_PHONES, person[4:7])
        return contact_points.sync("guardian_id", desired, new)

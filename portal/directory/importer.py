"""The daily directory import: all or nothing, incremental, kept as a run.

`run_import(directory, actor=...)` reads whichever of buildings.csv,
students.csv, staff.csv and guardians.csv the folder holds, checks them
completely before anything is kept, writes only what changed in one
transaction, and records the run. Needs an app context.
"""

import gc
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from portal.accounts import audit
from portal.contacts import service as problems
from portal.directory import contact_points, leavers, phone_checks, runs, writing
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
# Where a checked record's values hold the phone numbers, in column order.
_STAFF_PHONES_AT = slice(5, 7)
_GUARDIAN_PHONES_AT = slice(4, 7)


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
        with _collector_paused():
            job.read()
            job.check_phones_alongside()
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
    finally:
        job.phones.close()

    runs.finish(run_id, status, job.counts, job.problems, job.warnings)
    duration = time.monotonic() - started
    logger.info(
        "directory_import run=%s status=%s seconds=%.1f", run_id, status, duration
    )
    return ImportResult(
        run_id, status, job.counts, job.problems, job.warnings, duration
    )


@contextmanager
def _collector_paused():
    """Pause Python's cycle collector while rows are read and written.

    A run holds hundreds of thousands of small tuples until it ends and
    makes no garbage cycles worth collecting; the collector would walk all
    of them (and phonenumbers' metadata) again and again: at 20,000
    students that was a third of a full import's CPU and half of a
    re-import's. It runs again, as before, afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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
        self.states: dict[str, writing.State] = {}
        self.counts: dict = {}
        self.problems: list[str] = []
        self._found: list = []
        self._keys: dict[str, set[str]] = {}
        self.warnings: list[str] = []
        self.phones = phone_checks.PhoneChecks()

    def read(self) -> None:
        """Read and check every file; stop with all problems if any.

        Files are checked in SPECS order, each right after it is read, so
        only one file's raw rows are held at a time: a file refers only to
        files before it (students to buildings, guardians to students).
        """
        for spec in self.present:
            self._read_one(spec)
        if self._found:
            order = {spec.name: n for n, spec in enumerate(SPECS)}
            self._found.sort(key=lambda p: (order[p.file], p.line))
            raise _Stop("rejected", [str(p) for p in self._found])

    def check_phones_alongside(self) -> None:
        """Send the phone numbers of new and changed people to a helper
        process, to be checked while rows are written (phone_checks.py)."""
        for spec, at in ((STAFF, _STAFF_PHONES_AT), (GUARDIANS, _GUARDIAN_PHONES_AT)):
            if spec.name in self.checked:
                records = self.checked[spec.name].records.values()
                self.phones.submit(
                    spec.name,
                    (raw for record in records for raw in record[1][at]),
                )

    def _read_one(self, spec) -> None:
        result = read_file(self.directory / spec.name, spec)
        checked = self._check(spec, result.rows)
        self._found += result.problems + checked.problems
        self.warnings += result.warnings + checked.warnings
        self._keys[spec.name] = result.keys
        self.checked[spec.name] = checked
        self.tracker.add_total(2 * result.count)
        self.tracker.tick(result.count, "reading")

    def _state(self, name: str) -> writing.State:
        """The table of one file as it was before this run (loaded once)."""
        if name not in self.states:
            model, key = _TABLES[name]
            self.states[name] = writing.load_state(model, key)
        return self.states[name]

    def _check(self, spec, rows: Iterator):
        """Check one file's rows against the files before it."""
        known = self._state(spec.name).digests
        if spec is BUILDINGS:
            return check_buildings(rows, known)
        if BUILDINGS.name in self._keys:
            codes = self._keys[BUILDINGS.name]
        else:
            codes = set(self._state(BUILDINGS.name).ids)
        if spec in (STUDENTS, STAFF):
            return check_people(rows, spec, codes, known)
        if STUDENTS.name in self._keys:
            students = self._keys[STUDENTS.name]
        else:
            students = set(self._state(STUDENTS.name).digests)
        return check_guardians(rows, students, known)

    def write(self) -> None:
        """Write every kind present, then settle contact problems."""
        self.tracker.writing_started()
        now = utcnow()
        settled: set[int] = set()
        if BUILDINGS.name in self.checked:
            self._write_kind("buildings", BUILDINGS.name, writing.building_row)
        buildings = self._state(BUILDINGS.name).ids
        if STUDENTS.name in self.checked:
            to_row = writing.student_row(buildings)
            self._write_kind("students", STUDENTS.name, to_row)
        if STAFF.name in self.checked:
            settled |= self._write_staff(buildings, now)
        if GUARDIANS.name in self.checked:
            settled |= self._write_guardians()

        closed = problems.close_verified(settled, now)
        closed += problems.close_person_left(now)
        opened = problems.open_from_import(now)
        self.counts["contact_problems"] = {"opened": opened, "closed": closed}
        self.tracker.tick(self.tracker.total - self.tracker.done, "done")

    def _write_kind(self, kind: str, name: str, to_row) -> writing.Plan:
        model, key = _TABLES[name]
        checked, state = self.checked[name], self._state(name)
        plan = writing.plan_rows(
            state, checked.records, checked.keys, checked.unchanged
        )
        self._guard(kind, plan.counts)
        writing.write_kind(model, key, plan, checked.records, to_row)
        writing.learn_new_ids(model, key, state)
        counts = plan.counts
        self.tracker.tick(counts.added + counts.changed + counts.unchanged, kind)
        self.counts[kind] = counts.as_dict()
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
        plan = self._write_kind("staff", STAFF.name, writing.staff_row(buildings))
        records, ids = self.checked[STAFF.name].records, self._state(STAFF.name).ids

        def points(number: str) -> list:
            values = records[number][1]
            return _wanted_points(values[4], STAFF_PHONES, values[_STAFF_PHONES_AT])

        settled = contact_points.sync(
            "staff_member_id",
            ((ids[n], points(n)) for n in plan.new),
            {row_id: points(n) for n, row_id in plan.changed},
            self.phones.results(STAFF.name),
        )
        self.counts["staff"]["portal_access_ended"] = leavers.end_access(
            plan.removed_ids, now
        )
        return settled

    def _write_guardians(self) -> set[int]:
        plan = self._write_kind("guardians", GUARDIANS.name, writing.guardian_row)
        records = self.checked[GUARDIANS.name].records
        ids = self._state(GUARDIANS.name).ids
        students = self._state(STUDENTS.name).ids

        def links(number: str) -> dict:
            """Student id -> (relationship, priority) of one guardian."""
            return {students[s]: link[:2] for s, link in records[number][2].items()}

        new_links = (
            (ids[n], student_id, *link)
            for n in plan.new
            for student_id, link in links(n).items()
        )
        changed_links = {row_id: links(n) for n, row_id in plan.changed}
        writing.sync_links(new_links, changed_links, plan.removed_ids)

        def points(number: str) -> list:
            person = records[number][1]
            return _wanted_points(
                person[3], GUARDIAN_PHONES, person[_GUARDIAN_PHONES_AT]
            )

        return contact_points.sync(
            "guardian_id",
            ((ids[n], points(n)) for n in plan.new),
            {row_id: points(n) for n, row_id in plan.changed},
            self.phones.results(GUARDIANS.name),
        )


_TABLES = {
    BUILDINGS.name: (Building, "code"),
    STUDENTS.name: (Student, "student_number"),
    STAFF.name: (StaffMember, "employee_number"),
    GUARDIANS.name: (Guardian, "guardian_number"),
}

"""A clean import, a no-op re-import, the deactivation guard, leavers, auto-close."""

import csv

import pytest
from sqlalchemy import func, select

from portal.accounts.models import AuditEvent, UserSession
from portal.contacts.models import ContactProblem
from portal.directory.checks import check_phone
from portal.directory.models import (
    ContactPoint,
    Guardian,
    ImportRun,
    StaffMember,
    Student,
)
from portal.extensions import db
from portal.policy import Role
from tests.directory.helpers import checksums, import_dir


def _rows(path):
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _write_rows(path, rows):
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_clean_district_imports(app_ctx, files):
    students = _rows(files / "students.csv")

    result = import_dir(files)

    assert result.status == "imported", result.problems
    assert result.counts["students"]["added"] == len(students)
    assert _count(Student, Student.active) == len(students)
    assert result.counts["contact_problems"]["opened"] > 0
    spanish = next(r for r in students if r["home_language"] == "Spanish")
    stored = db.session.scalar(
        select(Student).where(Student.student_number == spanish["student_id"])
    )
    assert stored.home_language == "es"
    valid = db.session.scalars(
        select(ContactPoint).where(
            ContactPoint.address.is_not(None), ContactPoint.kind == "mobile_phone"
        )
    ).first()
    assert valid.address.startswith("+1")
    run = db.session.get(ImportRun, result.run_id)
    assert run.status == "imported"
    assert run.progress_done == run.progress_total > 0
    assert run.finished_at is not None


def test_reimport_of_the_same_files_changes_nothing(app_ctx, files):
    import_dir(files)
    before = checksums()
    before.pop("audit_event")

    result = import_dir(files)

    after = checksums()
    after.pop("audit_event")
    assert after == before
    for kind in ("buildings", "students", "staff", "guardians"):
        assert result.counts[kind]["added"] == 0
        assert result.counts[kind]["changed"] == 0
        assert result.counts[kind]["removed"] == 0
    assert result.counts["contact_problems"] == {"opened": 0, "closed": 0}


def test_dry_run_counts_but_keeps_nothing(app_ctx, files):
    before = checksums()

    result = import_dir(files, dry_run=True)

    assert result.status == "dry_run"
    assert result.counts["students"]["added"] > 0
    assert checksums() == before


def _drop_last_students(files, how_many: int) -> list[dict]:
    rows = _rows(files / "students.csv")
    kept = rows[:-how_many]
    _write_rows(files / "students.csv", kept)
    numbers = {r["student_id"] for r in kept}
    guardians = _rows(files / "guardians.csv")
    _write_rows(
        files / "guardians.csv", [g for g in guardians if g["student_id"] in numbers]
    )
    return rows


def test_removing_over_five_percent_stops_unless_forced(app_ctx, files):
    import_dir(files)
    rows = _drop_last_students(files, 10)
    before = checksums()

    refused = import_dir(files)

    assert refused.status == "aborted"
    assert "over the 5% limit" in refused.problems[0]
    assert checksums() == before

    forced = import_dir(files, force=True)

    assert forced.status == "imported"
    assert forced.counts["students"]["removed"] == 10
    assert _count(Student, Student.active.is_(False)) == 10
    assert _count(Student) == len(rows)  # marked inactive, never deleted


def test_a_few_leavers_need_no_force(app_ctx, files):
    import_dir(files)
    _drop_last_students(files, 3)

    result = import_dir(files)

    assert result.status == "imported"
    assert result.counts["students"]["removed"] == 3


def test_staff_who_left_lose_portal_access(app_ctx, files, make, login, client):
    import_dir(files)
    staff_rows = _rows(files / "staff.csv")
    leaver = db.session.scalar(
        select(StaffMember).where(
            StaffMember.employee_number == staff_rows[20]["employee_id"]
        )
    )
    school = db.session.get(type(leaver.building), leaver.building_id)
    user = make.user(Role.OFFICE_STAFF, building=school, staff_member_id=leaver.id)
    login(user)
    _write_rows(files / "staff.csv", staff_rows[:20] + staff_rows[21:])

    result = import_dir(files)

    assert result.counts["staff"]["removed"] == 1
    assert result.counts["staff"]["portal_access_ended"] == 1
    db.session.expire_all()
    assert db.session.get(type(user), user.id).active is False
    live = (
        select(func.count())
        .select_from(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    )
    assert db.session.scalar(live) == 0
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "directory.staff_left")
    )
    assert event.target == f"portal_user:{user.id}"
    assert client.get("/").status_code == 302


def _guardian_with_bad_mobile(files):
    for row in _rows(files / "guardians.csv"):
        raw = row["mobile_phone"]
        if raw and check_phone(raw)[1]:
            return row
    pytest.fail("the synthetic district has no inaccurate mobile number")


def _problem_of(guardian_number: str, kind: str) -> ContactProblem:
    return db.session.scalar(
        select(ContactProblem)
        .join(ContactPoint, ContactPoint.id == ContactProblem.contact_point_id)
        .join(Guardian, Guardian.id == ContactPoint.guardian_id)
        .where(Guardian.guardian_number == guardian_number, ContactPoint.kind == kind)
    )


def test_a_fixed_number_closes_its_problem_as_verified(app_ctx, files):
    import_dir(files)
    bad = _guardian_with_bad_mobile(files)
    problem = _problem_of(bad["guardian_id"], "mobile_phone")
    assert problem.status == "open"
    assert problem.reason == check_phone(bad["mobile_phone"])[1]
    rows = _rows(files / "guardians.csv")
    for row in rows:
        if row["guardian_id"] == bad["guardian_id"]:
            row["mobile_phone"] = "(253) 555-0199"
    _write_rows(files / "guardians.csv", rows)

    result = import_dir(files)

    assert result.counts["guardians"]["changed"] == 1
    assert result.counts["contact_problems"]["closed"] == 1
    db.session.expire_all()
    problem = db.session.get(ContactProblem, problem.id)
    assert (problem.status, problem.resolution) == ("resolved", "verified_by_import")
    assert problem.contact_point.address == "+12535550199"


def test_a_guardian_who_left_closes_their_problems(app_ctx, files):
    import_dir(files)
    bad = _guardian_with_bad_mobile(files)
    problem = _problem_of(bad["guardian_id"], "mobile_phone")
    rows = _rows(files / "guardians.csv")
    _write_rows(
        files / "guardians.csv",
        [r for r in rows if r["guardian_id"] != bad["guardian_id"]],
    )

    import_dir(files)

    db.session.expire_all()
    problem = db.session.get(ContactProblem, problem.id)
    assert (problem.status, problem.resolution) == ("resolved", "person_left")


def test_cli_exit_codes_and_lines(app, files):
    runner = app.test_cli_runner()

    ok = runner.invoke(args=["directory", "import", str(files)])
    assert ok.exit_code == 0, ok.output
    assert "students: 120 added" in ok.output

    path = files / "students.csv"
    path.write_text(path.read_text().replace(",LAK,", ",NOPE,", 1))
    rejected = runner.invoke(args=["directory", "import", str(files)])
    assert rejected.exit_code == 1
    assert "students.csv:" in rejected.output
    assert "unknown building 'NOPE'" in rejected.output
    assert "nothing changed" in rejected.output


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("555-0134", "missing area code"),
        ("253-555-01", "too short"),
        ("253-555-012345", "too long"),
        ("123-555-0134", "not a valid US area code or exchange"),
        ("call mom", "not a phone number"),
        ("+44 20 7946 0958", "outside the US"),
        ("(253) 555-0134", None),
    ],
)
def test_phone_reasons(raw, reason):
    assert check_phone(raw)[1] == reason


def test_the_import_runs_on_sqlite_too(tmp_path, redis_url, files):
    from portal import create_app
    from tests.conftest import make_config

    url = f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    sqlite_app = create_app(make_config(url, redis_url))
    with sqlite_app.app_context():
        db.create_all()
        first = import_dir(files)
        again = import_dir(files)
        points = _count(ContactPoint, ContactPoint.active)
        db.engine.dispose()

    assert first.status == again.status == "imported"
    assert first.counts["contact_problems"]["opened"] > 0
    assert again.counts["guardians"]["unchanged"] == first.counts["guardians"]["added"]
    assert points > 0


def test_unchanged_rows_still_give_their_warnings(app_ctx, files):
    rows = _rows(files / "students.csv")
    rows[3]["home_language"] = "Klingon"
    _write_rows(files / "students.csv", rows)
    warning = "students.csv:5: unknown language 'Klingon', imported as English"

    first = import_dir(files)
    again = import_dir(files)

    assert warning in first.warnings
    assert again.counts["students"]["unchanged"] == len(rows)
    assert warning in again.warnings


def test_an_unchanged_guardian_of_a_student_who_left_is_rejected(app_ctx, files):
    import_dir(files)
    guardian = _rows(files / "guardians.csv")[0]
    students = _rows(files / "students.csv")
    _write_rows(
        files / "students.csv",
        [s for s in students if s["student_id"] != guardian["student_id"]],
    )
    before = checksums()

    result = import_dir(files)

    assert result.status == "rejected"
    assert result.problems[0].startswith("guardians.csv:2: student_id: unknown student")
    assert checksums() == before


def test_a_guardian_who_comes_back_is_active_again(app_ctx, files):
    import_dir(files)
    rows = _rows(files / "guardians.csv")
    number = rows[0]["guardian_id"]
    _write_rows(
        files / "guardians.csv", [r for r in rows if r["guardian_id"] != number]
    )
    import_dir(files)
    _write_rows(files / "guardians.csv", rows)

    result = import_dir(files)

    assert result.counts["guardians"]["changed"] == 1
    back = db.session.scalar(select(Guardian).where(Guardian.guardian_number == number))
    assert back.active
    assert all(link.active for link in back.links)

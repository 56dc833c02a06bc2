"""The absences import: all or nothing, `file:line: column: reason`."""

from datetime import date

import pytest
from sqlalchemy import select

from portal import district_settings
from portal.accounts.models import AuditEvent
from portal.attendance import importer
from portal.attendance.cli import attendance_cli
from portal.attendance.models import Absence
from portal.directory.models import ImportRun
from portal.extensions import db

HEADER = "date,student_id,building_code,code\n"


@pytest.fixture
def school(make):
    building = make.building("LAK")
    make.student(building, student_number="S1")
    make.student(building, student_number="S2")
    return building


def absences():
    return list(db.session.scalars(select(Absence).order_by(Absence.id)))


def test_imports_unexcused_and_skips_excused(school):
    raw = (
        "\ufeffCode,Student_ID,date,Building_Code,extra\n"
        "U,S1,2026-12-03,lak,x\n"
        "E,S2,2026-12-03,LAK,x\n"
    ).encode()

    result = importer.import_absences(raw, "absences.csv", actor="test")

    assert result.ok
    assert result.warnings == ["absences.csv:1: extra: unknown column ignored"]
    assert [(a.code, a.date) for a in absences()] == [("U", date(2026, 12, 3))]
    assert result.counts["excused"] == 1
    run = db.session.get(ImportRun, result.import_run_id)
    assert (run.source, run.status) == ("absences", "imported")
    assert db.session.scalar(select(AuditEvent.action)) == "attendance.import"


def test_unexcused_codes_come_from_the_setting(school):
    district_settings.put("unexcused_codes", ["X"], by="test")
    raw = (HEADER + "2026-12-03,S1,LAK,X\n2026-12-03,S2,LAK,U\n").encode()

    importer.import_absences(raw, "a.csv")

    assert [a.code for a in absences()] == ["X"]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("2026-13-03,S1,LAK,U\n", "a.csv:2: date: not a date (YYYY-MM-DD)"),
        ("2026-12-03,S9,LAK,U\n", "a.csv:2: student_id: unknown student"),
        ("2026-12-03,S1,ZZZ,U\n", "a.csv:2: building_code: unknown building"),
        ("2026-12-03,S1,LAK,\n", "a.csv:2: code: empty"),
        ("2026-12-03,S1\n", "a.csv:2: -: has 2 fields, header has 4"),
        (
            "2026-12-03,S1,LAK,U\n2026-12-03,S1,LAK,UA\n",
            "a.csv:3: student_id: same student and date as line 2",
        ),
    ],
)
def test_any_bad_row_rejects_the_whole_file(school, body, error):
    result = importer.import_absences((HEADER + body).encode(), "a.csv")

    assert not result.ok
    assert any(e.startswith(error) for e in result.errors), result.errors
    assert absences() == []
    assert db.session.scalar(select(ImportRun.status)) == "rejected"


def test_missing_column_and_bad_bytes_are_reported(school):
    missing = importer.import_absences(b"date,student_id,code\n", "a.csv")
    assert missing.errors == ["a.csv:1: building_code: required column is missing"]

    undecodable = importer.import_absences(
        (HEADER + "2026-12-03,S1,LAK,U\n").encode() + b"\xff\xfe\n", "b.csv"
    )
    assert undecodable.errors == ["b.csv:3: -: bytes are not UTF-8"]


def test_reimport_replaces_the_day_and_keeps_holds(school):
    importer.import_absences(
        (HEADER + "2026-12-03,S1,LAK,U\n2026-12-03,S2,LAK,U\n").encode(), "a.csv"
    )
    first = absences()
    first[0].held = True
    db.session.commit()

    importer.import_absences((HEADER + "2026-12-03,S1,LAK,UA\n").encode(), "b.csv")

    (kept,) = absences()
    assert (kept.id, kept.held, kept.code) == (first[0].id, True, "UA")


def test_clerk_file_limited_to_their_buildings(school, make):
    other = make.building("OTH")
    make.student(other, student_number="S3")
    raw = (HEADER + "2026-12-03,S3,OTH,U\n").encode()

    result = importer.import_absences(raw, "a.csv", allowed_buildings={school.id})

    assert result.errors == ["a.csv:2: building_code: not a building you manage"]


def test_flask_cli_import(app, school, tmp_path):
    good = tmp_path / "absences.csv"
    good.write_text(HEADER + "2026-12-03,S1,LAK,U\n")
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "2026-12-03,S7,LAK,U\n")
    runner = app.test_cli_runner()

    ok = runner.invoke(attendance_cli, ["import", str(good)])
    rejected = runner.invoke(attendance_cli, ["import", str(bad)])

    assert ok.exit_code == 0, ok.output
    assert "imported: 1 unexcused" in ok.output
    assert rejected.exit_code == 1
    assert "bad.csv:2: student_id: unknown student" in rejected.output
    assert len(absences()) == 1


def test_script_import(app, school, tmp_path, monkeypatch):
    from scripts import import_absences

    good = tmp_path / "absences.csv"
    good.write_text(HEADER + "2026-12-03,S2,LAK,U\n")
    monkeypatch.setattr(import_absences, "create_app", lambda: app)

    assert import_absences.main([str(good)]) == 0
    assert len(absences()) == 1

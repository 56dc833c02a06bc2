"""Malformed exports are rejected whole, with the right line, changing nothing."""

import pytest

from tests.directory.helpers import checksums, import_dir


def _lines(path):
    return path.read_bytes().split(b"\n")


def _write(path, lines):
    path.write_bytes(b"\n".join(lines))


def _set_field(line: bytes, index: int, value: bytes) -> bytes:
    fields = line.split(b",")
    fields[index] = value
    return b",".join(fields)


def bom_inside(lines):
    lines[2] = b"\xef\xbb\xbf" + lines[2]
    return 3, "-", "byte-order mark"


def utf16(lines):
    text = b"\n".join(lines).decode()
    return 1, "-", "UTF-16", text.encode("utf-16")


def cp1252(lines):
    lines[3] = _set_field(lines[3], 1, "Jos\u00e9".encode("cp1252"))
    return 4, "-", "not UTF-8"


def nul(lines):
    lines[4] = lines[4].replace(b",", b",\x00", 1)
    return 5, "-", "NUL"


def missing_column(lines):
    lines[0] = lines[0].replace(b"grade", b"grad")
    return 1, "grade", "required column missing"


def duplicate_id(lines):
    lines.insert(len(lines) - 1, lines[1])
    return len(lines) - 1, "student_id", "duplicate"


def unknown_building(lines):
    lines[1] = _set_field(lines[1], 3, b"ZZZ")
    return 2, "building_code", "unknown building"


def truncated_last_row(lines):
    last = len(lines) - 2  # the file ends with a newline
    lines[last] = lines[last][:12]
    lines.pop()
    return last + 1, "-", "truncated"


def quoted_newline(lines):
    lines[2] = _set_field(lines[2], 1, b'"Ann\nMarie"')
    return 3, "first_name", "line break"


def huge_field(lines):
    lines[1] = _set_field(lines[1], 2, b"x" * 100_000)
    return 2, "last_name", "100000 characters"


def formula(lines):
    lines[1] = _set_field(lines[1], 1, b"=cmd|' /C calc'!A0")
    return 2, "first_name", "spreadsheet formula"


CASES = [
    bom_inside,
    utf16,
    cp1252,
    nul,
    missing_column,
    duplicate_id,
    unknown_building,
    truncated_last_row,
    quoted_newline,
    huge_field,
    formula,
]


@pytest.mark.parametrize("spoil", CASES, ids=[c.__name__ for c in CASES])
def test_malformed_students_file_is_rejected_and_changes_nothing(app_ctx, files, spoil):
    assert import_dir(files).status == "imported"
    before = checksums()

    path = files / "students.csv"
    lines = _lines(path)
    line, column, words, *replacement = spoil(lines)
    if replacement:
        path.write_bytes(replacement[0])
    else:
        _write(path, lines)
    result = import_dir(files)

    assert result.status == "rejected"
    expected = f"students.csv:{line}: {column}: "
    matching = [p for p in result.problems if p.startswith(expected)]
    assert matching, f"no {expected!r} in {result.problems[:5]}"
    assert words in matching[0]
    assert checksums() == before


def test_leading_utf8_bom_is_accepted(app_ctx, files):
    path = files / "students.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert import_dir(files).status == "imported"


def test_every_problem_is_reported_not_just_the_first(app_ctx, files):
    path = files / "students.csv"
    lines = _lines(path)
    formula(lines)
    lines[2] = _set_field(lines[2], 3, b"ZZZ")
    lines[5] = _set_field(lines[5], 1, b"")
    _write(path, lines)

    result = import_dir(files)

    assert result.status == "rejected"
    assert {p.rsplit(": ", 1)[0] for p in result.problems} == {
        "students.csv:2: first_name",
        "students.csv:3: building_code",
        "students.csv:6: first_name",
    }


def test_guardian_of_an_unknown_student_is_rejected(app_ctx, files):
    path = files / "guardians.csv"
    lines = _lines(path)
    lines[1] = _set_field(lines[1], 1, b"999999999")
    _write(path, lines)

    result = import_dir(files)

    assert result.status == "rejected"
    assert result.problems[0].startswith("guardians.csv:2: student_id: unknown student")

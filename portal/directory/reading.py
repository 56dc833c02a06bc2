"""Reading one CSV export and finding its structural problems.

A structural problem (bytes that are not UTF-8, a NUL, a missing column, a
row of the wrong width, a line break or formula inside a field, a field
over its length) rejects the whole import. Each is reported as
`file:line: column: reason`, with the line where the row starts.
"""

import csv
import operator
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

MAX_PROBLEMS_PER_FILE = 500
DEFAULT_LIMIT = 200
# A value starting like this would run as a formula when the CSV is opened
# in a spreadsheet; phone columns may start with "+" (country code).
FORMULA_START = ("=", "@", "\t", "\r", "+", "-")
PHONE_FORMULA_START = ("=", "@", "\t", "\r")
_FORMULA_SET = set(FORMULA_START)
# A line break or a byte-order mark inside a field.
_SPECIAL = re.compile("[\n\r\ufeff]")


@dataclass(frozen=True)
class FileSpec:
    """One export file: its columns, which are required, and their lengths."""

    name: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    limits: dict[str, int] = field(default_factory=dict)
    phone_columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.column}: {self.reason}"


@dataclass
class ReadResult:
    """One file's rows as exported, each (line, values in `spec.columns` order).

    `rows` is read from the file as it is consumed, once; `problems`,
    `keys` and `count` are complete only after that. Values are not
    stripped or checked field by field yet: the caller checks only the rows
    that changed since the last import (`FieldChecker`).
    """

    rows: Iterator[tuple[int, tuple[str, ...]]]
    problems: list[Problem]
    warnings: list[str] = field(default_factory=list)
    # The first column of every row, rejected ones too: other files may
    # refer to them without their own rows being reported again.
    keys: set[str] = field(default_factory=set)
    count: int = 0


def read_file(path: Path, spec: FileSpec) -> ReadResult:
    """Open one CSV file for reading; its rows are only usable if no problems."""
    problems = _byte_problems(path.read_bytes(), spec.name)
    result = ReadResult(iter(()), problems)
    if not problems:
        result.rows = _rows(path, spec, result)
    return result


def _byte_problems(data: bytes, name: str) -> list[Problem]:
    """Encoding-level problems: UTF-16, NUL bytes, bytes that are not UTF-8."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return [Problem(name, 1, "-", "file is UTF-16; save it as UTF-8")]
    if b"\x00" not in data and b"\xef\xbb\xbf" not in data[3:]:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return []
    problems = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if b"\x00" in line:
            problems.append(Problem(name, number, "-", "contains a NUL byte"))
        problems.extend(_undecodable(line, number, name))
        if b"\xef\xbb\xbf" in line and not (number == 1 and line.index(b"\xef") == 0):
            problems.append(
                Problem(name, number, "-", "byte-order mark inside the file")
            )
        if len(problems) >= MAX_PROBLEMS_PER_FILE:
            break
    return problems


def _undecodable(line: bytes, number: int, name: str) -> list[Problem]:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as error:
        bad = line[error.start]
        field_number = line[: error.start].count(b",") + 1
        reason = (
            f"byte 0x{bad:02X} is not UTF-8 (in field {field_number}; "
            "was it saved as Windows-1252? save it as UTF-8)"
        )
        return [Problem(name, number, "-", reason)]
    return []


def _rows(path: Path, spec: FileSpec, result: ReadResult) -> Iterator[tuple]:
    """Yield the rows of a file whose bytes are sound, noting what is wrong.

    Parsed from the file line by line: a whole decoded copy of a large
    export would cost several times its size in memory.
    """
    with path.open(newline="", encoding="utf-8-sig") as lines:
        reader = csv.reader(lines, strict=True)
        try:
            header = next(reader)
        except (StopIteration, csv.Error):
            result.problems.append(Problem(spec.name, 1, "-", "no header row"))
            return
        names = [h.strip().lower() for h in header]
        positions, problems, result.warnings = _map_header(names, spec)
        result.problems += problems
        if problems:
            return

        keys, problems = result.keys, result.problems
        width, key_at = len(names), positions[0]
        pick = operator.itemgetter(*positions)
        # A missing optional column reads the blank cell appended to each row.
        blank = max(positions) >= width
        line = reader.line_num + 1
        try:
            for row in reader:
                if len(row) == width:
                    keys.add(row[key_at].strip())
                    if blank:
                        row.append("")
                    result.count += 1
                    yield line, pick(row)
                elif row:
                    if key_at < len(row):
                        keys.add(row[key_at].strip())
                    problems.append(_width_problem(spec, line, len(row), width))
                    if len(problems) >= MAX_PROBLEMS_PER_FILE:
                        break
                line = reader.line_num + 1
        except csv.Error as error:
            reason = f"unreadable row: {error}"
            problems.append(Problem(spec.name, line, "-", reason))


def _width_problem(spec: FileSpec, line: int, found: int, width: int) -> Problem:
    reason = f"row has {found} fields, the header has {width}"
    if found < width:
        reason += " (truncated row?)"
    return Problem(spec.name, line, "-", reason)


def _map_header(
    names: list[str], spec: FileSpec
) -> tuple[list[int], list[Problem], list[str]]:
    problems, warnings = [], []
    for column in spec.required:
        if column not in names:
            problems.append(Problem(spec.name, 1, column, "required column missing"))
    seen = set()
    for name in names:
        if name in seen:
            problems.append(Problem(spec.name, 1, name, "column appears twice"))
        seen.add(name)
        if name not in spec.columns:
            warnings.append(f"{spec.name}: column {name!r} is not used and ignored")
    positions = [names.index(c) if c in names else -1 for c in spec.columns]
    # A missing optional column reads as empty: point it at a blank cell.
    positions = [p if p >= 0 else len(names) for p in positions]
    return positions, problems, warnings


class FieldChecker:
    """Per-field structural checks of one row, with a fast path for clean rows.

    Takes the row as exported (`raw`, joined with \x1f in `joined`) and the
    same values stripped; the import stores the stripped values.
    """

    def __init__(self, spec: FileSpec) -> None:
        self.spec = spec
        self.limits = [spec.limits.get(c, DEFAULT_LIMIT) for c in spec.columns]
        self.shortest_limit = min(self.limits)
        self.formula_starts = [
            PHONE_FORMULA_START if c in spec.phone_columns else FORMULA_START
            for c in spec.columns
        ]

    def check(self, raw: tuple, values: tuple, joined: str, line: int) -> list:
        """Every structural problem of one row (usually none)."""
        if (
            _SPECIAL.search(joined) is None
            and (
                max(map(len, raw)) <= self.shortest_limit
                or not any(map(operator.gt, map(len, raw), self.limits))
            )
            # Phone numbers may start with "+": those rows take the long way.
            and _FORMULA_SET.isdisjoint({v[:1] for v in values})
        ):
            return []
        problems = []
        for index, value in enumerate(raw):
            reason = self._field_problem(index, value, values[index])
            if reason:
                column = self.spec.columns[index]
                problems.append(Problem(self.spec.name, line, column, reason))
        return problems

    def _field_problem(self, index: int, raw: str, value: str) -> str | None:
        if value[:1] in self.formula_starts[index] and value != "-":
            return f"starts with {value[0]!r} (looks like a spreadsheet formula)"
        if len(raw) > self.limits[index]:
            return f"{len(raw)} characters, longer than {self.limits[index]}"
        if "\n" in raw or "\r" in raw:
            return "line break inside a quoted field"
        if "\ufeff" in raw:
            return "byte-order mark inside the file"
        return None

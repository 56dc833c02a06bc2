"""A made-up district in the import's CSV formats, for demos, tests and benchmarks.

Every name is built from short per-language lists and every phone number is
in the fictional 555 exchange (555-01xx first, as long as they last). About
3% of phone numbers are deliberately inaccurate, in the ways real exports
are, so the contact log has something to show.
"""

import csv
import random
from dataclasses import dataclass
from pathlib import Path

from portal.directory import records
from portal.directory.synthetic_data import (
    AREA_CODES,
    DISTRICT_TITLES,
    FIRST,
    LANGUAGES,
    LAST,
    RELATIONSHIPS,
    STAFF_TITLES,
)

# The first school is the demo principal's building: keep it first.
BUILDINGS = [
    ("DO", "District Office", "district", "16:30", "555-0100"),
    ("LAK", "Lakeview Elementary", "school", "15:30", "555-0101"),
    ("HIL", "Hillside Elementary", "school", "15:30", "555-0102"),
    ("RIV", "Riverside Middle School", "school", "14:45", "555-0103"),
    ("CLO", "Clover High School", "school", "14:15", "555-0104"),
    ("MAP", "Maplewood Elementary", "school", "15:30", "555-0105"),
]
GRADES = {
    "LAK": ["K", "1", "2", "3", "4", "5"],
    "HIL": ["K", "1", "2", "3", "4", "5"],
    "MAP": ["K", "1", "2", "3", "4", "5"],
    "RIV": ["6", "7", "8"],
    "CLO": ["9", "10", "11", "12"],
}
SCHOOLS = [code for code, *_ in BUILDINGS if code != "DO"]

# The same columns, in the same order, as the import reads.
STUDENT_COLUMNS = list(records.STUDENTS.columns)
GUARDIAN_COLUMNS = list(records.GUARDIANS.columns)
STAFF_COLUMNS = list(records.STAFF.columns)
INACCURATE_SHARE = 0.03


@dataclass
class _Numbers:
    """Hands out distinct fictional numbers, some made inaccurate on purpose."""

    rng: random.Random
    issued: int = 0

    def next(self) -> str:
        area = AREA_CODES[self.issued % len(AREA_CODES)]
        line = 100 + self.issued // len(AREA_CODES)
        self.issued += 1
        number = f"{area}-555-{line:04d}"
        if self.rng.random() < INACCURATE_SHARE:
            return self._spoil(area, line)
        return self.rng.choice(
            [number, f"({area}) 555-{line:04d}", f"{area}.555.{line:04d}"]
        )

    def _spoil(self, area: str, line: int) -> str:
        kind = self.rng.randrange(6)
        if kind == 0:
            return f"555-{line:04d}"  # missing area code
        if kind == 1:
            return f"{area}-555-{line:04d}"[:-2]  # too short
        if kind == 2:
            return f"{area}-555-{line:04d}7"  # too long
        if kind == 3:
            return f"123-555-{line:04d}"  # not a valid area code
        if kind == 4:
            return self.rng.choice(["call mom", "none", "see notes", "N/A"])
        return f"{area}-155-{line:04d}"  # not a valid exchange


def _weighted(rng: random.Random, items: list[tuple], weight_at: int = -1):
    total = sum(item[weight_at] for item in items)
    pick = rng.uniform(0, total)
    for item in items:
        pick -= item[weight_at]
        if pick <= 0:
            return item
    return items[-1]


def _email(rng: random.Random, first: str, last: str, serial: int) -> str:
    local = f"{first}.{last}{serial}".lower().replace(" ", "")
    if rng.random() < 0.004:
        return rng.choice([f"{local}@", f"{local} at example.net", f"{local}@@x"])
    return f"{local}@example.net"


def write_district(
    directory: Path, *, students: int = 1600, seed: int = 1, staff: int | None = None
) -> None:
    """Write buildings.csv, students.csv, guardians.csv and staff.csv into a folder.

    Staff default to 15% of the students, at least 150.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    numbers = _Numbers(random.Random(seed + 1))

    _write_buildings(directory / "buildings.csv")
    _write_families(directory, rng, numbers, students)
    staff = staff if staff is not None else max(150, students * 3 // 20)
    _write_staff(directory / "staff.csv", rng, numbers, staff)


def _write_buildings(path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(
            [
                "building_code",
                "name",
                "kind",
                "timezone",
                "end_of_day",
                "calling_window",
                "phone",
            ]
        )
        for code, name, kind, end_of_day, phone in BUILDINGS:
            writer.writerow(
                [
                    code,
                    name,
                    kind,
                    "America/Los_Angeles",
                    end_of_day,
                    "08:00-20:00",
                    f"253-{phone}",
                ]
            )


def _write_families(
    directory: Path, rng: random.Random, numbers: _Numbers, students: int
) -> None:
    with (
        (directory / "students.csv").open("w", newline="", encoding="utf-8") as s_out,
        (directory / "guardians.csv").open("w", newline="", encoding="utf-8") as g_out,
    ):
        student_rows = csv.writer(s_out)
        guardian_rows = csv.writer(g_out)
        student_rows.writerow(STUDENT_COLUMNS)
        guardian_rows.writerow(GUARDIAN_COLUMNS)

        made = 0
        guardian_serial = 0
        while made < students:
            children = min(students - made, rng.choice([1, 1, 1, 1, 2, 2, 3]))
            code, name, _ = _weighted(rng, LANGUAGES)
            family = LAST[code][rng.randrange(len(LAST[code]))]
            guardians = _family_guardians(rng, numbers, code, family, guardian_serial)
            guardian_serial += len(guardians)
            for _child in range(children):
                made += 1
                student_id = str(1_000_000 + made)
                school = SCHOOLS[rng.randrange(len(SCHOOLS))]
                student_rows.writerow(
                    [
                        student_id,
                        rng.choice(FIRST[code]),
                        family,
                        school,
                        rng.choice(GRADES[school]),
                        name,
                    ]
                )
                for guardian in guardians:
                    guardian_rows.writerow([guardian[0], student_id, *guardian[1:]])


def _family_guardians(
    rng: random.Random, numbers: _Numbers, code: str, family: str, serial: int
) -> list[list[str]]:
    """One or two guardians sharing a home phone; siblings share them all."""
    count = 2 if rng.random() < 0.75 else 1
    home = numbers.next() if rng.random() < 0.6 else ""
    rows = []
    for priority in range(1, count + 1):
        first = rng.choice(FIRST[code])
        serial += 1
        email = _email(rng, first, family, serial) if rng.random() < 0.6 else ""
        work = numbers.next() if rng.random() < 0.3 else ""
        language = code if rng.random() < 0.95 else "en"
        rows.append(
            [
                f"G{serial:07d}",
                first,
                family,
                RELATIONSHIPS[rng.randrange(6)],
                str(priority),
                language,
                email,
                home,
                numbers.next(),
                work,
            ]
        )
    return rows


def _write_staff(path: Path, rng: random.Random, numbers: _Numbers, staff: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(STAFF_COLUMNS)
        for serial in range(1, staff + 1):
            code, _, _ = _weighted(rng, LANGUAGES[:6])
            first, last = rng.choice(FIRST[code]), rng.choice(LAST[code])
            principals = len(DISTRICT_TITLES) + len(SCHOOLS)
            if serial <= len(DISTRICT_TITLES) or rng.random() < 0.05:
                building = "DO"
                title = DISTRICT_TITLES[(serial - 1) % len(DISTRICT_TITLES)]
            elif serial <= principals:
                building = SCHOOLS[serial - len(DISTRICT_TITLES) - 1]
                title = "Principal"
            else:
                building = SCHOOLS[serial % len(SCHOOLS)]
                title = _weighted(rng, STAFF_TITLES)[0]
            email = f"{first}.{last}.{serial}@staff.example.org".lower()
            mobile = numbers.next() if rng.random() < 0.7 else ""
            writer.writerow(
                [
                    f"E{serial:06d}",
                    first,
                    last,
                    building,
                    title,
                    email,
                    numbers.next(),
                    mobile,
                    code,
                ]
            )

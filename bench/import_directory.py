"""Benchmark of the directory import: `python -m bench.import_directory`.

Generates a synthetic district (default 200,000 students, about 30,000
staff), then times on PostgreSQL (a scratch database, created and dropped)
and on SQLite (a temporary file):

- the irreducible work: reading the CSVs and validating each distinct phone
  number with phonenumbers, nothing else;
- a full import into an empty database;
- a re-import with 1% of the rows changed;
- a full import of a district a quarter the size (for the growth ratio).

Each step runs in a child process, so its peak memory is its own. Prints
a table, then one JSON line with the figures and the ratios.
"""

import argparse
import csv
import json
import multiprocessing
import os
import platform
import random
import resource
import shutil
import tempfile
import time
import uuid
from pathlib import Path

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL") or os.environ.get(
    "TEST_PG_ADMIN_URL", "postgresql://127.0.0.1:5432/test"
)
PHONE_COLUMNS = {
    "buildings.csv": ("phone",),
    "students.csv": (),
    "guardians.csv": ("home_phone", "mobile_phone", "work_phone"),
    "staff.csv": ("phone", "mobile_phone"),
}


def _in_child(function, *args):
    """Run `function(*args)` in a forked process; returns (result, peak MiB)."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()

    def target():
        result = function(*args)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        queue.put((result, peak))

    process = context.Process(target=target)
    process.start()
    result, peak = queue.get()
    process.join()
    if process.exitcode:
        raise RuntimeError(f"{function.__name__} failed in the child process")
    return result, peak


def irreducible(directory: Path) -> dict:
    """Read every CSV row and validate each distinct phone number."""
    import phonenumbers

    started, cpu = time.perf_counter(), time.process_time()
    seen = set()
    for name, columns in PHONE_COLUMNS.items():
        with (directory / name).open(newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            header = next(reader)
            positions = [header.index(c) for c in columns]
            for row in reader:
                for position in positions:
                    raw = row[position]
                    if raw and raw not in seen:
                        seen.add(raw)
                        try:
                            number = phonenumbers.parse(raw, "US")
                        except phonenumbers.NumberParseException:
                            continue
                        phonenumbers.is_possible_number_with_reason(number)
                        phonenumbers.is_valid_number(number)
    return {
        "seconds": time.perf_counter() - started,
        "cpu": time.process_time() - cpu,
    }


def timed_import(database_url: str, directory: Path, fresh: bool) -> dict:
    """One import; with `fresh`, into newly created empty tables."""
    from portal import create_app
    from portal.config import Config
    from portal.directory.importer import run_import
    from portal.extensions import db

    app = create_app(Config.from_env({"DATABASE_URL": database_url}))
    with app.app_context():
        if fresh:
            db.drop_all()
            db.create_all()
        started, cpu = time.perf_counter(), time.process_time()
        result = run_import(directory, actor="bench", force=True)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        db.engine.dispose()
    if result.status != "imported":
        raise RuntimeError(f"import {result.status}: {result.problems[:5]}")
    return {"seconds": seconds, "cpu": cpu, "counts": result.counts}


def change_one_percent(source: Path, target: Path, seed: int = 5) -> None:
    """Copy the district with 1% of students, guardians and staff changed."""
    shutil.copytree(source, target)
    rng = random.Random(seed)
    _rewrite(target / "students.csv", lambda row, i: i % 100 == 0, "grade", _fixed("5"))
    chosen = set()

    def pick_guardian(row, _i):
        if row[0] not in chosen and rng.random() < 0.01 * 1.4:
            chosen.add(row[0])
        return row[0] in chosen

    _rewrite(target / "guardians.csv", pick_guardian, "mobile_phone", _new_mobile)
    _rewrite(
        target / "staff.csv", lambda row, i: i % 100 == 0, "job_title", _fixed("Sub")
    )


def _fixed(value: str):
    return lambda _row: value


def _new_mobile(row: list[str]) -> str:
    """The same new number on every row of one guardian."""
    return f"(253) 555-{1000 + int(row[0][1:]) % 9000}"


def _rewrite(path: Path, chosen, column: str, value) -> None:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    at = rows[0].index(column)
    for index, row in enumerate(rows[1:]):
        if chosen(row, index):
            row[at] = value(row)
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)


def _scratch_postgres():
    import psycopg

    name = f"bench_directory_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    netloc = PG_ADMIN_URL.split("//", 1)[1].split("/", 1)[0]
    return name, f"postgresql+psycopg://{netloc}/{name}"


def _drop_postgres(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def measure(database: str, url: str, dirs: dict) -> dict:
    full, full_peak = _in_child(timed_import, url, dirs["full"], True)
    again, again_peak = _in_child(timed_import, url, dirs["changed"], False)
    quarter, quarter_peak = _in_child(timed_import, url, dirs["quarter"], True)
    return {
        "database": database,
        "full_s": round(full["seconds"], 2),
        "full_cpu_s": round(full["cpu"], 2),
        "reimport_1pct_s": round(again["seconds"], 2),
        "reimport_cpu_s": round(again["cpu"], 2),
        "quarter_full_s": round(quarter["seconds"], 2),
        "peak_mib": round(max(full_peak, again_peak, quarter_peak)),
        "reimport_counts": again["counts"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200_000)
    args = parser.parse_args()

    from portal.directory.synthetic import write_district

    work = Path(tempfile.mkdtemp(prefix="bench-directory-"))
    dirs = {"full": work / "full", "quarter": work / "quarter"}
    started = time.perf_counter()
    write_district(dirs["full"], students=args.students, seed=1)
    write_district(dirs["quarter"], students=args.students // 4, seed=1)
    dirs["changed"] = work / "changed"
    change_one_percent(dirs["full"], dirs["changed"])
    generated = time.perf_counter() - started

    base, base_peak = _in_child(irreducible, dirs["full"])
    results = []
    name, pg_url = _scratch_postgres()
    try:
        results.append(measure("postgresql", pg_url, dirs))
    finally:
        _drop_postgres(name)
    sqlite_url = f"sqlite:///{work / 'bench.sqlite3'}"
    results.append(measure("sqlite", sqlite_url, dirs))
    shutil.rmtree(work)

    _report(args.students, generated, base, base_peak, results)


COLUMNS = (
    ("database", "database"),
    ("full s", "full_s"),
    ("full cpu s", "full_cpu_s"),
    ("full/irreducible", "full_over_irreducible"),
    ("cpu full/irreducible", "full_cpu_over_irreducible_cpu"),
    ("1% re-import s", "reimport_1pct_s"),
    ("re-import/full", "reimport_over_full"),
    ("quarter full s", "quarter_full_s"),
    ("4x students time ratio", "growth_4x"),
    ("peak MiB", "peak_mib"),
)


def _report(students, generated, baseline, base_peak, results) -> None:
    base, base_cpu = baseline["seconds"], baseline["cpu"]
    print(
        f"students: {students:,}  generate: {generated:.1f} s  "
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"irreducible work (read + validate phones): {base:.2f} s "
        f"(cpu {base_cpu:.2f} s), peak {base_peak:.0f} MiB"
    )
    print(" | ".join(title for title, _key in COLUMNS))
    figures = {
        "students": students,
        "irreducible_s": round(base, 2),
        "irreducible_cpu_s": round(base_cpu, 2),
        "load_average": round(os.getloadavg()[0], 1),
        "runs": [],
    }
    for r in results:
        row = {
            **r,
            "full_over_irreducible": round(r["full_s"] / base, 2),
            "full_cpu_over_irreducible_cpu": round(r["full_cpu_s"] / base_cpu, 2),
            "reimport_over_full": round(r["reimport_1pct_s"] / r["full_s"], 3),
            "growth_4x": round(r["full_s"] / r["quarter_full_s"], 2),
        }
        print(" | ".join(str(row[key]) for _title, key in COLUMNS))
        figures["runs"].append(row)
    print(json.dumps(figures, separators=(",", ":")))


if __name__ == "__main__":
    main()

"""Benchmark of the directory import: `python -m bench.import_directory`.

Generates a synthetic district (default 200,000 students, about 30,000
staff), then times on PostgreSQL (a scratch database, created and dropped)
and on SQLite (a temporary file):

- the irreducible work: reading the CSVs and validating each distinct phone
  number with phonenumbers, nothing else;
- a full import into empty tables;
- a re-import with 1% of the rows changed, into the database the full
  import left (on PostgreSQL after a VACUUM ANALYZE, as autovacuum would
  have done by the next day; not timed);
- a full import of a district a quarter the size (for the growth ratio).

Every step runs in a fresh Python process (`--step`), so its time, CPU
and peak memory are its own and nothing is cached from an earlier step. A
large import checks phone numbers in a helper process
(portal/directory/phone_checks.py): its CPU and peak memory are reported
beside the importing process's own.
Each step runs `--repeat` times (a full import and its re-import as a
pair, on a fresh database each time); the figures are medians. Prints a
table, then one JSON line with the figures and the ratios.
"""

import argparse
import csv
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL") or os.environ.get(
    "TEST_PG_ADMIN_URL", "postgresql://127.0.0.1:5432/test"
)
ROOT = Path(__file__).resolve().parents[1]
PHONE_COLUMNS = {
    "buildings.csv": ("phone",),
    "students.csv": (),
    "guardians.csv": ("home_phone", "mobile_phone", "work_phone"),
    "staff.csv": ("phone", "mobile_phone"),
}


# --- the steps, each run in its own process ---------------------------------


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
    return {"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu}


def timed_import(database_url: str, directory: Path, fresh: bool) -> dict:
    """One import; with `fresh`, into newly created empty tables."""
    from sqlalchemy import text

    from portal import create_app
    from portal.config import Config
    from portal.directory.importer import run_import
    from portal.extensions import db

    app = create_app(Config.from_env({"DATABASE_URL": database_url}))
    with app.app_context():
        if fresh:
            db.drop_all()
            db.create_all()
        server = _ServerCpu(db, text)
        started, cpu = time.perf_counter(), time.process_time()
        result = run_import(directory, actor="bench", force=True)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        server_cpu = server.used()
        db.engine.dispose()
    if result.status != "imported":
        raise RuntimeError(f"import {result.status}: {result.problems[:5]}")
    return {
        "seconds": seconds,
        "cpu": cpu,
        "server_cpu": server_cpu,
        "counts": result.counts,
    }


class _ServerCpu:
    """CPU seconds of the PostgreSQL backend serving the import's session.

    Read from /proc, so only when the server runs on this machine and its
    processes are readable; None otherwise (and on SQLite).
    """

    def __init__(self, db, text) -> None:
        self.path = None
        if db.engine.dialect.name != "postgresql":
            return
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        self.path = Path(f"/proc/{pid}/stat")
        self.start = self._read()

    def _read(self) -> float | None:
        try:
            fields = self.path.read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def used(self) -> float | None:
        if self.path is None or self.start is None:
            return None
        end = self._read()
        return None if end is None else end - self.start


def vacuum_analyze(database_url: str) -> dict:
    """What autovacuum does between two daily imports (not timed)."""
    import psycopg

    with psycopg.connect(database_url.replace("+psycopg", ""), autocommit=True) as c:
        c.execute("VACUUM ANALYZE")
    return {}


STEPS = {
    "irreducible": lambda a: irreducible(Path(a.dir)),
    "import": lambda a: timed_import(a.url, Path(a.dir), a.fresh),
    "vacuum": lambda a: vacuum_analyze(a.url),
}


class _ChildrenPeak:
    """The highest VmHWM of this process's children, sampled from /proc."""

    def __init__(self) -> None:
        import threading

        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        me = str(os.getpid())
        while not self._stop.wait(0.1):
            for stat in Path("/proc").glob("[0-9]*/stat"):
                try:
                    if stat.read_text().rsplit(")", 1)[1].split()[1] != me:
                        continue
                    status = (stat.parent / "status").read_text()
                except (OSError, IndexError):
                    continue
                for line in status.splitlines():
                    if line.startswith("VmHWM:"):
                        self.peak_kib = max(self.peak_kib, int(line.split()[1]))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_kib / 1024


def run_step(args) -> None:
    children = _ChildrenPeak() if args.step == "import" else None
    result = STEPS[args.step](args)
    if children:
        result["helper_peak_mib"] = children.stop()
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # The import's helper process (phone_checks.py), ended by now. Its
    # ru_maxrss would include the pages it shared with this process between
    # fork and exec; its own peak is read from /proc while it runs.
    helper = resource.getrusage(resource.RUSAGE_CHILDREN)
    result["helper_cpu"] = helper.ru_utime + helper.ru_stime
    print(json.dumps(result))


def _step(*args: str) -> dict:
    """Run one step in a fresh interpreter; returns what it printed last."""
    command = [sys.executable, "-m", "bench.import_directory", "--step", *args]
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, cwd=ROOT
    )
    if done.returncode:
        raise RuntimeError(f"step {args} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the synthetic district --------------------------------------------------


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


# --- the whole benchmark -----------------------------------------------------


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


def measure(database: str, url: str, dirs: dict, repeat: int) -> dict:
    """Full import, re-import and quarter-size import, `repeat` times each."""
    fulls, agains, quarters = [], [], []
    for _ in range(repeat):
        fulls.append(
            _step("import", "--url", url, "--dir", str(dirs["full"]), "--fresh")
        )
        if database == "postgresql":
            _step("vacuum", "--url", url)
        agains.append(_step("import", "--url", url, "--dir", str(dirs["changed"])))
    for _ in range(repeat):
        quarter_dir = str(dirs["quarter"])
        quarters.append(_step("import", "--url", url, "--dir", quarter_dir, "--fresh"))

    def median(runs: list[dict], key: str):
        values = [r[key] for r in runs if r.get(key) is not None]
        return round(statistics.median(values), 2) if values else None

    return {
        "database": database,
        "full_s": median(fulls, "seconds"),
        "full_cpu_s": median(fulls, "cpu"),
        "full_server_cpu_s": median(fulls, "server_cpu"),
        "full_helper_cpu_s": median(fulls, "helper_cpu"),
        "reimport_1pct_s": median(agains, "seconds"),
        "reimport_cpu_s": median(agains, "cpu"),
        "quarter_full_s": median(quarters, "seconds"),
        "quarter_cpu_s": median(quarters, "cpu"),
        "quarter_server_cpu_s": median(quarters, "server_cpu"),
        "quarter_helper_cpu_s": median(quarters, "helper_cpu"),
        "full_runs_s": [round(r["seconds"], 2) for r in fulls],
        "reimport_runs_s": [round(r["seconds"], 2) for r in agains],
        "peak_mib": round(max(r["peak_mib"] for r in fulls + agains + quarters)),
        "helper_peak_mib": round(
            max(r["helper_peak_mib"] for r in fulls + agains + quarters)
        ),
        "reimport_counts": agains[-1]["counts"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--databases", default="postgresql,sqlite", help="comma-separated"
    )
    parser.add_argument("--step", choices=STEPS, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    parser.add_argument("--fresh", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        run_step(args)
        return

    from portal.directory.synthetic import write_district

    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="bench-directory-"))
    dirs = {"full": work / "full", "quarter": work / "quarter"}
    started = time.perf_counter()
    write_district(dirs["full"], students=args.students, seed=1)
    write_district(dirs["quarter"], students=args.students // 4, seed=1)
    dirs["changed"] = work / "changed"
    change_one_percent(dirs["full"], dirs["changed"])
    generated = time.perf_counter() - started

    try:
        bases = [
            _step("irreducible", "--dir", str(dirs["full"])) for _ in range(args.repeat)
        ]
        results = []
        for database in args.databases.split(","):
            if database == "postgresql":
                name, url = _scratch_postgres()
                try:
                    results.append(measure(database, url, dirs, args.repeat))
                finally:
                    _drop_postgres(name)
            else:
                url = f"sqlite:///{work / 'bench.sqlite3'}"
                results.append(measure(database, url, dirs, args.repeat))
    finally:
        shutil.rmtree(work)

    base = {
        "seconds": statistics.median(b["seconds"] for b in bases),
        "cpu": statistics.median(b["cpu"] for b in bases),
        "peak_mib": max(b["peak_mib"] for b in bases),
    }
    _report(args, generated, base, results, load_before)


COLUMNS = (
    ("database", "database"),
    ("full s", "full_s"),
    ("full cpu s", "full_cpu_s"),
    ("server cpu s", "full_server_cpu_s"),
    ("helper cpu s", "full_helper_cpu_s"),
    ("full/irreducible", "full_over_irreducible"),
    ("1% re-import s", "reimport_1pct_s"),
    ("re-import/full", "reimport_over_full"),
    ("quarter full s", "quarter_full_s"),
    ("4x students time ratio", "growth_4x"),
    ("same, cpu", "growth_4x_cpu"),
    ("peak MiB", "peak_mib"),
    ("helper peak MiB", "helper_peak_mib"),
)


def _client_cpu(run: dict, which: str) -> float:
    """CPU seconds of the importing process and its phone-check helper."""
    return run[f"{which}_cpu_s"] + (run[f"{which}_helper_cpu_s"] or 0)


def _all_cpu(run: dict, which: str) -> float:
    """The client's CPU seconds and, if known, the server's."""
    return _client_cpu(run, which) + (run[f"{which}_server_cpu_s"] or 0)


def _report(args, generated, base, results, load_before) -> None:
    load_after = os.getloadavg()[0]
    print(
        f"students: {args.students:,}  repeat: {args.repeat} (medians)  "
        f"generate: {generated:.1f} s  machine: {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {load_before:.1f} before, {load_after:.1f} after"
    )
    print(
        f"irreducible work (read + validate phones): {base['seconds']:.2f} s "
        f"(cpu {base['cpu']:.2f} s), peak {base['peak_mib']:.0f} MiB"
    )
    print(" | ".join(title for title, _key in COLUMNS))
    figures = {
        "students": args.students,
        "repeat": args.repeat,
        "irreducible_s": round(base["seconds"], 2),
        "irreducible_cpu_s": round(base["cpu"], 2),
        "load_average": [round(load_before, 1), round(load_after, 1)],
        "runs": [],
    }
    for r in results:
        row = {
            **r,
            "full_over_irreducible": round(r["full_s"] / base["seconds"], 2),
            "full_cpu_over_irreducible_cpu": round(
                _client_cpu(r, "full") / base["cpu"], 2
            ),
            "reimport_over_full": round(r["reimport_1pct_s"] / r["full_s"], 3),
            "growth_4x": round(r["full_s"] / r["quarter_full_s"], 2),
            "growth_4x_cpu": round(_all_cpu(r, "full") / _all_cpu(r, "quarter"), 2),
        }
        print(" | ".join(str(row[key]) for _title, key in COLUMNS))
        figures["runs"].append(row)
    print(json.dumps(figures, separators=(",", ":")))


if __name__ == "__main__":
    main()

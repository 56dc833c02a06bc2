"""The portal under load: staff pages and provider callbacks during a fan-out.

    .venv/bin/python -m bench.load --households 50000 --students 80000 --seconds 60

Starts Redis, a scratch PostgreSQL database, the Plivo sandbox, the portal
under gunicorn and delivery workers (bench/services.py), imports a synthetic
district of `--students` (about 0.8 households per student) through the
directory import, adds today's absences, one signed-in session per simulated
staff member and a draft per principal, then starts a district-wide fan-out
of `--households` phone deliveries. While it runs, for `--seconds`:
- `--staff` threads, each a staff member with their own session cookie, walk
  the pages their role uses, pausing `--think` seconds (exponential) between
  pages; every page's latency is kept, and every failure with its cause;
- a separate process posts hangup callbacks signed like Plivo's (V3
  signature on PUBLIC_BASE_URL, signed before the clock starts) at
  `--callback-rate` per second, open loop, for real delivery and attempt ids
  of the fan-out; latency counts from the moment each was due, so a client
  or server falling behind shows in the figures.
Then, with the fan-out stopped, each page is opened once more through
Flask's test client in this process to count its SQL statements and CPU
milliseconds (figures the machine's other load does not change).

Prints a table (p50/p95/p99/max per page, errors and their causes, queries
and CPU per page; the callback rate achieved and p50/p95/p99), the load
average during the run, then one JSON line last. Goals: p95 < 150 ms per
page, callbacks p99 < 1 s at the asked rate.
"""

import argparse
import json
import multiprocessing
import os
import random
import secrets
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import fields
from datetime import timedelta
from pathlib import Path

import requests
from sqlalchemy import event, select

from bench import services
from bench.fanout import add_message, dialled, wait_dialled
from bench.load_callbacks import (
    AUTH_TOKEN,
    callback_figures,
    callback_pairs,
    callbacks,
)
from bench.measure import broken, latency

AUTH_ID = "MAXXXXXXXXXXXXXXXXXX"
PAGE_GOAL_MS, CALLBACK_GOAL_MS = 150, 1000
# How many of the staff hold each role (the rest are principals).
ROLE_MIX = {
    "superintendent": 2,
    "it_admin": 3,
    "attendance_clerk": 10,
    "office_staff": 10,
}
ABSENT_SHARE = 20  # one student in 20 is absent today


def seed(students: int, staff: int) -> dict:
    """A synthetic district imported, today's absences, staff and drafts."""
    from portal.directory.importer import run_import
    from portal.directory.models import Building
    from portal.directory.synthetic import write_district
    from portal.extensions import db

    folder = Path(tempfile.mkdtemp(prefix="bench-district-"))
    write_district(folder, students=students, seed=7)
    result = run_import(folder, actor="bench", force=True)
    if result.status != "imported":
        raise SystemExit(f"district import {result.status}: {result.problems[:3]}")
    schools = db.session.scalars(
        select(Building.id).where(Building.kind == "school").order_by(Building.id)
    ).all()
    _absences()
    return {"users": _staff(schools, staff), "counts": result.counts}


def _absences() -> None:
    from portal import clock
    from portal.attendance.models import Absence
    from portal.directory.models import Student
    from portal.extensions import db

    rows = db.session.execute(
        select(Student.id, Student.building_id).where(Student.id % ABSENT_SHARE == 0)
    )
    db.session.add_all(
        Absence(date=clock.today(), student_id=sid, building_id=bid, code="U")
        for sid, bid in rows
    )
    db.session.commit()


def _staff(schools: list[int], staff: int) -> list[tuple]:
    """(role, user id, building id, draft id) of each simulated staff member."""
    from portal.directory.models import Building
    from portal.extensions import db
    from portal.policy import Role
    from tests import factories

    roles = [Role(r) for r, n in ROLE_MIX.items() for _ in range(n)]
    roles += [Role.PRINCIPAL] * (staff - len(roles))
    users = []
    for n, role in enumerate(roles):
        building_id = schools[n % len(schools)]
        user = factories.user(role, building=db.session.get(Building, building_id))
        draft = None
        if role in (Role.PRINCIPAL, Role.SUPERINTENDENT):
            draft = _draft(
                user.id, None if role == Role.SUPERINTENDENT else building_id
            )
        users.append((role.value, user.id, building_id, draft))
    db.session.commit()
    return users


def _draft(author_id: int, building_id: int | None) -> int:
    """A draft to guardians: a closure for the district, outreach for a school."""
    from portal.extensions import db
    from portal.messaging.models import Message, MessageVariant

    message = Message(
        kind="closure" if building_id is None else "outreach",
        building_id=building_id,
        category=None if building_id is None else "school_event",
        title="bench draft",
        audience={
            "buildings": "all" if building_id is None else [building_id],
            "grades": "all",
            "groups": ["guardians"],
        },
        channels=["phone", "sms"],
        author_id=author_id,
    )
    message.variants.append(MessageVariant(language="en", text="Bench draft."))
    db.session.add(message)
    db.session.commit()
    return message.id


def session_cookie(app, user_id: int) -> str:
    """A signed portal session cookie for a new server-side session."""
    from portal.accounts.models import UserSession
    from portal.extensions import db

    sid = secrets.token_urlsafe(32)
    db.session.add(UserSession(id=sid, user_id=user_id))
    db.session.commit()
    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.dumps({"sid": sid, "_permanent": True})


def pages_for(role: str, building_id: int, fanout_id: int, draft) -> list[tuple]:
    """(label, path) of the pages a staff member of `role` keeps opening."""
    common = [("home", "/"), ("policy", "/policy")]
    by_role = {
        "superintendent": [
            ("messages", "/messages/"),
            ("approvals", "/messages/approvals"),
            ("message detail", f"/messages/{fanout_id}"),
            ("delivery progress", f"/delivery/messages/{fanout_id}"),
            ("progress partial", f"/delivery/messages/{fanout_id}/progress"),
            ("delivery report", f"/delivery/messages/{fanout_id}/report"),
            ("contacts log", "/contacts/log"),
            ("compose (district)", f"/messages/{draft}/compose"),
        ],
        "it_admin": [
            ("audit", "/audit/"),
            ("people", "/people/"),
            ("import runs", "/directory/imports"),
            ("account queue", "/accounts/queue"),
            ("delivery progress", f"/delivery/messages/{fanout_id}"),
        ],
        "attendance_clerk": [
            ("attendance day", f"/attendance/{building_id}"),
            ("attendance report", f"/attendance/report/{building_id}"),
        ],
        "office_staff": [("my contact problems", "/contacts/mine")],
        "principal": [
            ("messages", "/messages/"),
            ("contacts log (school)", f"/contacts/log/{building_id}"),
            ("attendance day", f"/attendance/{building_id}"),
            ("new message", "/messages/new"),
            ("compose (school)", f"/messages/{draft}/compose"),
        ],
    }
    return common + by_role[role]


class Recorder:
    """Latencies (ms) by label, and failures with their causes, from threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.causes: dict[str, Counter] = defaultdict(Counter)

    def add(self, label: str, elapsed_ms: float, cause: str | None) -> None:
        with self.lock:
            self.latencies[label].append(elapsed_ms)
            if cause is not None:
                self.causes[label][cause] += 1


def failure(response: requests.Response) -> str | None:
    """Why an answer is not a page: None for a 200."""
    if response.status_code == 200:
        return None
    if response.status_code in (301, 302, 303):
        return f"HTTP {response.status_code} to {response.headers.get('Location')}"
    return f"HTTP {response.status_code}"


def staff_member(base, cookie, pages, think, stop, recorder, seed_n) -> None:
    """One staff member opening their pages until `stop` is set."""
    rng = random.Random(seed_n)
    session = requests.Session()
    session.cookies.set("portal_session", cookie, domain="127.0.0.1")
    stop.wait(rng.uniform(0, think))
    while not stop.is_set():
        label, path = rng.choice(pages)
        started = time.perf_counter()
        try:
            response = session.get(base + path, timeout=30, allow_redirects=False)
            cause = failure(response)
        except requests.RequestException as error:
            cause = broken(error)
        recorder.add(label, (time.perf_counter() - started) * 1000, cause)
        stop.wait(rng.expovariate(1 / think) if think else 0)


class LoadAverage:
    """The 1-minute load average, sampled every few seconds in a thread."""

    def __init__(self, every: float = 5.0):
        self.samples = [os.getloadavg()[0]]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(every,), daemon=True)

    def _run(self, every: float) -> None:
        while not self.stop.wait(every):
            self.samples.append(os.getloadavg()[0])

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.samples.append(os.getloadavg()[0])

    def figures(self) -> dict:
        values = self.samples
        return {
            "min": round(min(values), 1),
            "mean": round(sum(values) / len(values), 1),
            "max": round(max(values), 1),
            "cores": os.cpu_count(),
        }


def measure(env, args, fanout_id: int, people: list) -> dict:
    """Run the staff and the callbacks together for `args.seconds`."""
    base = f"http://127.0.0.1:{env.web_port}"
    pages, stop = Recorder(), threading.Event()
    threads = []
    for n, (role, user_id, building_id, draft) in enumerate(people):
        cookie = session_cookie(env.app, user_id)
        walk = pages_for(role, building_id, fanout_id, draft)
        threads.append(
            threading.Thread(
                target=staff_member,
                args=(base, cookie, walk, args.think, stop, pages, n),
                daemon=True,
            )
        )
    pairs = callback_pairs(fanout_id)
    receive, send = multiprocessing.Pipe(duplex=False)
    # Signing takes a while; everything starts together once it is done.
    start_at = time.time() + 5 + args.callback_rate * args.seconds / 2000
    poster = multiprocessing.get_context("fork").Process(
        target=callbacks,
        args=(base, pairs, args.callback_rate, args.seconds, start_at, send),
    )
    poster.start()
    time.sleep(max(0.0, start_at - time.time()))
    with LoadAverage() as load:
        for thread in threads:
            thread.start()
        time.sleep(args.seconds)
        stop.set()
        rows = receive.recv()  # the poster is done when its last answer is in
    poster.join(60)
    for thread in threads:
        thread.join(60)
    return {
        "pages": pages,
        "callbacks": rows,
        "distinct_attempts": len(pairs),
        "load": load.figures(),
    }


def page_costs(env, people: list, fanout_id: int) -> dict[str, dict]:
    """SQL statements and CPU ms of each page, opened once warm, one at a time.

    A second app on the same settings: the bench's own app context stays
    pushed, and requests of that app would share its cached user.
    """
    from portal import create_app
    from portal.config import Config
    from portal.extensions import db

    settings = {
        f.name: env.app.config[f.name] for f in fields(Config) if f.name != "extra"
    }
    app = create_app(Config.from_env(settings))
    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    costs, seen = {}, set()
    for role, user_id, building_id, draft in people:
        if role in seen:
            continue
        seen.add(role)
        client = app.test_client()
        client.set_cookie("portal_session", session_cookie(env.app, user_id))
        for label, path in pages_for(role, building_id, fanout_id, draft):
            client.get(path)  # warm: the first view fills what later ones find
            statements.clear()
            cpu = time.process_time()
            status = client.get(path).status_code
            costs[label] = {
                "queries": len(statements),
                "cpu_ms": round((time.process_time() - cpu) * 1000, 1),
                "status": status,
            }
    with app.app_context():
        db.engine.dispose()
    return costs


def page_rows(pages: Recorder, costs: dict) -> dict:
    rows = {}
    print(
        f"{'page':<22}{'n':>6}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}"
        f"{'errors':>7}{'queries':>8}{'cpu ms':>8}  causes"
    )
    for label in sorted(pages.latencies):
        values = pages.latencies[label]
        cost = costs.get(label, {})
        rows[label] = {
            "n": len(values),
            **latency(values),
            "errors": sum(pages.causes[label].values()),
            "causes": dict(pages.causes[label]),
            "queries": cost.get("queries"),
            "cpu_ms": cost.get("cpu_ms"),
        }
        r = rows[label]
        causes = ", ".join(f"{k} ×{v}" for k, v in r["causes"].items())
        print(
            f"{label:<22}{r['n']:>6}{r['p50_ms']:>8}{r['p95_ms']:>8}{r['p99_ms']:>8}"
            f"{r['max_ms']:>8}{r['errors']:>7}{r['queries']!s:>8}"
            f"{r['cpu_ms']!s:>8}  {causes}"
        )
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=50_000)
    parser.add_argument("--students", type=int, default=80_000)
    parser.add_argument("--staff", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument("--callback-rate", type=float, default=200)
    parser.add_argument("--calls-per-second", type=float, default=100)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    if args.staff <= sum(ROLE_MIX.values()):
        parser.error(f"--staff must be more than {sum(ROLE_MIX.values())}")

    with services.Environment(args.workers, AUTH_ID, AUTH_TOKEN) as env:
        env.app.permanent_session_lifetime = timedelta(hours=12)
        seeded = seed(args.students, args.staff)
        fanout_id = add_message("closure", args.households)
        env.sandbox_config(calls_per_second=0, api_limit=0)
        env.restart_workers(PLIVO_CALLS_PER_SECOND=str(args.calls_per_second))
        from portal.delivery import engine
        from portal.extensions import db

        engine.enqueue_message(fanout_id)
        wait_dialled(fanout_id, min(args.households, 500), limit=600)
        before = dialled(fanout_id)
        run = measure(env, args, fanout_id, seeded["users"])
        during = dialled(fanout_id) - before
        engine.cancel(fanout_id)
        db.session.commit()
        costs = page_costs(env, seeded["users"], fanout_id)

        rows = page_rows(run["pages"], costs)
        hooks = callback_figures(
            run["callbacks"], args.seconds, run["distinct_attempts"]
        )
        worst = max(r["p95_ms"] for r in rows.values())
        load = run["load"]
        print(
            f"worst page p95 {worst} ms (goal < {PAGE_GOAL_MS}); callback p99 "
            f"{hooks['from_due']['p99_ms']} ms (goal < {CALLBACK_GOAL_MS}) at "
            f"{hooks['per_s']}/s of {args.callback_rate}; fan-out dialled {during}; "
            f"load average {load['min']}-{load['max']} (mean {load['mean']}) "
            f"on {load['cores']} cores"
        )
        figures = {
            "pages": rows,
            "callbacks": hooks,
            "worst_page_p95_ms": worst,
            "page_goal_met": worst < PAGE_GOAL_MS,
            "callback_goal_met": hooks["from_due"]["p99_ms"] < CALLBACK_GOAL_MS
            and hooks["per_s"] >= 0.95 * args.callback_rate,
            "load_average": load,
            "households": args.households,
            "students": args.students,
            "directory": seeded["counts"],
            "staff": args.staff,
            "seconds": args.seconds,
            "think_s": args.think,
            "callback_rate_asked": args.callback_rate,
            "fanout_dialled_during": during,
            "fanout_dials_per_s": round(during / args.seconds, 1),
        }
        # Printed before the services stop, so a slow teardown loses nothing.
        print(json.dumps(figures, sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

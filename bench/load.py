"""The portal under load: staff pages and provider callbacks during a fan-out.

    .venv/bin/python -m bench.load --households 50000 --staff 50 --seconds 60

Starts Redis, a scratch PostgreSQL database, the Plivo sandbox, the portal
under gunicorn and delivery workers (bench/services.py), seeds a small
district with one signed-in session per simulated staff member, and starts
a district-wide fan-out of `--households` phone deliveries. While it runs:
- `--staff` threads, each a staff member with their own session cookie, walk
  the pages their role uses, pausing `--think` seconds (exponential) between
  pages, and every page's latency is kept;
- an open-loop generator posts hangup callbacks signed like Plivo's (V3
  signature on PUBLIC_BASE_URL) at `--callback-rate` per second for real
  delivery and attempt ids of the fan-out, and every latency is kept.
Prints a table (p50/p95/max per page, p50/p99 for the callbacks), then one
JSON line last. Goals: p95 < 150 ms per page, callbacks p99 < 1 s.
"""

import argparse
import json
import random
import secrets
import statistics
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import requests
from sqlalchemy import select

from bench import services
from bench.fanout import add_message, dialled, wait_dialled

AUTH_ID, AUTH_TOKEN = "MAXXXXXXXXXXXXXXXXXX", "bench-token"
PAGE_GOAL_MS, CALLBACK_GOAL_MS = 150, 1000
# How many of the 50 staff hold each role (the rest are principals).
ROLE_MIX = {
    "superintendent": 2,
    "it_admin": 3,
    "attendance_clerk": 10,
    "office_staff": 10,
}


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (share 0..1) of `values`."""
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered) + 0.5))
    return ordered[min(rank, len(ordered)) - 1]


def seed(schools: int, staff: int) -> dict:
    """Schools with families, absences, problems, a sent message; staff users."""
    from portal.extensions import db
    from portal.policy import Role
    from tests import factories

    buildings = [factories.building(f"S{n:02d}") for n in range(schools)]
    for building in buildings:
        _families(building, 40)
    principals = staff - sum(ROLE_MIX.values())
    roles = [Role(r) for r, n in ROLE_MIX.items() for _ in range(n)]
    roles += [Role.PRINCIPAL] * principals
    users = []
    for n, role in enumerate(roles):
        building = buildings[n % schools]
        user = factories.user(role, building=building)
        users.append((role.value, user.id, building.id))
    db.session.commit()
    return {"users": users, "buildings": [b.id for b in buildings]}


def _families(building, count: int) -> None:
    """Students with a guardian each, a few absent today, a few bad numbers."""
    from portal import clock
    from portal.attendance.models import Absence
    from portal.contacts.models import ContactProblem
    from portal.directory.models import ContactPoint
    from portal.extensions import db
    from tests import factories

    for n in range(count):
        kid = factories.student(building)
        parent = factories.guardian(kid, phone=f"+1253556{building.id:02d}{n:02d}")
        if n % 8 == 0:
            db.session.add(
                Absence(
                    date=clock.today(),
                    student_id=kid.id,
                    building_id=building.id,
                    code="U",
                )
            )
        if n % 10 == 0:
            point = db.session.scalar(
                select(ContactPoint).where(ContactPoint.guardian_id == parent.id)
            )
            db.session.add(
                ContactProblem(
                    contact_point_id=point.id,
                    building_id=building.id,
                    source="import",
                    reason="too short",
                )
            )
    db.session.commit()


def session_cookie(app, user_id: int) -> str:
    """A signed portal session cookie for a new server-side session."""
    from portal.accounts.models import UserSession
    from portal.extensions import db

    sid = secrets.token_urlsafe(32)
    db.session.add(UserSession(id=sid, user_id=user_id))
    db.session.commit()
    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.dumps({"sid": sid, "_permanent": True})


def pages_for(role: str, building_id: int, fanout_id: int) -> list[tuple[str, str]]:
    """(label, path) of the pages a staff member of `role` keeps opening."""
    common = [("home", "/"), ("policy", "/policy")]
    by_role = {
        "superintendent": [
            ("messages", "/messages/"),
            ("approvals", "/messages/approvals"),
            ("message detail", f"/messages/{fanout_id}"),
            ("delivery progress", f"/delivery/messages/{fanout_id}"),
            ("progress partial", f"/delivery/messages/{fanout_id}/progress"),
            ("contacts log", "/contacts/log"),
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
            ("contacts log", f"/contacts/log/{building_id}"),
            ("attendance day", f"/attendance/{building_id}"),
            ("new message", "/messages/new"),
        ],
    }
    return common + by_role[role]


class Recorder:
    """Latencies (ms) by label, and errors, from many threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)

    def add(self, label: str, started: float, ok: bool) -> None:
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.latencies[label].append(elapsed)
            if not ok:
                self.errors[label] += 1


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
            ok = response.status_code == 200
        except requests.RequestException:
            ok = False
        recorder.add(label, started, ok)
        stop.wait(rng.expovariate(1 / think) if think else 0)


def callback_pairs(message_id: int, limit: int = 5000) -> list[tuple]:
    """(delivery id, attempt id, provider id, address) of dialled deliveries."""
    from portal.delivery.models import Attempt, Delivery
    from portal.extensions import db

    db.session.rollback()
    query = (
        select(Delivery.id, Attempt.id, Attempt.provider_id, Delivery.address)
        .join(Attempt, Attempt.delivery_id == Delivery.id)
        .where(Delivery.message_id == message_id)
        .limit(limit)
    )
    return [tuple(row) for row in db.session.execute(query)]


def signed_hangup(base: str, pair: tuple) -> tuple[str, dict, dict]:
    """URL, form and headers of a hangup callback, signed like Plivo's."""
    from portal.telephony import signatures

    delivery_id, attempt_id, provider_id, address = pair
    url = f"{base}/delivery/provider/hangup?delivery={delivery_id}&attempt={attempt_id}"
    form = {
        "CallUUID": provider_id or "call-uuid",
        "ALegRequestUUID": provider_id or "request-uuid",
        "From": "+12535550100",
        "To": address,
        "CallStatus": "completed",
        "HangupCause": "NORMAL_CLEARING",
        "Duration": "12",
        "BillDuration": "12",
    }
    nonce = secrets.token_hex(8)
    signature = signatures.sign("POST", url, form, AUTH_TOKEN, nonce)
    headers = {
        signatures.SIGNATURE_HEADER: signature,
        signatures.NONCE_HEADER: nonce,
    }
    return url, form, headers


def callbacks(base, pairs, rate, stop, recorder) -> None:
    """Post signed callbacks at `rate` per second (open loop) until `stop`."""
    local = threading.local()

    def post(pair):
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        url, form, headers = signed_hangup(base, pair)
        started = time.perf_counter()
        try:
            ok = session.post(url, data=form, headers=headers, timeout=30).ok
        except requests.RequestException:
            ok = False
        recorder.add("callback", started, ok)

    with ThreadPoolExecutor(64) as pool:
        begun, n = time.monotonic(), 0
        while not stop.is_set():
            due = begun + n / rate
            delay = due - time.monotonic()
            if delay > 0:
                stop.wait(delay)
            pool.submit(post, pairs[n % len(pairs)])
            n += 1


def measure(env, args, fanout_id: int, people: dict) -> tuple[Recorder, Recorder]:
    """Run the staff and the callbacks together for `args.seconds`."""
    base = f"http://127.0.0.1:{env.web_port}"
    pages, hooks, stop = Recorder(), Recorder(), threading.Event()
    threads = []
    for n, (role, user_id, building_id) in enumerate(people["users"]):
        cookie = session_cookie(env.app, user_id)
        walk = pages_for(role, building_id, fanout_id)
        threads.append(
            threading.Thread(
                target=staff_member,
                args=(base, cookie, walk, args.think, stop, pages, n),
                daemon=True,
            )
        )
    pairs = callback_pairs(fanout_id)
    threads.append(
        threading.Thread(
            target=callbacks,
            args=(base, pairs, args.callback_rate, stop, hooks),
            daemon=True,
        )
    )
    for thread in threads:
        thread.start()
    time.sleep(args.seconds)
    stop.set()
    for thread in threads:
        thread.join(60)
    return pages, hooks


def report(pages: Recorder, hooks: Recorder, extra: dict) -> dict:
    """Print the table; return the figures for the JSON line."""
    rows = {}
    print(f"{'page':<22}{'n':>7}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'errors':>8}")
    for label in sorted(pages.latencies):
        values = pages.latencies[label]
        rows[label] = {
            "n": len(values),
            "p50_ms": round(statistics.median(values), 1),
            "p95_ms": round(percentile(values, 0.95), 1),
            "max_ms": round(max(values), 1),
            "errors": pages.errors[label],
        }
        r = rows[label]
        print(f"{label:<22}{r['n']:>7}{r['p50_ms']:>9}{r['p95_ms']:>9}"
              f"{r['max_ms']:>9}{r['errors']:>8}")  # fmt: skip
    values = hooks.latencies["callback"] or [0.0]
    callback = {
        "n": len(hooks.latencies["callback"]),
        "per_s": round(len(hooks.latencies["callback"]) / extra["seconds"], 1),
        "p50_ms": round(statistics.median(values), 1),
        "p99_ms": round(percentile(values, 0.99), 1),
        "errors": hooks.errors["callback"],
    }
    print(f"callbacks: {callback['n']} at {callback['per_s']}/s, "
          f"p50 {callback['p50_ms']} ms, p99 {callback['p99_ms']} ms, "
          f"errors {callback['errors']}")  # fmt: skip
    worst = max(r["p95_ms"] for r in rows.values())
    print(f"worst page p95 {worst} ms (goal < {PAGE_GOAL_MS}); "
          f"callback p99 {callback['p99_ms']} ms (goal < {CALLBACK_GOAL_MS})")  # fmt: skip
    return {
        "pages": rows,
        "callbacks": callback,
        "worst_page_p95_ms": worst,
        "page_goal_met": worst < PAGE_GOAL_MS,
        "callback_goal_met": callback["p99_ms"] < CALLBACK_GOAL_MS,
        **extra,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=50_000)
    parser.add_argument("--staff", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument("--callback-rate", type=float, default=200)
    parser.add_argument("--calls-per-second", type=float, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--schools", type=int, default=5)
    args = parser.parse_args(argv)
    if args.staff <= sum(ROLE_MIX.values()):
        parser.error(f"--staff must be more than {sum(ROLE_MIX.values())}")

    with services.Environment(args.workers, AUTH_ID, AUTH_TOKEN) as env:
        env.app.permanent_session_lifetime = timedelta(hours=12)
        people = seed(args.schools, args.staff)
        fanout_id = add_message("closure", args.households)
        env.sandbox_config(calls_per_second=0, api_limit=0)
        env.restart_workers(PLIVO_CALLS_PER_SECOND=str(args.calls_per_second))
        from portal.delivery import engine

        engine.enqueue_message(fanout_id)
        wait_dialled(fanout_id, min(args.households, 500), limit=600)
        before = dialled(fanout_id)
        pages, hooks = measure(env, args, fanout_id, people)
        during = dialled(fanout_id) - before
        engine.cancel(fanout_id)
        from portal.extensions import db

        db.session.commit()
        figures = report(
            pages,
            hooks,
            {
                "households": args.households,
                "staff": args.staff,
                "seconds": args.seconds,
                "think_s": args.think,
                "callback_rate_asked": args.callback_rate,
                "fanout_dialled_during": during,
                "fanout_dials_per_s": round(during / args.seconds, 1),
            },
        )
        # Printed before the services stop, so a slow teardown loses nothing.
        print(json.dumps(figures, sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

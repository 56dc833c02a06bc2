"""A district's attendance day, twice: synthesis requests and time to dial.

    .venv/bin/python -m bench.attendance --absences 10000 --languages 20

Builds a scratch PostgreSQL database with 20 schools and one absent child
per absence (about a tenth share a phone with a sibling), spread over 20
home languages (four of them without any voice: English fallback). Day 1
runs every building; day 2 keeps 80% of the same children and adds new
ones. Google's TTS endpoint is faked at the HTTP layer (`responses`), so
the figures count requests, not Google's speed; `--engine espeak` makes
real audio instead. With `--dial`, the delivery engine then dials every
call against the Plivo sandbox (in-process) at `--cps` calls per second,
and the time from the run's start to the last call dialled is measured;
then the answer XML of up to 1,000 of those calls is built as the answer
callback builds it, counting its CPU time and SQL statements per call.

The bench starts a Redis server of its own: the calls-per-second throttle
is one timeline per Redis, and sharing the machine's Redis with any other
process that dials (a worker, another bench) made this bench wait for the
other's slots (1.4 calls/s instead of 50).
Prints the figures and one JSON line last.
"""

import argparse
import base64
import contextlib
import json
import random
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from datetime import date
from datetime import time as dtime

import psycopg
import responses
from redis import Redis
from sqlalchemy import func, insert, select

from bench.services import free_port
from portal import create_app
from portal.config import Config
from portal.extensions import db

PG_ADMIN_URL = "postgresql://127.0.0.1:5432/postgres"
LANGUAGES = [
    "en", "es", "vi", "ru", "uk", "zh", "ko", "tl", "ar", "pt",
    "fr", "de", "ja", "hi", "pl", "am", "so", "ht", "sm", "hmn",
]  # fmt: skip
FIRST = ["Ana", "Luis", "Mai", "Ivan", "Olena", "Wei", "Min", "Jose", "Omar", "Rosa"]
LAST = ["Reyes", "Nguyen", "Petrov", "Kim", "Santos", "Ali", "Tran", "Lopez"]
DAY1, DAY2 = date(2026, 12, 3), date(2026, 12, 4)
ANSWER_SAMPLE = 1000
GTTS_URL = re.compile(r"https://translate\.google\.com/_/TranslateWebserverUi/.*")


def fake_gtts_body() -> str:
    audio = base64.b64encode(b"ID3fake-mp3").decode()
    return ')]}\'\n\n[["wrb.fr","jQ1olc","[\\"' + audio + '\\"]",null]]\n'


def scratch_database() -> tuple[str, str]:
    name = f"bench_attendance_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, f"postgresql+psycopg://127.0.0.1:5432/{name}"


def drop_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def private_redis():
    """A Redis server of this run's own (its own throttle timeline); its URL."""
    folder = tempfile.mkdtemp(prefix="bench-attendance-redis-")
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no",
         "--dir", folder],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    try:
        for _ in range(100):
            with contextlib.suppress(Exception):
                Redis.from_url(url).ping()
                break
            time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(folder, ignore_errors=True)


def seed_district(absences: int, languages: list[str], rng) -> list[dict]:
    """Schools, students, guardians with phones; returns the children."""
    from portal.attendance.models import AttendanceTemplate
    from portal.directory.models import (
        Building,
        ContactPoint,
        Guardian,
        GuardianLink,
        Student,
    )

    buildings = [
        {"code": f"S{i:02d}", "name": f"School {i}", "kind": "school",
         "timezone": "America/Los_Angeles", "end_of_day": dtime(15, 30),
         "calling_window_start": dtime(0, 0), "calling_window_end": dtime(23, 59),
         "active": True}
        for i in range(20)
    ]  # fmt: skip
    db.session.execute(insert(Building), buildings)
    building_ids = list(db.session.scalars(select(Building.id)))
    for language in languages:
        if language not in ("en", "so", "ht", "sm", "hmn"):
            db.session.add(
                AttendanceTemplate(
                    language=language,
                    subject="{school}",
                    text=f"[{language}] {{school}}: {{names}} absent {{date}}.",
                    and_word="+",
                )
            )
    children = make_children(absences * 2, building_ids, languages, rng)
    db.session.execute(insert(Student), [c["student"] for c in children])
    db.session.execute(
        insert(Guardian), [c["guardian"] for c in children if c["guardian"]]
    )
    db.session.commit()
    student_ids = dict(
        db.session.execute(select(Student.student_number, Student.id)).all()
    )
    guardian_ids = dict(
        db.session.execute(select(Guardian.guardian_number, Guardian.id)).all()
    )

    links, points = [], []
    for child in children:
        gid = guardian_ids[child["guardian_number"]]
        child["id"] = student_ids[child["student"]["student_number"]]
        links.append({"guardian_id": gid, "student_id": child["id"], "priority": 1,
                      "relationship_to_student": "parent", "active": True})  # fmt: skip
        if child["guardian"]:
            phone = child["phone"]
            points.append({"guardian_id": gid, "kind": "mobile_phone", "raw": phone,
                           "address": phone, "priority": 1, "active": True})  # fmt: skip
    db.session.execute(insert(GuardianLink), links)
    db.session.execute(insert(ContactPoint), points)
    db.session.commit()
    return children


def make_children(count, building_ids, languages, rng) -> list[dict]:
    """Children with unique names; about one in ten is a sibling of the last."""
    children = []
    for n in range(count):
        sibling = children and rng.random() < 0.1
        previous = children[-1] if sibling else None
        language = previous["language"] if previous else rng.choice(languages)
        building = (
            previous["student"]["building_id"] if previous else rng.choice(building_ids)
        )
        guardian_number = previous["guardian_number"] if previous else f"G{n:06d}"
        children.append({
            "language": language,
            "guardian_number": guardian_number,
            "phone": f"+1253{5000000 + n:07d}",
            "student": {"student_number": f"S{n:06d}",
                        "first_name": f"{rng.choice(FIRST)}{n}",
                        "last_name": rng.choice(LAST), "building_id": building,
                        "grade": "5", "home_language": language, "active": True},
            "guardian": None if previous else {
                "guardian_number": guardian_number, "first_name": "Parent",
                "last_name": "Example", "language": language, "active": True},
        })  # fmt: skip
    return children


def add_absences(children, day) -> None:
    from portal.attendance.models import Absence

    rows = [
        {"date": day, "student_id": c["id"], "building_id": c["student"]["building_id"],
         "code": "U", "held": False}
        for c in children
    ]  # fmt: skip
    db.session.execute(insert(Absence), rows)
    db.session.commit()


def run_day(day) -> dict:
    """Run every building for `day`; count synthesis requests and calls."""
    from portal.attendance import service
    from portal.attendance.models import AttendanceRun
    from portal.directory.models import Building
    from portal.telephony import tts

    before = sum(tts.requests_made.values())
    started = time.perf_counter()
    for building_id in db.session.scalars(select(Building.id).order_by(Building.id)):
        service.run_building(building_id, day)
    elapsed = time.perf_counter() - started
    runs = list(
        db.session.scalars(select(AttendanceRun).where(AttendanceRun.date == day))
    )
    return {
        "synthesis_requests": sum(tts.requests_made.values()) - before,
        "households": sum(r.counts.get("households", 0) for r in runs),
        "fallback_households": sum(
            r.counts.get("fallback_households", 0) for r in runs
        ),
        "run_seconds": round(elapsed, 2),
        "started": started,
        "message_ids": [r.message_id for r in runs],
    }


def dial_all(app, message_ids, started) -> float:
    """Work every message's deliveries on the sandbox: (seconds, phone states)."""
    from portal.delivery import worker
    from portal.delivery.models import PENDING, Delivery

    while True:
        for message_id in message_ids:
            worker.work_slice(message_id)
        waiting = db.session.scalar(
            select(func.count(Delivery.id)).where(
                Delivery.channel == "phone", Delivery.state == PENDING
            )
        )
        if not waiting:
            elapsed = time.perf_counter() - started
            states = dict(
                db.session.execute(
                    select(Delivery.state, func.count(Delivery.id))
                    .where(Delivery.channel == "phone")
                    .group_by(Delivery.state)
                ).all()
            )
            return elapsed, states


def answer_costs(message_ids) -> dict:
    """Build calls' answer XML as the answer callback does: CPU and SQL a call.

    An even sample of at most about `ANSWER_SAMPLE` calls: the cost per call
    does not need all 9,000 of a 10,000-absence day.
    """
    from sqlalchemy import event

    from portal.delivery.content import voice_parts
    from portal.delivery.models import Delivery
    from portal.telephony import xml

    calls = list(
        db.session.scalars(
            select(Delivery.id)
            .where(Delivery.message_id.in_(message_ids), Delivery.channel == "phone")
            .order_by(Delivery.id)
        )
    )
    ids = calls[:: max(1, len(calls) // ANSWER_SAMPLE)]  # evenly spread
    statements = []
    count = lambda *_args: statements.append(1)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", count)
    cpu = 0.0
    for delivery_id in ids:
        db.session.remove()  # each answer is a request with a fresh session
        started = time.process_time()
        delivery = db.session.get(Delivery, delivery_id)
        xml.answer(
            voice_parts(delivery), caller=delivery.message.building.name,
            number="+12535550100", language=delivery.content_language,
            repeat_url="http://portal.test/repeat", machine=False,
        )  # fmt: skip
        cpu += time.process_time() - started
    event.remove(db.engine, "before_cursor_execute", count)
    return {
        "answers_built": len(ids),
        "answer_cpu_ms_per_call": round(1000 * cpu / max(len(ids), 1), 2),
        "answer_sql_per_call": round(len(statements) / max(len(ids), 1), 1),
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--absences", type=int, default=10_000)
    parser.add_argument("--languages", type=int, default=20)
    parser.add_argument("--engine", choices=["gtts", "espeak"], default="gtts")
    parser.add_argument("--dial", action="store_true", help="dial on the sandbox")
    parser.add_argument("--cps", type=float, default=50.0)
    args = parser.parse_args(argv)
    rng = random.Random(4404)
    languages = LANGUAGES[: args.languages]

    name, url = scratch_database()
    try:
        with private_redis() as redis_url:
            return _with_services(args, languages, rng, name, url, redis_url)
    finally:
        drop_database(name)
        shutil.rmtree(f"/tmp/{name}-audio", ignore_errors=True)


def _with_services(args, languages, rng, name, url, redis_url) -> dict:
    """The sandbox (with --dial) and the app, then the measurements."""
    sandbox = None
    try:
        if args.dial:
            from portal.sandbox.server import SandboxServer

            sandbox = SandboxServer(
                {"calls_per_second": args.cps, "callbacks": False}
            ).start()
        overrides = {
            "DATABASE_URL": url, "REDIS_URL": redis_url, "TTS_ENGINE": args.engine,
            "PLIVO_CALLS_PER_SECOND": args.cps,
            "PLIVO_API_URL": sandbox.base_url if sandbox else "http://127.0.0.1:9",
            "AUDIO_DIR": f"/tmp/{name}-audio", "TTS_RETRY_DELAYS": (0.1, 0.2),
        }  # fmt: skip
        app = create_app(Config.from_env(overrides))
        with (
            app.app_context(),
            responses.RequestsMock(assert_all_requests_are_fired=False) as mock,
        ):
            mock.add_passthru("http://127.0.0.1")
            mock.add(responses.POST, GTTS_URL, body=fake_gtts_body())
            return _measure(app, args, languages, rng, dial=bool(sandbox))
    finally:
        if sandbox is not None:
            sandbox.server.shutdown()


def _measure(app, args, languages, rng, dial: bool) -> dict:
    from portal.delivery import dispatch

    dispatch.wake = lambda message_id: None  # the bench dials by itself below
    db.create_all()
    children = seed_district(args.absences, languages, rng)
    day1_children = children[: args.absences]
    kept = rng.sample(day1_children, int(args.absences * 0.8))
    day2_children = kept + children[args.absences : args.absences * 2 - len(kept)]
    add_absences(day1_children, DAY1)
    add_absences(day2_children, DAY2)

    day1 = run_day(DAY1)
    dial_seconds, dialled = (
        dial_all(app, day1["message_ids"], day1["started"]) if dial else (None, None)
    )
    answers = answer_costs(day1["message_ids"]) if dial else {}
    day2 = run_day(DAY2)
    figures = {
        "bench": "attendance",
        "absences": args.absences,
        "languages": len(languages),
        "engine": args.engine,
        "day1_households": day1["households"],
        "day1_synthesis_requests": day1["synthesis_requests"],
        "day1_run_seconds": day1["run_seconds"],
        "day2_new_children": args.absences - len(kept),
        "day2_synthesis_requests": day2["synthesis_requests"],
        "day2_run_seconds": day2["run_seconds"],
        "fallback_households_day1": day1["fallback_households"],
        "dial_cps": args.cps if dial else None,
        "day1_phone_states": dialled,
        "day1_start_to_last_dial_seconds": round(dial_seconds, 1) if dial else None,
        **answers,
    }
    for key, value in figures.items():
        print(f"{key:34} {value}")
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()

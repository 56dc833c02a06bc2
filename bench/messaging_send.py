"""A district-wide send: audience count, limits and `send()` at scale.

    .venv/bin/python -m bench.messaging_send --students 50000

Builds a scratch PostgreSQL database with 20 schools, one guardian per
student (a tenth share a phone with a sibling's guardian, half have an
e-mail address, 10 home languages), then composes a district closure by
phone, SMS and e-mail and times: the compose page's live count
(`audience.summarize`), the limit check, and `sending.send` (one
transaction, bulk inserts). Prints the figures and one JSON line last.
"""

import argparse
import json
import random
import time
import uuid
from datetime import time as dtime

import psycopg
from sqlalchemy import func, insert, select

from portal import create_app
from portal.config import Config
from portal.extensions import db

PG_ADMIN_URL = "postgresql://127.0.0.1:5432/postgres"
LANGUAGES = ["en", "es", "vi", "ru", "uk", "zh", "ko", "tl", "so", "ar"]


def scratch_database() -> tuple[str, str]:
    name = f"bench_messaging_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, f"postgresql+psycopg://127.0.0.1:5432/{name}"


def drop_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(students: int, rng) -> None:
    from portal.directory.models import (
        Building,
        ContactPoint,
        Guardian,
        GuardianLink,
        Student,
    )

    db.session.execute(
        insert(Building),
        [
            {"code": f"S{i:02d}", "name": f"School {i}", "kind": "school",
             "timezone": "America/Los_Angeles", "end_of_day": dtime(15, 30),
             "calling_window_start": dtime(0, 0),
             "calling_window_end": dtime(23, 59), "active": True}
            for i in range(20)
        ],
    )  # fmt: skip
    kids, parents, links, points = [], [], [], []
    for n in range(1, students + 1):
        language = rng.choice(LANGUAGES)
        kids.append(
            {"id": n, "student_number": f"S{n}", "first_name": "Kid",
             "last_name": "X", "building_id": 1 + n % 20, "grade": str(n % 12),
             "home_language": language, "active": True}
        )  # fmt: skip
        parents.append(
            {"id": n, "guardian_number": f"G{n}", "first_name": "Parent",
             "last_name": "X", "language": language, "active": True}
        )  # fmt: skip
        links.append(
            {"guardian_id": n, "student_id": n, "relationship_to_student": "",
             "priority": 1, "active": True}
        )  # fmt: skip
        phone = n - 1 if n % 10 == 0 else n
        points.append(
            {"guardian_id": n, "kind": "mobile_phone", "raw": "x",
             "address": f"+1253{phone:07d}", "priority": 1, "active": True}
        )  # fmt: skip
        if n % 2:
            points.append(
                {"guardian_id": n, "kind": "email", "raw": "x",
                 "address": f"parent{n}@example.org", "priority": 1,
                 "active": True}
            )  # fmt: skip
    for model, rows in (
        (Student, kids), (Guardian, parents), (GuardianLink, links),
        (ContactPoint, points),
    ):  # fmt: skip
        for start in range(0, len(rows), 10000):
            db.session.execute(insert(model), rows[start : start + 10000])
    db.session.commit()


def timed(label, figures, fn):
    start = time.perf_counter()
    result = fn()
    figures[label] = round(time.perf_counter() - start, 2)
    print(f"{label}: {figures[label]} s")
    return result


def run(students: int) -> dict:
    from portal.delivery.models import Delivery
    from portal.messaging import audience, limits, sending, service
    from portal.policy import Role
    from tests import factories

    seed(students, random.Random(7))
    superintendent = factories.user(Role.SUPERINTENDENT)
    message = service.create_draft(
        superintendent, kind="closure", building_id=None, title="Snow day"
    )
    service.edit_draft(message, superintendent, channels=["phone", "sms", "email"])
    service.set_variant(message, superintendent, "en", "Closed", "Schools closed.")
    service.attach_recording(
        message, superintendent, "en", b"RIFF\x00\x00\x00\x00WAVE" + b"\x00" * 100
    )
    figures = {"students": students}
    summary = timed(
        "live_count_s",
        figures,
        lambda: audience.summarize(message.audience, message.channels),
    )
    figures["households"] = summary["households"]
    timed("limit_check_s", figures, lambda: limits.is_over(message))
    sending._wake = lambda message_id: None
    sending.notify.mail_notices = lambda ids, message_id: None
    count = timed(
        "send_s", figures, lambda: sending.send(message.id, superintendent.id)
    )
    figures["deliveries"] = count
    figures["rows_in_table"] = db.session.scalar(select(func.count(Delivery.id)))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=50000)
    args = parser.parse_args()
    name, url = scratch_database()
    try:
        config = Config.from_env(
            {"PORTAL_ENV": "testing", "DATABASE_URL": url, "SECRET_KEY": "x" * 40}
        )
        app = create_app(config)
        with app.app_context():
            db.create_all()
            figures = run(args.students)
            db.session.remove()
            db.engine.dispose()
    finally:
        drop_database(name)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

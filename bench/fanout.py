"""Fan-out benchmark: the whole delivery pipeline against the Plivo sandbox.

    .venv/bin/python -m bench.fanout --households 200000 --workers 4

Starts its own Redis, a scratch PostgreSQL database, the sandbox (gunicorn),
the portal (gunicorn, for callbacks) and worker processes, then measures:
(a) deliveries dialled (accepted by the provider) per second with no
    provider limit, beside a bare loop of plivo SDK calls with the same
    concurrency (workers x --in-flight threads), and callbacks per second;
(b) the sandbox limited to 50 calls per second: achieved / 50, the busiest
    one-second window, 429s;
(c) emergencies approved while a large outreach is going out: seconds from
    approval to first dial;
(d) peak memory (VmHWM) of a worker.
Prints a table, then one JSON line last.

    .venv/bin/python -m bench.fanout --profile --households 400

instead delivers from this process and prints CPU milliseconds per delivery
(worker, its PostgreSQL backend, sandbox, callback server) and statements
and commits per delivery; a cProfile listing goes to stderr.
"""

import argparse
import json
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from sqlalchemy import func, insert, select

from bench import services

AUTH_ID = "MAXXXXXXXXXXXXXXXXXX"
AUTH_TOKEN = "bench-token"


def bare_calls(args: tuple[str, int, int]) -> int:
    """One process of the bare loop: `threads` threads, one SDK client each."""
    from concurrent.futures import ThreadPoolExecutor

    base_url, count, threads = args

    def loop(per: int) -> int:
        import plivo

        from portal.telephony.plivo_client import RewriteAdapter

        client = plivo.RestClient(AUTH_ID, AUTH_TOKEN, timeout=10)
        client.session.mount("https://api.plivo.com", RewriteAdapter(base_url))
        for n in range(per):
            client.voice_retry_count = 2
            client.calls.create(
                from_="+12535550100",
                to_=f"+1253{8000000 + n % 80:07d}",
                answer_url="http://127.0.0.1:9/answer",
            )
        return per

    with ThreadPoolExecutor(threads) as pool:
        return sum(pool.map(loop, [max(1, count // threads)] * threads))


def bare_rate(base_url: str, workers: int, in_flight: int, total: int) -> float:
    """SDK calls per second with the pipeline's concurrency (workers x in flight)."""
    per = max(1, total // workers)
    started = time.monotonic()
    with ProcessPoolExecutor(workers) as pool:
        jobs = [(base_url, per, in_flight)] * workers
        done = sum(pool.map(bare_calls, jobs))
    return done / (time.monotonic() - started)


def address(n: int) -> str:
    """A distinct number whose last two digits the sandbox always answers."""
    return f"+1253{n // 60:05d}{n % 60:02d}"


def add_message(kind: str, households: int, start: int = 0) -> int:
    """A sending message with `households` pending phone deliveries."""
    from portal.delivery.models import Delivery
    from portal.extensions import db
    from portal.messaging.models import Message, MessageVariant

    message = Message(kind=kind, title=f"bench {kind}", channels=["phone"])
    message.state = "sending"
    message.variants.append(MessageVariant(language="en", text="Bench message."))
    db.session.add(message)
    db.session.commit()
    for low in range(0, households, 10_000):
        rows = [
            {
                "message_id": message.id,
                "channel": "phone",
                "address": address(start + n),
                "recipients": {},
                "state": "pending",
                "priority": 1,
                "attempt_count": 0,
                "outcome_unknown": False,
                "language": "en",
                "content_language": "en",
            }
            for n in range(low, min(households, low + 10_000))
        ]
        db.session.execute(insert(Delivery), rows)
        db.session.commit()
    return message.id


def dialled(message_id: int) -> int:
    """Deliveries the provider accepted (submitted, or already final)."""
    from portal.delivery.models import CLAIMED, PENDING, Delivery
    from portal.extensions import db

    db.session.rollback()
    return db.session.scalar(
        select(func.count(Delivery.id)).where(
            Delivery.message_id == message_id,
            Delivery.state.not_in((PENDING, CLAIMED)),
        )
    )


def wait_dialled(message_id: int, target: int, limit: float, poll=0.2) -> float:
    deadline = time.monotonic() + limit
    while dialled(message_id) < target:
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up: message {message_id} not dialled in {limit}s")
        time.sleep(poll)
    return time.monotonic()


def phase_a(env, households: int, in_flight: int) -> dict:
    from portal.delivery import engine

    env.sandbox_config(calls_per_second=0, api_limit=0)
    env.restart_workers(PLIVO_CALLS_PER_SECOND="0", DELIVERY_IN_FLIGHT=str(in_flight))
    callbacks_before = env.sandbox_stats()["counts"].get("callbacks_sent", 0)
    message_id = add_message("closure", households)
    started = time.monotonic()
    engine.enqueue_message(message_id)
    ended = wait_dialled(message_id, households, limit=households)
    pipeline = households / (ended - started)

    env.wait_final(message_id, limit=households)
    drained = time.monotonic()
    callbacks = env.sandbox_stats()["counts"].get("callbacks_sent", 0)
    # The pipeline met an empty sandbox; so does the bare loop (one holding
    # every call of the run answers more slowly).
    env.sandbox_reset()
    bare = bare_rate(env.sandbox_url, env.workers, in_flight, min(households, 20_000))
    return {
        "pipeline_per_s": round(pipeline, 1),
        "bare_sdk_per_s": round(bare, 1),
        "ratio": round(pipeline / bare, 3),
        "callbacks_per_s": round(
            (callbacks - callbacks_before) / (drained - started), 1
        ),
    }


def phase_b(env, households: int, in_flight: int, limit: int = 50) -> dict:
    from portal.delivery import engine

    env.sandbox_reset()
    env.sandbox_config(calls_per_second=limit, api_limit=300, api_window_seconds=5)
    env.restart_workers(
        PLIVO_CALLS_PER_SECOND=str(limit), DELIVERY_IN_FLIGHT=str(in_flight)
    )
    message_id = add_message("closure", households, start=300_000)
    started = time.monotonic()
    engine.enqueue_message(message_id)
    ended = wait_dialled(message_id, households, limit=households)
    stats = env.sandbox_stats()
    achieved = households / (ended - started)
    return {
        "limit": limit,
        "achieved_per_s": round(achieved, 2),
        "achieved_over_limit": round(achieved / limit, 3),
        "busiest_1s": stats["max_calls_created_in_1s"],
        "responses_429": stats["responses_429"],
    }


def phase_c(env, outreach: int, emergencies: int = 5) -> dict:
    from portal.delivery import engine
    from portal.extensions import db

    big = add_message("outreach", outreach, start=600_000)
    engine.enqueue_message(big)
    wait_dialled(big, min(outreach, 200), limit=600)
    delays = []
    for n in range(emergencies):
        message_id = add_message("emergency", 1, start=900_000 + n)
        approved = time.monotonic()
        engine.enqueue_message(message_id)
        # First dial: the provider accepted the emergency's call.
        delays.append(wait_dialled(message_id, 1, limit=120, poll=0.01) - approved)
        time.sleep(1)
    engine.cancel(big)
    db.session.commit()
    return {
        "outreach_households": outreach,
        "approval_to_first_dial_s": [round(d, 3) for d in delays],
        "median_s": round(statistics.median(delays), 3),
    }


def process_group_cpu(pgid: int) -> float:
    """CPU seconds used so far by every process in a process group."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def profile(env, households: int) -> dict:
    """Deliver `households` calls from this process, then again under cProfile.

    Returns, per delivery of the first (unprofiled) run: CPU milliseconds
    in the worker (all its threads), its PostgreSQL backend, the sandbox and
    the callback server, and statements and commits sent. The cProfile
    listing of the second run (the slice's own thread) goes to stderr.
    """
    import cProfile
    import pstats

    from sqlalchemy import event, text

    from portal.delivery import worker
    from portal.extensions import db

    env.sandbox_config(calls_per_second=0, api_limit=0)
    env.app.config["PLIVO_CALLS_PER_SECOND"] = 0
    counts = {"statements": 0, "commits": 0}
    event.listen(
        db.engine, "before_cursor_execute", lambda *_: _count(counts, "statements")
    )
    event.listen(db.engine, "commit", lambda *_: _count(counts, "commits"))
    backend = db.session.scalar(text("SELECT pg_backend_pid()"))
    db.session.commit()

    message_id = add_message("closure", households, start=950_000)
    groups = {name: process.pid for name, process in env.named.items()}
    before = {name: process_group_cpu(pid) for name, pid in groups.items()}
    backend_before, cpu_before = backend_cpu(backend), time.process_time()
    counts.update(statements=0, commits=0)
    while dialled(message_id) < households:
        worker.work_slice(message_id)
    cpu = time.process_time() - cpu_before
    sent = dict(counts)
    env.wait_final(message_id, limit=households)
    per = {
        "worker_cpu_ms": cpu,
        "postgres_backend_cpu_ms": backend_cpu(backend) - backend_before,
        **{
            f"{name}_cpu_ms": process_group_cpu(pid) - before[name]
            for name, pid in groups.items()
        },
    }
    result = {k: round(1000 * v / households, 2) for k, v in per.items()}
    result["statements"] = round(sent["statements"] / households, 2)
    result["commits"] = round(sent["commits"] / households, 2)

    message_id = add_message("closure", households, start=970_000)
    profiler = cProfile.Profile()
    profiler.enable()
    while dialled(message_id) < households:
        worker.work_slice(message_id)
    profiler.disable()
    pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    return result


def _count(counts: dict, name: str) -> None:
    counts[name] += 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--limited-households", type=int, default=None)
    parser.add_argument("--outreach-households", type=int, default=None)
    parser.add_argument(
        "--in-flight",
        type=int,
        default=4,
        help="provider requests each worker keeps in flight (DELIVERY_IN_FLIGHT)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="only profile the worker in this process: CPU and statements per call",
    )
    args = parser.parse_args(argv)
    if args.profile:
        with services.Environment(0, AUTH_ID, AUTH_TOKEN) as env:
            print(json.dumps({"per_delivery": profile(env, args.households)}))
        return 0
    limited = args.limited_households or min(args.households, 3000)
    outreach = args.outreach_households or min(args.households, 100_000)

    with services.Environment(args.workers, AUTH_ID, AUTH_TOKEN) as env:
        a = phase_a(env, args.households, args.in_flight)
        b = phase_b(env, limited, args.in_flight)
        c = phase_c(env, outreach)
        d = {"worker_peak_rss_mb": env.worker_peak_mb()}

    rows = [
        ("(a) pipeline dialled/s, no limit", a["pipeline_per_s"]),
        ("(a) bare SDK loop calls/s", a["bare_sdk_per_s"]),
        ("(a) ratio (goal >= 0.8)", a["ratio"]),
        ("(a) callbacks handled/s", a["callbacks_per_s"]),
        ("(b) achieved / 50 (goal >= 0.95)", b["achieved_over_limit"]),
        ("(b) busiest 1 s window (<= 50)", b["busiest_1s"]),
        ("(b) 429s seen (goal 0)", b["responses_429"]),
        ("(c) approval -> first dial, median s", c["median_s"]),
        ("(d) worker peak RSS, MB", d["worker_peak_rss_mb"]),
    ]
    print(
        f"households={args.households} workers={args.workers} "
        f"limited={limited} outreach={outreach}"
    )
    for label, value in rows:
        print(f"{label:<42} {value}")
    print(
        json.dumps(
            {
                "households": args.households,
                "workers": args.workers,
                "a": a,
                "b": b,
                "c": c,
                "d": d,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Worker processes killed, Redis restarted, faults injected: nobody twice.

These run real worker processes against the sandbox and PostgreSQL. The
sandbox's memory of created calls is the witness: every household must
have been called exactly once, whatever happened to the workers.
"""

import os
import signal
import time

import pytest
from redis import Redis

from portal.delivery import engine
from portal.delivery.models import Attempt, Delivery
from portal.extensions import db
from tests.delivery import flow, helpers
from tests.delivery.conftest import Workers, build_portal

pytestmark = pytest.mark.xdist_group("serial")

# Answered, presses 1, voicemail: outcomes that are never redialled.
REACHABLE = range(0, 80)


def submitted_count(message_id: int) -> int:
    db.session.expire_all()
    return (
        db.session.query(Delivery)
        .filter(Delivery.message_id == message_id, Delivery.attempt_count > 0)
        .count()
    )


def wait_for_progress(message_id: int, at_least: int, limit: float = 300) -> None:
    deadline = time.monotonic() + limit
    while submitted_count(message_id) < at_least:
        assert time.monotonic() < deadline, "the fan-out made no progress"
        time.sleep(0.05)


def details(message_id: int) -> list:
    rows = db.session.query(Delivery.state, Delivery.detail).filter(
        Delivery.message_id == message_id,
        Delivery.state.not_in(("answered", "voicemail")),
    )
    return rows.limit(10).all()


def assert_each_called_once(sandbox, addresses) -> None:
    calls = flow.calls_per_number(sandbox)
    twice = [a for a in addresses if calls[a] > 1]
    never = [a for a in addresses if calls[a] == 0]
    assert not twice, f"{len(twice)} households called more than once"
    assert not never, f"{len(never)} households never called"


# `make test` size; the 10,000-household run is the `slow` variant below
# and bench/fanout.py. Worker start-up dominates on a busy two-core machine.
HOUSEHOLDS = int(os.environ.get("DELIVERY_FANOUT_HOUSEHOLDS", "400"))


@pytest.mark.parametrize(
    "households",
    [HOUSEHOLDS, pytest.param(10_000, marks=pytest.mark.slow, id="10000")],
)
def test_workers_killed_three_times_nobody_twice(
    portal, workers, sandbox_server, households
):
    if households > HOUSEHOLDS and not os.environ.get("DELIVERY_SLOW_TESTS"):
        pytest.skip("set DELIVERY_SLOW_TESTS=1 for the 10,000-household run")
    msg = helpers.message("outreach")
    addresses = flow.numbers(households, endings=REACHABLE)
    flow.households(msg, addresses)
    engine.enqueue_message(msg.id)

    # Kill 1: this worker dies after the sandbox accepted its 40th call and
    # before our commit of "submitted".
    (crashing,) = workers.start(1, DELIVERY_TEST_CRASH_AFTER_ACCEPT=households // 20)
    victim, _survivor, spare = workers.start(3)
    wait_for_progress(msg.id, households // 4)
    workers.kill(victim)  # kill 2, mid-slice
    wait_for_progress(msg.id, households // 2)
    workers.kill(spare)  # kill 3
    workers.start(1)

    states = flow.wait_until_final(msg.id, limit=600)

    assert sum(states.values()) == households
    assert set(states) <= {"answered", "voicemail"}, details(msg.id)
    assert_each_called_once(sandbox_server, addresses)
    assert crashing.wait(timeout=10) == -signal.SIGKILL  # it did die mid-request


@pytest.fixture
def redis_portal(app, pg_database, own_redis, sandbox_server):
    served = build_portal(pg_database, own_redis.url, sandbox_server)
    with served.app.app_context():
        yield served
    served.server.shutdown()


def test_redis_restarted_mid_run(redis_portal, own_redis, sandbox_server):
    households = HOUSEHOLDS // 2
    msg = helpers.message("outreach")
    addresses = flow.numbers(households, endings=REACHABLE)
    flow.households(msg, addresses)
    engine.enqueue_message(msg.id)
    workers = Workers(redis_portal)
    try:
        workers.start(2)
        wait_for_progress(msg.id, households // 4)

        own_redis.stop()  # every queued job and the throttle's state are lost
        own_redis.start()
        engine.flush_redis_connection()
        assert not Redis.from_url(own_redis.url).keys("rq:queue:*")
        workers.start(2)  # as a supervisor would restart any that exited

        states = flow.wait_until_final(msg.id, limit=600)
    finally:
        workers.stop()

    assert sum(states.values()) == households
    assert_each_called_once(sandbox_server, addresses)


def test_twenty_percent_faults(portal, workers, sandbox_server):
    rate = 100
    sandbox_server.configure(fault_rate=0.2, calls_per_second=rate)
    portal.app.config["PLIVO_CALLS_PER_SECOND"] = rate
    portal.settings["PLIVO_CALLS_PER_SECOND"] = rate
    msg = helpers.message("outreach")
    good = flow.numbers(HOUSEHOLDS // 2, endings=REACHABLE)
    invalid = flow.numbers(20, start=10_000, endings=[94])
    flow.households(msg, good + invalid)
    engine.enqueue_message(msg.id)

    workers.start(3)
    states = flow.wait_until_final(msg.id, limit=600)

    assert sum(states.values()) == len(good) + 20
    assert states["invalid_number"] == 20
    assert_each_called_once(sandbox_server, good)
    invalid_attempts = (
        db.session.query(Attempt)
        .join(Delivery)
        .filter(Delivery.address.in_(invalid))
        .count()
    )
    assert invalid_attempts == 20  # permanent errors are tried once
    stats = sandbox_server.stats()
    assert stats["max_calls_created_in_1s"] <= rate
    assert stats["counts"].get("responses_500", 0) > 0

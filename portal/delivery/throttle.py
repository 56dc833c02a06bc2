"""One calls-per-second and one messages-per-second limit for all workers.

A reservation in Redis (GCRA): each caller takes the next free slot on a
shared timeline and sleeps until it comes. Slots are a little more than
`1/rate` apart and a caller that wakes too late takes a new one, so no
one-second window holds more than `rate` requests, whichever worker or
machine sends them. Redis's own clock places the slots.
"""

import time

from flask import current_app
from redis import Redis

from portal.governance import settings_service
from portal.queues import redis_connection

# KEYS[1]: the timeline key. ARGV[1]: seconds between slots.
# Returns the seconds (as a string) the caller must wait for its slot.
RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local next_free = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, next_free)
redis.call('SET', KEYS[1], string.format('%.6f', slot + interval),
           'PX', math.ceil((slot - now + interval) * 1000) + 1000)
return string.format('%.6f', slot - now)
"""

# The IT administrator's settings page may lower or raise the configured rates.
SETTINGS = {"call": "provider_calls_per_second", "sms": "provider_messages_per_second"}
_scripts: dict[int, object] = {}
# Slots are spaced 3% wider than 1/rate: requests leave several threads and
# processes and reach the provider some milliseconds after their slots, and
# that jitter must not put one request too many in a second. A one-second
# window then holds at most `rate` slots even when each send is up to
# LATE_SECONDS late and reaches the provider 20 ms after that.
MARGIN = 0.03
LATE_SECONDS = 0.01


def _script(connection: Redis):
    key = id(connection)
    if key not in _scripts:
        _scripts[key] = connection.register_script(RESERVE)
    return _scripts[key]


def reserve(channel: str, rate: float, connection: Redis) -> float:
    """Take the next slot for `channel`; returns seconds to wait for it."""
    if rate <= 0:
        return 0.0
    interval = (1.0 + MARGIN) / rate
    wait = _script(connection)(keys=[f"throttle:{channel}"], args=[interval])
    return float(wait)


def wait_for_slot(channel: str, rate: float, connection: Redis) -> None:
    """Block until this thread may send one request, on time for its slot.

    A thread that wakes up more than LATE_SECONDS after its slot (a slow
    answer from Redis, a busy CPU, the GIL) would send close behind the next
    slot's request; it takes a fresh slot instead, so sends stay within
    LATE_SECONDS of their slots. The slot is placed when the question was
    asked, so the time its answer took counts as lateness.
    """
    while True:
        asked = time.monotonic()
        wait = reserve(channel, rate, connection)
        if wait > 0:
            time.sleep(wait)
        if time.monotonic() - (asked + wait) <= LATE_SECONDS:
            return


def rate(channel: str) -> float:
    """The `channel` rate in force (settings page, else configuration)."""
    return settings_service.effective_rate(SETTINGS[channel])


def acquire(channel: str, connection: Redis | None = None) -> None:
    """Block until this worker may send one `channel` request."""
    wait_for_slot(channel, rate(channel), connection or shared_connection())


def shared_connection() -> Redis:
    """The app's Redis connection for the throttle (thread-safe, pooled)."""
    app = current_app._get_current_object()
    connection = app.extensions.get("delivery_redis")
    if connection is None:
        connection = redis_connection()
        app.extensions["delivery_redis"] = connection
    return connection

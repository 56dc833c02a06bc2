"""One calls-per-second and one messages-per-second limit for all workers.

A reservation in Redis (GCRA): each caller takes the next free slot on a
shared timeline and sleeps until it comes. Slots are `1/rate` apart, so no
one-second window ever holds more than `rate` requests, whichever worker or
machine sends them. Redis's own clock is the only clock used.
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


def _script(connection: Redis):
    key = id(connection)
    if key not in _scripts:
        _scripts[key] = connection.register_script(RESERVE)
    return _scripts[key]


def reserve(channel: str, rate: float, connection: Redis) -> float:
    """Take the next slot for `channel`; returns seconds to wait for it."""
    if rate <= 0:
        return 0.0
    wait = _script(connection)(keys=[f"throttle:{channel}"], args=[1.0 / rate])
    return float(wait)


def acquire(channel: str, connection: Redis | None = None) -> float:
    """Block until this worker may send one `channel` request; returns the wait."""
    rate = settings_service.effective_rate(SETTINGS[channel])
    wait = reserve(channel, rate, connection or _shared_connection())
    if wait > 0:
        time.sleep(wait)
    return wait


def _shared_connection() -> Redis:
    app = current_app._get_current_object()
    connection = app.extensions.get("delivery_redis")
    if connection is None:
        connection = redis_connection()
        app.extensions["delivery_redis"] = connection
    return connection

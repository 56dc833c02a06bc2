"""Redis and the RQ queues. Nothing connects until a function is called."""

from flask import current_app
from redis import Redis
from rq import Queue

# Workers listen in this order: an emergency never waits behind a bulk send.
QUEUE_NAMES = ("emergency", "default", "bulk")


def redis_connection(url: str | None = None) -> Redis:
    return Redis.from_url(url or current_app.config["REDIS_URL"])


def shared_redis() -> Redis:
    """The app's own Redis client: one connection pool per process.

    redis-py clients are thread-safe, and a forked work horse gets fresh
    connections from the same pool object.
    """
    app = current_app._get_current_object()
    client = app.extensions.get("redis")
    if client is None:
        client = app.extensions["redis"] = redis_connection()
    return client


def get_queue(name: str = "default", connection: Redis | None = None) -> Queue:
    if name not in QUEUE_NAMES:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=connection or redis_connection())

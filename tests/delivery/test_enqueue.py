"""Waking workers: the queue follows the message's kind and size."""

import pytest
from rq import Queue

from portal.delivery import dispatch, engine
from portal.queues import redis_connection
from tests.delivery import helpers


@pytest.fixture
def queues(app_ctx):
    connection = redis_connection()
    for name in ("emergency", "default", "bulk"):
        Queue(name, connection=connection).empty()
    yield {n: Queue(n, connection=connection) for n in ("emergency", "default", "bulk")}
    for name in ("emergency", "default", "bulk"):
        Queue(name, connection=connection).empty()


@pytest.mark.parametrize(
    ("kind", "size", "queue"),
    [
        ("emergency", 3, "emergency"),
        ("emergency", 3000, "emergency"),
        ("outreach", 3, "default"),
        ("closure", 3000, "bulk"),
        ("attendance", 10, "default"),
    ],
)
def test_queue_by_kind_and_size(queues, kind, size, queue):
    assert engine.queue_for(kind, size) == queue


def test_wake_enqueues_jobs_that_take_the_message_id(queues):
    msg = helpers.message("emergency")
    helpers.deliveries(msg, ["+12535550111", "+12535550112"])

    dispatch.wake(msg.id)

    jobs = queues["emergency"].get_jobs()
    assert jobs
    assert {job.func_name for job in jobs} == {"jobs.delivery.deliver_message"}
    assert {job.args for job in jobs} == {(msg.id,)}
    assert not queues["default"].get_jobs()

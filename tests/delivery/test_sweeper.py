"""The sweeper: dead workers' leases, stale unknown outcomes, wake-ups."""

from datetime import timedelta

from rq import Queue

from jobs import delivery as delivery_jobs
from portal.delivery import outcomes
from portal.delivery.models import Attempt, Delivery
from portal.extensions import db
from portal.models_base import utcnow
from portal.queues import redis_connection
from tests.delivery import helpers


def _claimed(msg, address, with_open_attempt: bool) -> int:
    (delivery_id,) = helpers.deliveries(
        msg,
        [address],
        state="claimed",
        claimed_by="dead-worker",
        lease_until=utcnow() - timedelta(seconds=5),
        attempt_count=1 if with_open_attempt else 0,
    )
    if with_open_attempt:
        db.session.add(Attempt(delivery_id=delivery_id, number=1))
        db.session.commit()
    return delivery_id


def test_expired_leases_come_back_or_await_their_callback(app_ctx):
    redis_connection().flushdb()  # message ids restart in every test
    msg = helpers.message("emergency")
    untouched = _claimed(msg, "+12535550111", with_open_attempt=False)
    in_flight = _claimed(msg, "+12535550112", with_open_attempt=True)

    delivery_jobs.sweep()  # the job, called directly

    db.session.expire_all()
    assert db.session.get(Delivery, untouched).state == "pending"
    flying = db.session.get(Delivery, in_flight)
    assert flying.state == "submitted"
    assert flying.outcome_unknown is True
    assert Queue("emergency", connection=redis_connection()).count >= 1


def test_stale_unknown_text_fails_and_a_late_report_tells_the_truth(app_ctx):
    msg = helpers.message("outreach", channels=("sms",))
    (delivery_id,) = helpers.deliveries(
        msg,
        ["+12535550113"],
        channel="sms",
        state="submitted",
        outcome_unknown=True,
        attempt_count=1,
        updated_at=utcnow() - timedelta(hours=1),
    )
    attempt = Attempt(delivery_id=delivery_id, number=1, result="unknown")
    db.session.add(attempt)
    db.session.commit()

    delivery_jobs.sweep()
    db.session.expire_all()
    assert db.session.get(Delivery, delivery_id).state == "failed"

    outcomes.sms_status(delivery_id, attempt.id, {"Status": "delivered"})
    db.session.expire_all()
    assert db.session.get(Delivery, delivery_id).state == "delivered"

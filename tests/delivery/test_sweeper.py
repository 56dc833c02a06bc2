"""The sweeper: dead workers' leases, stale unknown outcomes, wake-ups."""

from datetime import timedelta

from rq import Queue
from sqlalchemy import select

from jobs import delivery as delivery_jobs
from portal.delivery import outcomes, sweeper
from portal.delivery.models import Attempt, Delivery
from portal.extensions import db
from portal.models_base import utcnow
from portal.queues import redis_connection
from tests.delivery import flow, helpers


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


def _unknown(msg, address, channel, started_at) -> int:
    """A delivery whose request's outcome is unknown and whose grace is over."""
    (delivery_id,) = helpers.deliveries(
        msg,
        [address],
        channel=channel,
        state="submitted",
        outcome_unknown=True,
        attempt_count=1,
        updated_at=utcnow() - timedelta(hours=1),
    )
    db.session.add(
        Attempt(
            delivery_id=delivery_id,
            number=1,
            started_at=started_at,
            result="unknown",
        )
    )
    db.session.commit()
    return delivery_id


def test_stale_unknown_email_fails_and_is_never_resent(app_ctx):
    msg = helpers.message("outreach", channels=("email",))
    delivery_id = _unknown(msg, "parent@example.org", "email", utcnow())

    delivery_jobs.sweep()

    db.session.expire_all()
    delivery = db.session.get(Delivery, delivery_id)
    assert delivery.state == "failed"
    assert delivery.detail == outcomes.UNKNOWN_SETTLED


def test_stale_unknown_texts_are_settled_from_the_providers_records(
    portal, sandbox_server
):
    msg = helpers.message("outreach", channels=("sms",))
    texted, never = "+12535550113", "+12535550114"
    started = utcnow() - timedelta(seconds=1)
    sandbox_server.client().messages.create(
        src="+12535550100", dst=texted, text="Hello from school."
    )
    sandbox_server.wait_for(lambda: sandbox_server.phone(texted))
    sandbox_server.wait_idle()
    ids = {a: _unknown(msg, a, "sms", started) for a in (texted, never)}

    sweeper.settle_stale_unknowns()

    db.session.expire_all()
    assert db.session.get(Delivery, ids[texted]).state == "delivered"
    assert db.session.get(Delivery, ids[never]).state == "pending"
    delivery_jobs.deliver_message(msg.id)
    flow.wait_until_final(msg.id)
    assert flow.texts_per_number(sandbox_server)[texted] == 1
    assert flow.texts_per_number(sandbox_server)[never] == 1


def test_stale_unknown_call_the_provider_called_back_about_is_never_redialled(
    portal, sandbox_server
):
    msg = helpers.message("outreach")
    delivery_id = _unknown(msg, "+12535550115", "phone", utcnow())
    attempt = db.session.scalar(
        select(Attempt).where(Attempt.delivery_id == delivery_id)
    )
    outcomes.call_machine(delivery_id, attempt.id, {"Machine": "false"})

    sweeper.settle_stale_unknowns()  # the sandbox knows no such call: no matter

    db.session.expire_all()
    delivery = db.session.get(Delivery, delivery_id)
    assert delivery.state == "submitted"
    assert delivery.outcome_unknown is True
    outcomes.call_hangup(delivery_id, attempt.id, {"CallStatus": "completed"})
    db.session.expire_all()
    assert db.session.get(Delivery, delivery_id).state == "answered"

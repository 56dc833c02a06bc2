"""Claims: a batch is exactly what was asked, attempts are fenced by the claim."""

from portal.delivery import claims
from portal.delivery.models import Attempt, Delivery
from portal.extensions import db
from tests.delivery import flow, helpers


def _states(ids) -> dict:
    db.session.expire_all()
    return {
        d.id: d.state for d in db.session.query(Delivery).filter(Delivery.id.in_(ids))
    }


def test_a_claim_takes_at_most_the_batch_in_order(app_ctx):
    msg = helpers.message("outreach")
    ids = helpers.deliveries(msg, flow.numbers(50))

    first = claims.claim(msg.id, "worker-a", 20)
    second = claims.claim(msg.id, "worker-b", 20)

    assert first == ids[:20]
    assert second == ids[20:40]
    states = _states(ids)
    assert sum(1 for s in states.values() if s == "claimed") == 40
    assert claims.claim(msg.id, "worker-c", 20) == ids[40:]
    assert claims.claim(msg.id, "worker-c", 20) == []


def test_attempts_are_written_only_under_the_claim_and_withdrawn_unsent(app_ctx):
    msg = helpers.message("outreach")
    ids = helpers.deliveries(msg, flow.numbers(3))
    mine = claims.claim(msg.id, "worker-a", 2)
    claims.release(mine[1:], "worker-a")  # given back before its attempt

    started = claims.begin_attempts(ids, "worker-a")

    assert list(started) == [mine[0]]
    (attempt,) = started.values()
    assert attempt.number == 1
    claims.withdraw([attempt], "worker-a")
    db.session.expire_all()
    row = db.session.get(Attempt, attempt.attempt_id)
    assert row.result == "not_dialled"
    assert _states(ids) == dict.fromkeys(ids, "pending")
    assert db.session.get(Delivery, mine[0]).attempt_count == 1

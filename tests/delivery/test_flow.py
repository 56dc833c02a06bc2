"""End to end against the sandbox: real SDK, real callbacks, real Redis."""

import threading
import time

import pytest
from rq import SimpleWorker

from jobs import delivery as delivery_jobs
from portal.delivery import engine, worker
from portal.delivery.models import Attempt, Delivery, OptOut
from portal.extensions import db
from portal.queues import redis_connection
from tests import factories
from tests.delivery import flow, helpers
from tests.delivery.conftest import queues


def _by_address(message_id):
    db.session.expire_all()
    rows = db.session.query(Delivery).filter_by(message_id=message_id)
    return {row.address: row for row in rows}


def test_job_called_directly_reaches_each_fate(portal, sandbox_server):
    msg = helpers.message("outreach")
    answered, voicemail, busy = "+12535550101", "+12535550171", "+12535550181"
    helpers.deliveries(msg, [answered, voicemail, busy])

    delivery_jobs.deliver_message(msg.id)
    flow.wait_until_final(msg.id)

    rows = _by_address(msg.id)
    assert rows[answered].state == "answered"
    assert rows[voicemail].state == "voicemail"
    assert rows[busy].state == "busy"  # outreach is not redialled
    heard = sandbox_server.phone(answered)[0]["heard"]
    assert any("Hello from school." in str(step) for step in heard)


def test_wake_enqueues_and_a_burst_worker_delivers(portal, sandbox_server):
    msg = helpers.message("emergency", channels=("phone", "sms"))
    helpers.deliveries(msg, ["+12535550102", "+12535550103"])
    helpers.deliveries(msg, ["+12535550102"], channel="sms")
    connection = redis_connection()

    engine.enqueue_message(msg.id)

    assert queues(connection)["emergency"].count >= 1
    worker = SimpleWorker(list(queues(connection).values()), connection=connection)
    worker.work(burst=True, with_scheduler=True)
    states = flow.wait_until_final(msg.id)
    assert states["answered"] == 2
    assert states["delivered"] + states["sent"] == 1


def test_emergency_redials_no_answer_outreach_does_not(portal, sandbox_server):
    emergency = helpers.message("emergency")
    helpers.deliveries(emergency, ["+12535550185"])
    outreach = helpers.message("outreach")
    helpers.deliveries(outreach, ["+12535550186"])

    for msg in (emergency, outreach):
        delivery_jobs.deliver_message(msg.id)
    _drain_until_final(emergency.id, outreach.id)

    assert flow.calls_per_number(sandbox_server)["+12535550185"] == 3
    assert flow.calls_per_number(sandbox_server)["+12535550186"] == 1


def _drain_until_final(*message_ids):
    """Burst workers (with the scheduler, for redials) until all is final."""
    connection = redis_connection()
    worker = SimpleWorker(list(queues(connection).values()), connection=connection)
    deadline = time.monotonic() + 60
    while any(flow.open_count(m) for m in message_ids):
        assert time.monotonic() < deadline, "deliveries never became final"
        worker.work(burst=True, with_scheduler=True)
        time.sleep(0.1)


def test_invalid_number_fails_once_and_opens_a_problem(portal, sandbox_server):
    from portal.contacts.models import ContactProblem

    school = factories.building()
    kid = factories.student(school)
    factories.guardian(kid, phone="+12535550194")
    msg = helpers.message("emergency", building=school)
    helpers.deliveries(msg, ["+12535550194"], building_id=None)

    delivery_jobs.deliver_message(msg.id)
    flow.wait_until_final(msg.id)

    row = _by_address(msg.id)["+12535550194"]
    assert row.state == "invalid_number"
    assert db.session.query(Attempt).filter_by(delivery_id=row.id).count() == 1
    assert db.session.query(ContactProblem).count() == 1


def test_siblings_on_one_phone_get_one_call(portal, sandbox_server):
    school = factories.building()
    first, second = factories.student(school), factories.student(school)
    parent = factories.guardian(first, second, phone="+12535550104")
    msg = helpers.message("outreach", building=school)
    helpers.deliveries(msg, ["+12535550104"], recipients={"guardians": [parent.id]})

    delivery_jobs.deliver_message(msg.id)
    flow.wait_until_final(msg.id)

    assert flow.calls_per_number(sandbox_server)["+12535550104"] == 1


@pytest.mark.parametrize(("kind", "texted"), [("emergency", True), ("outreach", False)])
def test_opted_out_number(portal, sandbox_server, kind, texted):
    db.session.add(OptOut(address="+12535550105", keyword="STOP"))
    db.session.commit()
    msg = helpers.message(kind, channels=("phone", "sms"))
    helpers.deliveries(msg, ["+12535550105"], channel="sms")
    helpers.deliveries(msg, ["+12535550105"], channel="phone")

    delivery_jobs.deliver_message(msg.id)
    states = flow.wait_until_final(msg.id)

    assert flow.calls_per_number(sandbox_server)["+12535550105"] == 1
    assert (flow.texts_per_number(sandbox_server)["+12535550105"] == 1) is texted
    assert (states["opted_out"] == 1) is not texted


def test_stop_start_help_by_text(portal, sandbox_server):
    url = portal.settings["PUBLIC_BASE_URL"] + "/delivery/provider/sms-inbound"
    from portal.sandbox import messages

    reply = messages.text_portal(sandbox_server.sandbox, "+12535550106", "Stop", url)
    assert reply
    db.session.expire_all()
    assert db.session.get(OptOut, "+12535550106") is not None

    messages.text_portal(sandbox_server.sandbox, "+12535550106", "START", url)
    db.session.expire_all()
    assert db.session.get(OptOut, "+12535550106") is None

    messages.text_portal(sandbox_server.sandbox, "+12535550106", "help", url)
    texts = sandbox_server.sandbox.store.all_texts()
    assert "district office" in texts[-1].reply


def test_cancel_stops_what_was_not_dialled(portal, sandbox_server):
    msg = helpers.message("outreach")
    helpers.deliveries(msg, flow.numbers(5))

    cancelled = engine.cancel(msg.id)
    db.session.commit()
    delivery_jobs.deliver_message(msg.id)

    assert cancelled == 5
    assert flow.states(msg.id) == {"cancelled": 5}
    assert not sandbox_server.sandbox.store.all_calls()


def test_cancel_stops_requests_of_a_batch_not_sent_yet(portal, sandbox_server):
    portal.app.config["PLIVO_CALLS_PER_SECOND"] = 1  # one request a second
    msg = helpers.message("outreach")
    helpers.deliveries(msg, flow.numbers(10))

    def one_slice():
        with portal.app.app_context():
            worker.work_slice(msg.id)

    sending = threading.Thread(target=one_slice)
    sending.start()
    sandbox_server.wait_for(sandbox_server.sandbox.store.all_calls)
    engine.cancel(msg.id)
    db.session.commit()
    sending.join()
    delivery_jobs.deliver_message(msg.id)  # ends the withdrawn ones
    states = flow.wait_until_final(msg.id)

    assert states["cancelled"] >= 8  # the first request, at most one more
    assert len(sandbox_server.sandbox.store.all_calls()) == 10 - states["cancelled"]


def test_email_in_the_recipients_language(portal, monkeypatch):
    from portal.messaging.models import MessageVariant
    from tests.directory.helpers import start_smtp

    controller, inbox = start_smtp()
    monkeypatch.setitem(portal.app.config, "SMTP_PORT", controller.port)
    try:
        msg = helpers.message("outreach", channels=("email",))
        msg.variants.append(
            MessageVariant(language="es", subject="Aviso", text="Hola, familias.")
        )
        db.session.commit()
        helpers.deliveries(
            msg,
            ["padre@example.org"],
            channel="email",
            language="es",
            content_language="es",
        )

        delivery_jobs.deliver_message(msg.id)
        states = flow.wait_until_final(msg.id)
    finally:
        controller.stop()

    assert states == {"sent": 1}
    ((recipients, mail),) = inbox.messages
    assert recipients == ["padre@example.org"]
    assert mail["Subject"] == "Aviso"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Hola, familias." in text
    assert '<html lang="es">' in html


def test_unknown_call_is_reconciled_before_any_redial(portal, sandbox_server):
    from datetime import timedelta

    from portal.delivery import sweeper
    from portal.models_base import utcnow

    msg = helpers.message("outreach")
    dialled, never = "+12535550108", "+12535550109"
    sandbox_server.client().calls.create(
        from_="+12535550100", to_=dialled, answer_url="http://127.0.0.1:9/a"
    )
    sandbox_server.wait_for(lambda: sandbox_server.phone(dialled))
    sandbox_server.wait_idle()
    old = utcnow() - timedelta(minutes=30)
    for address in (dialled, never):
        (delivery_id,) = helpers.deliveries(
            msg,
            [address],
            state="submitted",
            outcome_unknown=True,
            attempt_count=1,
            updated_at=old,
        )
        db.session.add(
            Attempt(
                delivery_id=delivery_id, number=1, started_at=utcnow(), result="unknown"
            )
        )
    db.session.commit()

    sweeper.settle_stale_unknowns()

    rows = _by_address(msg.id)
    assert rows[dialled].state == "answered"  # from the provider's record
    assert rows[never].state == "pending"  # nothing was dialled: dial it now
    delivery_jobs.deliver_message(msg.id)
    flow.wait_until_final(msg.id)
    assert flow.calls_per_number(sandbox_server)[dialled] == 1
    assert flow.calls_per_number(sandbox_server)[never] == 1

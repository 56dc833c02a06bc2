"""An evacuation advised on a phone-sized screen reaches the simulated phones.

The principal's evacuation is drafted and submitted through the messaging
services; the assistant superintendent advises sending on a 390x844 page;
the principal sends; a burst RQ SimpleWorker delivers against the Plivo
sandbox, whose simulated phones answer and call back the live portal.
"""

import re
import time

import pytest
from rq import Queue, SimpleWorker

from portal.accounts.models import PortalUser
from portal.delivery import sweeper
from portal.directory.models import Building
from portal.extensions import db
from portal.messaging import sending, service
from portal.messaging.models import Message
from portal.queues import QUEUE_NAMES, redis_connection
from tests.browser import journeys_conftest
from tests.browser.conftest import REPORT_VIOLATIONS
from tests.delivery import flow
from tests.messaging.helpers import ready_message
from tests.sandbox import fixtures

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("serial")]

axe = journeys_conftest.axe
district = journeys_conftest.district
sandbox_server = fixtures.sandbox_server
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone_page(browser, console):
    """A phone-sized page; the test fails on any CSP violation it caused."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.add_init_script(REPORT_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("console", lambda m: console.add(f"{m.type}: {m.text}"))
    yield page
    context.close()
    assert not console.csp_violations, console.csp_violations


def _submitted_evacuation(app, district) -> int:
    with app.app_context():
        principal = db.session.get(PortalUser, district.users["principal"])
        lakeview = db.session.get(Building, district.lakeview)
        message = ready_message(
            principal, kind="emergency", building=lakeview, situation="evacuation"
        )
        audience = {
            "buildings": [lakeview.id],
            "grades": "all",
            "groups": ["guardians"],
        }
        service.edit_draft(message, principal, audience=audience)
        service.submit(message, principal)
        db.session.commit()
        return message.id


def _deliver(app, message_id: int, limit: float = 90) -> None:
    """Burst workers (with the scheduler, for wake-ups) until all is final."""
    with app.app_context():
        connection = redis_connection()
        queues = [Queue(name, connection=connection) for name in QUEUE_NAMES]
        worker = SimpleWorker(queues, connection=connection)
        deadline = time.monotonic() + limit
        while flow.open_count(message_id):
            assert time.monotonic() < deadline, flow.states(message_id)
            worker.work(burst=True, with_scheduler=True)
            sweeper.sweep()
            time.sleep(0.2)


def test_evacuation_advised_on_a_phone_reaches_the_simulated_phones(
    app, phone_page, live_url, sign_in, screenshot, axe, district,
    sandbox_server, monkeypatch,
):  # fmt: skip
    monkeypatch.setitem(app.config, "PLIVO_API_URL", sandbox_server.base_url)
    monkeypatch.setitem(app.config, "PLIVO_AUTH_ID", sandbox_server.auth_id)
    monkeypatch.setitem(app.config, "PLIVO_AUTH_TOKEN", sandbox_server.auth_token)
    monkeypatch.setattr("portal.delivery.sms.send_text", lambda to, text: None)
    message_id = _submitted_evacuation(app, district)

    sign_in(phone_page, "assistant")
    phone_page.goto(f"{live_url}/messages/{message_id}/advise")
    axe.check(phone_page)
    screenshot(phone_page, "advise-phone")
    phone_page.get_by_role("button", name="Advise sending").click()
    phone_page.wait_for_url(re.compile(r".*/advise$"))
    phone_page.get_by_text("Your advice is recorded").wait_for()
    axe.check(phone_page)

    with app.app_context():
        assert db.session.get(Message, message_id).state == "approved"
    with app.app_context():
        sending.send(message_id, district.users["principal"])
    _deliver(app, message_id)

    with app.app_context():
        states = flow.states(message_id)
    assert states["answered"] == 3, states
    for n in range(3):
        assert sandbox_server.phone(f"+1253555{n:04d}"), n
    assert axe.serious == []

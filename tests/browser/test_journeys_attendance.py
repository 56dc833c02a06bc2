"""An attendance clerk holds an absence and watches the run.

The clerk holds one corrected absence on the day's page. The building's
run is then queued as the cron tick queues it, and a burst RQ SimpleWorker
runs it (espeak-ng speaks the names) and delivers the calls against the
Plivo sandbox, whose simulated phones answer, reach voicemail or ring out
and call back the live portal. The clerk's open page follows the results.
"""

import re
from datetime import time

import pytest
from rq import SimpleWorker
from sqlalchemy import select

from jobs import attendance as attendance_jobs
from portal import clock
from portal.attendance.models import Absence, AttendanceRun
from portal.directory.models import Building, Student
from portal.extensions import db
from portal.queues import get_queue
from tests import factories
from tests.browser import journeys_conftest
from tests.browser.test_journeys_emergency import _deliver
from tests.delivery import flow
from tests.sandbox import fixtures

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("serial")]

axe = journeys_conftest.axe
district = journeys_conftest.district
sandbox_server = fixtures.sandbox_server

# The district's held child's family; the children the run calls, each
# with the outcome the sandbox's number table gives their family's phone.
HELD_PHONE = "+12535550000"
CALLED = {"Kid2": "Reached", "Vera": "Voicemail", "Noah": "Not reached"}


@pytest.fixture
def calls_on_the_sandbox(app, sandbox_server, monkeypatch):
    """The live portal dials the sandbox, speaks with espeak-ng, redials soon."""
    for key, value in {
        "PLIVO_API_URL": sandbox_server.base_url,
        "PLIVO_AUTH_ID": sandbox_server.auth_id,
        "PLIVO_AUTH_TOKEN": sandbox_server.auth_token,
        "TTS_ENGINE": "espeak",
        "DELIVERY_REDIAL_SECONDS": 1,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    return sandbox_server


def _absent_today(app, district):
    """Today's absences at Lakeview: the district's one and three more."""
    with app.app_context():
        today = clock.today()
        lakeview = db.session.get(Building, district.lakeview)
        lakeview.calling_window_start = time(0, 0)
        lakeview.calling_window_end = time(23, 59)
        db.session.get(Absence, district.absence).date = today
        spanish = db.session.scalar(
            select(Student).where(
                Student.building_id == lakeview.id, Student.home_language == "es"
            )
        )
        kids = [spanish]
        for first, phone in (("Vera", "+12535550171"), ("Noah", "+12535550185")):
            kids.append(factories.student(lakeview, first_name=first))
            factories.guardian(kids[-1], phone=phone)
        for kid in kids:
            db.session.add(
                Absence(
                    date=today, student_id=kid.id, building_id=lakeview.id, code="U"
                )
            )
        db.session.commit()
        return today


def _run_as_the_tick_does(app, building_id: int, day) -> int:
    """Queue the building's run and work it; returns the run's message id."""
    with app.app_context():
        queue = get_queue(attendance_jobs.QUEUE)
        attendance_jobs.enqueue_run(building_id, day)
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
        run = db.session.scalar(
            select(AttendanceRun).where(AttendanceRun.building_id == building_id)
        )
        assert run.status == "dispatched", run.error
        return run.message_id


def test_attendance_clerk_holds_an_absence_and_watches_the_run(
    app, page, live_url, sign_in, screenshot, axe, district, calls_on_the_sandbox
):
    day = _absent_today(app, district)
    sign_in(page, "clerk")
    page.goto(f"{live_url}/attendance/{district.lakeview}?date={day.isoformat()}")
    page.get_by_text("The calls have not gone yet").wait_for()
    axe.check(page)

    row = page.locator(f"#absence-{district.absence}")
    row.get_by_role("button", name=re.compile("Hold")).click()
    page.locator(f"#absence-{district.absence} .badge", has_text="Held").wait_for()
    screenshot(page, "held")
    axe.check(page)

    message_id = _run_as_the_tick_does(app, district.lakeview, day)
    _deliver(app, message_id)

    # The page, left open, follows the calls until every one has an outcome.
    for name, outcome in CALLED.items():
        row = page.locator("tr", has_text=name)
        row.locator(".badge", has_text=outcome).wait_for(timeout=30_000)
    page.get_by_text("Reached: 1 · Voicemail: 1 · Not reached: 1").wait_for()
    screenshot(page, "calls-done")
    axe.check(page)
    page.get_by_role("link", name="Report for this day").click()
    page.get_by_role("heading", level=1).wait_for()
    screenshot(page, "report")
    axe.check(page)

    with app.app_context():
        assert flow.states(message_id) == {
            "answered": 1,
            "voicemail": 1,
            "no_answer": 1,
        }
        assert db.session.get(Absence, district.absence).held is True
    assert calls_on_the_sandbox.phone(HELD_PHONE) == []
    assert axe.serious == []

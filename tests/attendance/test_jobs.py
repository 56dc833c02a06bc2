"""Attendance jobs: the DST-safe tick, and the run job three ways."""

from datetime import UTC, date, datetime

import pytest
from rq import SimpleWorker
from rq.job import JobStatus
from sqlalchemy import func, select

from jobs import attendance as attendance_jobs
from portal import district_settings
from portal.attendance import service
from portal.attendance.cli import attendance_cli
from portal.attendance.models import AttendanceRun
from portal.delivery.models import Delivery
from portal.extensions import db
from portal.queues import get_queue


def utc(*parts):
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "before", "after"),
    [
        # Pacific Standard Time (UTC-8): 09:30 local is 17:30 UTC.
        (date(2026, 3, 6), utc(2026, 3, 6, 17, 25), utc(2026, 3, 6, 17, 35)),
        # The Monday after clocks spring forward (UTC-7): 16:30 UTC.
        (date(2026, 3, 9), utc(2026, 3, 9, 16, 25), utc(2026, 3, 9, 16, 35)),
        # Last weekday before clocks fall back (UTC-7).
        (date(2026, 10, 30), utc(2026, 10, 30, 16, 25), utc(2026, 10, 30, 16, 35)),
        # The Monday after (UTC-8 again).
        (date(2026, 11, 2), utc(2026, 11, 2, 17, 25), utc(2026, 11, 2, 17, 35)),
    ],
)
def test_call_time_follows_local_clock_across_dst(make, absent, day, before, after):
    school = make.building(timezone="America/Los_Angeles")
    absent(make.student(school), day)

    assert service.due_buildings(before) == []
    assert service.due_buildings(after) == [(school.id, day)]


def test_per_building_call_time_and_timezone(make, absent):
    district_settings.put("attendance_call_times", {"EAST": "08:00"}, by="test")
    east = make.building("EAST", timezone="America/New_York")
    west = make.building("WEST", timezone="America/Los_Angeles")
    day = date(2026, 12, 3)
    absent(make.student(east), day)
    absent(make.student(west), day)

    # 13:05 UTC = 08:05 in New York, 05:05 in Los Angeles.
    assert service.due_buildings(utc(2026, 12, 3, 13, 5)) == [(east.id, day)]


def test_building_that_ran_or_has_no_absences_is_not_due(
    make, absent, woken, google_tts
):
    day = date(2026, 12, 3)
    ran = make.building()
    kid = make.student(ran)
    make.guardian(kid)
    absent(kid, day)
    make.building()  # no absences imported
    service.run_building(ran.id, day)

    assert service.due_buildings(utc(2026, 12, 3, 23, 0)) == []


def _one_absent_household(make, absent, day):
    school = make.building()
    kid = make.student(school)
    make.guardian(kid)
    absent(kid, day)
    return school


def test_run_job_called_directly(make, absent, woken, google_tts):
    school = _one_absent_household(make, absent, date(2026, 12, 3))

    result = attendance_jobs.run_building(school.id, "2026-12-03")

    assert result["status"] == "dispatched"
    assert db.session.query(Delivery).count() == 1


def test_run_job_enqueued_once(make, absent):
    school = _one_absent_household(make, absent, date(2026, 12, 3))
    queue = get_queue("default")
    queue.empty()

    job = attendance_jobs.enqueue_run(school.id, date(2026, 12, 3))
    again = attendance_jobs.enqueue_run(school.id, date(2026, 12, 3))

    assert again is None
    assert queue.job_ids == [job.id]
    assert job.func_name == "jobs.attendance.run_building"
    assert job.args == (school.id, "2026-12-03")
    assert job.timeout == attendance_jobs.RUN_TIMEOUT
    queue.empty()


def test_a_run_already_going_gets_one_follow_up(make, absent, woken, google_tts):
    """A hold released while the run works: run again once it has ended."""
    school = _one_absent_household(make, absent, date(2026, 12, 3))
    queue = get_queue("default")
    queue.empty()
    going = attendance_jobs.enqueue_run(school.id, date(2026, 12, 3))
    going.set_status(JobStatus.STARTED)

    follow_up = attendance_jobs.enqueue_run(school.id, date(2026, 12, 3))
    again = attendance_jobs.enqueue_run(school.id, date(2026, 12, 3))

    assert again is None
    assert follow_up.get_status() == "deferred"
    assert follow_up.dependency_ids == [going.id]
    going.set_status(JobStatus.QUEUED)
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    assert follow_up.get_status(refresh=True) == "finished"
    assert db.session.scalar(select(func.count()).select_from(AttendanceRun)) == 1
    queue.empty()


def test_tick_and_run_on_a_real_burst_worker(make, absent, woken, google_tts):
    school = _one_absent_household(make, absent, date(2026, 12, 3))
    queue = get_queue("default")
    queue.empty()
    queue.enqueue(attendance_jobs.tick)

    # The tick's own clock is today's; run a building that is due today too.
    attendance_jobs.enqueue_run(school.id, date(2026, 12, 3))
    SimpleWorker([queue], connection=queue.connection).work(burst=True)

    run = db.session.scalar(select(AttendanceRun))
    assert run.status == "dispatched"
    assert woken == [run.message_id]
    assert queue.count == 0


def test_run_job_returns_retry_when_speech_engine_is_down(make, absent, woken):
    import responses
    from rq import Retry

    from tests.attendance.conftest import GTTS_URL

    school = _one_absent_household(make, absent, date(2026, 12, 3))
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, GTTS_URL, status=503, body="down")
        result = attendance_jobs.run_building(school.id, "2026-12-03")

    assert isinstance(result, Retry)
    assert woken == []


def test_flask_cli_run_twice(app, make, absent, woken, google_tts):
    school = _one_absent_household(make, absent, date(2026, 12, 3))
    runner = app.test_cli_runner()
    args = ["run", "--date", "2026-12-03", "--building", school.code]

    first = runner.invoke(attendance_cli, args)
    second = runner.invoke(attendance_cli, args)

    assert first.exit_code == 0, first.output
    assert "1 household(s) to call, 1 new deliveries" in first.output
    assert "0 new deliveries" in second.output
    assert len(woken) == 1


def test_flask_cli_run_skips_buildings_without_absences(app, make, woken):
    school = make.building("EMP")

    result = app.test_cli_runner().invoke(
        attendance_cli, ["run", "--date", "2026-12-03", "--building", school.code]
    )

    assert result.exit_code == 0
    assert "EMP: no absences imported for 2026-12-03" in result.output
    assert db.session.query(AttendanceRun).count() == 0
    assert woken == []

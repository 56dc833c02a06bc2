"""Attendance jobs: the UTC cron tick and one building's daily run.

The tick runs every few minutes (rq cron strings are UTC) and asks each
building, in its own timezone, whether its call time has passed today
without a run; daylight-saving changes therefore need no cron edits. Each
due building gets its own job, so a slow speech engine at one building
never holds up another.
"""

import logging
from datetime import date

from rq import Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job

from jobs.context import app_context
from portal import clock
from portal.queues import get_queue

logger = logging.getLogger(__name__)

QUEUE = "default"
RUN_TIMEOUT = 30 * 60
# Waits between tries when the speech engine is unavailable (429/5xx).
TTS_RETRY_INTERVALS = [60, 300, 900]


def run_job_id(building_id: int, day: date) -> str:
    return f"attendance-run-{building_id}-{day.isoformat()}"


# A job in one of these states has not read the day's absences yet.
WAITING = ("queued", "scheduled", "deferred")


def _status(job_id: str, queue) -> str | None:
    try:
        return Job.fetch(job_id, connection=queue.connection).get_status(refresh=True)
    except NoSuchJobError:
        return None


def enqueue_run(building_id: int, day: date, queue=None) -> Job | None:
    """Queue one building's run unless a run that will see today's data waits.

    A job already queued will read the absences when it starts, so nothing
    more is needed. A job already running may have read them before a hold
    was released: then one follow-up run is queued to start when it ends
    (the run is idempotent, so it only calls whom the first one did not).
    """
    queue = queue or get_queue(QUEUE)
    job_id = run_job_id(building_id, day)
    status = _status(job_id, queue)
    depends_on = None
    if status in WAITING:
        return None
    if status == "started":
        depends_on, job_id = job_id, f"{job_id}-again"
        if _status(job_id, queue) in WAITING:
            return None
    return queue.enqueue(
        run_building,
        building_id,
        day.isoformat(),
        job_id=job_id,
        depends_on=depends_on,
        job_timeout=RUN_TIMEOUT,
        result_ttl=24 * 3600,
        failure_ttl=7 * 24 * 3600,
    )


def run_building(building_id: int, day: str):
    """One building's calls for `day`.

    Safe to run twice: the run row is unique per building and date and
    deliveries per address, so a repeat creates and wakes nothing new.
    Returns `Retry` while the speech engine is unavailable.
    """
    from portal.attendance import service
    from portal.telephony import tts

    with app_context():
        try:
            run = service.run_building(building_id, date.fromisoformat(day))
        except tts.TtsUnavailable:
            logger.warning("attendance_run_retry building_id=%s", building_id)
            return Retry(max=len(TTS_RETRY_INTERVALS), interval=TTS_RETRY_INTERVALS)
        return {"run_id": run.id, "status": run.status}


def tick() -> list[str]:
    """Queue a run for every building whose local call time has passed.

    Safe to run twice: buildings that already have a run are not due, and a
    waiting job for the same building and day is not queued again.
    """
    from portal.attendance import service

    with app_context():
        queued = []
        for building_id, day in service.due_buildings(clock.now()):
            job = enqueue_run(building_id, day)
            if job is not None:
                queued.append(job.id)
        logger.info("attendance_tick queued=%d", len(queued))
        return queued

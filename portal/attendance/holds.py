"""Holds: an absence corrected before the calls, and its release.

Holding cancels every call not dialled yet that names only held children.
Releasing after the run queues the run again, which puts the child back
into their household's call if it has not been dialled (a call the hold
cancelled goes again) or creates the call if there was none; a phone
already called today is not called twice. Before the run, a hold or a
release simply decides what the run will do.
"""

from datetime import date

from sqlalchemy import select

from portal.attendance import households
from portal.attendance.models import Absence, AttendanceRun
from portal.delivery.models import PENDING, Delivery
from portal.extensions import db
from portal.models_base import utcnow

# The detail of a delivery cancelled because its children were held.
HELD_DETAIL = "absence held"
REOPENABLE = ("cancelled", HELD_DETAIL)


def run_for(building_id: int, day: date) -> AttendanceRun | None:
    """The run of (building, day), if it has started."""
    return db.session.scalar(
        select(AttendanceRun).where(
            AttendanceRun.building_id == building_id, AttendanceRun.date == day
        )
    )


def cancel_held(absence: Absence) -> int:
    """Cancel pending deliveries that now name only held children."""
    run = run_for(absence.building_id, absence.date)
    if run is None or run.message_id is None:
        return 0
    held = {
        a.student_id
        for a in households.absences_for(absence.building_id, absence.date, held=True)
    }
    cancelled = 0
    pending = select(Delivery).where(
        Delivery.message_id == run.message_id, Delivery.state == PENDING
    )
    for delivery in db.session.scalars(pending.with_for_update()):
        if set(delivery.recipients.get("students", [])) <= held:
            delivery.state = "cancelled"
            delivery.detail = HELD_DETAIL
            delivery.final_at = utcnow()
            cancelled += 1
    return cancelled


def add_released(message, households_) -> int:
    """Put released children back into calls not dialled yet; how many changed.

    A pending call gains the child; a call the hold cancelled goes again.
    Calls already dialled are left alone: nobody is called twice.
    """
    wanted = {(h.channel, h.address): h for h in households_}
    open_calls = select(Delivery).where(
        Delivery.message_id == message.id,
        (Delivery.state == PENDING)
        | ((Delivery.state == "cancelled") & (Delivery.detail == HELD_DETAIL)),
    )
    changed = 0
    for delivery in db.session.scalars(open_calls.with_for_update()):
        home = wanted.get((delivery.channel, delivery.address))
        if home is None:  # every child of this call is still held
            continue
        students = list(delivery.recipients.get("students", []))
        missing = [s for s in home.students if s not in students]
        if delivery.state == PENDING and not missing:
            continue
        delivery.recipients = {
            **delivery.recipients,
            "students": students + missing,
            "guardians": sorted(
                {*delivery.recipients.get("guardians", []), *home.guardians}
            ),
        }
        if delivery.state != PENDING:
            delivery.state, delivery.detail, delivery.final_at = PENDING, None, None
        delivery.updated_at = utcnow()
        changed += 1
    if changed and message.state == "sent":
        message.state = "sending"
    return changed


def release_outcome(absence: Absence) -> str:
    """What releasing this hold does to today's calls, for the clerk's page.

    "before_run": the run will call them; "calling": the run is queued again
    and this child's household is called (once); "called": every phone of
    the household was already called today, so it is not called again;
    "no_phone": no first-call guardian has a phone.
    """
    run = run_for(absence.building_id, absence.date)
    if run is None or run.message_id is None:
        return "before_run"
    phones = [
        h.address
        for h in households.plan(absence.building_id, absence.date)
        if h.channel == "phone" and absence.student_id in h.students
    ]
    if not phones:
        return "no_phone"
    existing = {
        address: (state, detail)
        for address, state, detail in db.session.execute(
            select(Delivery.address, Delivery.state, Delivery.detail).where(
                Delivery.message_id == run.message_id,
                Delivery.channel == "phone",
                Delivery.address.in_(phones),
            )
        )
    }

    def rings(phone: str) -> bool:  # no call yet, one waiting, or held back
        state, detail = existing.get(phone, (None, None))
        return state in (None, PENDING) or (state, detail) == REOPENABLE

    return "calling" if any(rings(p) for p in phones) else "called"

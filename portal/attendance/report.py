"""Who was reached: outcomes per child and per building-day, and the trend.

Outcomes come from the phone deliveries' states (the database is the
record): answered → reached, voicemail → voicemail, any other final state
→ not reached, anything earlier → still calling.
"""

from datetime import date, timedelta

from sqlalchemy import func, select

from portal.attendance.models import Absence, AttendanceRun
from portal.delivery.models import FINAL_STATES, Delivery

OUTCOMES = ("reached", "voicemail", "not_reached", "calling", "held")
OUTCOME_LABELS = {
    "reached": "Reached",
    "voicemail": "Voicemail",
    "not_reached": "Not reached",
    "calling": "Calling",
    "held": "Held (not called)",
}
# When a child's guardians were called at several numbers, the best wins.
_RANK = {o: i for i, o in enumerate(("reached", "voicemail", "calling", "not_reached"))}


def outcome_of(state: str, detail: str | None = None) -> str:
    """The clerk's word for a phone delivery's state."""
    if state == "answered":
        return "reached"
    if state == "voicemail":
        return "voicemail"
    if state == "cancelled" and detail == "absence held":
        return "held"
    if state in FINAL_STATES:
        return "not_reached"
    return "calling"


def outcomes_by_student(session, message_id: int | None) -> dict[int, str]:
    """Each called child's best phone outcome for the run's message."""
    if message_id is None:
        return {}
    best: dict[int, str] = {}
    query = select(Delivery.state, Delivery.detail, Delivery.recipients).where(
        Delivery.message_id == message_id, Delivery.channel == "phone"
    )
    for state, detail, recipients in session.execute(query):
        outcome = outcome_of(state, detail)
        for student_id in recipients.get("students", []):
            current = best.get(student_id)
            if current is None or _RANK.get(outcome, 9) < _RANK.get(current, 9):
                best[student_id] = outcome
    return best


def household_counts(session, message_id: int | None) -> dict[str, int]:
    """Households called, and how many were reached, by voicemail or not."""
    counts = dict.fromkeys(("households", *OUTCOMES), 0)
    if message_id is None:
        return counts
    query = (
        select(Delivery.state, Delivery.detail, func.count())
        .where(Delivery.message_id == message_id, Delivery.channel == "phone")
        .group_by(Delivery.state, Delivery.detail)
    )
    for state, detail, n in session.execute(query):
        outcome = outcome_of(state, detail)
        counts[outcome] += n
        if outcome != "held":
            counts["households"] += n
    return counts


def day_report(session, building_id: int, day: date) -> dict:
    """The figures of one building and day."""
    run = session.scalar(
        select(AttendanceRun).where(
            AttendanceRun.building_id == building_id, AttendanceRun.date == day
        )
    )
    absences = session.scalar(
        select(func.count(Absence.id)).where(
            Absence.building_id == building_id, Absence.date == day
        )
    )
    counts = household_counts(session, run.message_id if run else None)
    return {
        "date": day,
        "run": run,
        "absences": absences or 0,
        "fallbacks": (run.counts.get("fallbacks", {}) if run else {}),
        "fallback_households": (run.counts.get("fallback_households", 0) if run else 0),
        **counts,
    }


def trend(session, building_id: int, end: date, days: int = 30) -> list[dict]:
    """One report per day over the last `days` days (oldest first)."""
    return [
        day_report(session, building_id, end - timedelta(days=offset))
        for offset in range(days - 1, -1, -1)
    ]


def chart(points: list[dict], width: int = 600, height: int = 160) -> dict:
    """Bar geometry for the trend partial: absences, reached drawn over them."""
    top = max([p["absences"] for p in points] + [p["households"] for p in points] + [1])
    slot = width / max(len(points), 1)
    floor = height - 20
    bars = []
    for i, point in enumerate(points):
        for key in ("absences", "reached"):
            h = floor * point[key] / top
            bars.append(
                {
                    "kind": key,
                    "x": round(i * slot + 1, 1),
                    "y": round(floor - h, 1),
                    "width": round(slot - 2, 1),
                    "height": round(h, 1),
                    "label": f"{point['date'].isoformat()}: {point[key]} {key}",
                }
            )
    return {"width": width, "height": height, "bars": bars, "points": points}

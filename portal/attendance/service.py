"""The daily attendance run for one building, and which buildings are due.

A run is one `AttendanceRun` row per building and date (unique), one
attendance message, and one delivery per household address (unique per
message, channel and address). Running again creates only what is missing
and never wakes the workers for deliveries that already existed, so a day's
calls go once however often the run is started. A child whose hold was
released after the run joins their household's call if it has not been
dialled yet (a call cancelled by the hold goes again); a household whose
phone was already called today is not called twice.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal import district_settings
from portal.accounts import audit
from portal.attendance import holds, households, wording
from portal.attendance.models import Absence, AttendanceRun
from portal.delivery import dispatch
from portal.delivery.models import PENDING, Delivery
from portal.directory.models import Building, Student
from portal.extensions import db
from portal.messaging.models import Message, MessageVariant
from portal.models_base import utcnow
from portal.telephony import tts

logger = logging.getLogger(__name__)

# After this many runs that found the speech engine unavailable, the calls
# go anyway and speak through Plivo (see `voice.parts_for`).
MAX_SYNTHESIS_ATTEMPTS = 4


@dataclass(frozen=True)
class CallLanguage:
    """How a household's language is spoken: template, engine, fallback."""

    template: str
    engine: str
    voice: str
    fallback: str | None  # None, "plivo_speak" or "english"


def call_language(language: str, engine: str | None = None) -> CallLanguage:
    """The template and voice for a household's language, with any fallback."""
    engine = engine or tts.configured_engine()
    if not wording.has_template(language):
        choice = tts.choose_voice("en", engine)
        return CallLanguage("en", choice.engine, "en", "english")
    choice = tts.choose_voice(language, engine)
    if choice.language != language:
        return CallLanguage("en", choice.engine, "en", "english")
    fallback = "plivo_speak" if choice.engine != engine else None
    return CallLanguage(language, choice.engine, language, fallback)


def run_building(building_id: int, day: date) -> AttendanceRun:
    """Create (once) the day's message and deliveries, synthesize, then wake.

    Raises `tts.TtsUnavailable` when the speech engine keeps failing; the
    deliveries stay unwoken until a later attempt succeeds or gives up.
    """
    building = db.session.get(Building, building_id)
    run = _claim_run(building_id, day)
    households_ = households.plan(
        building_id, day, sms=bool(district_settings.get("attendance_sms"))
    )
    spoken = {lang: call_language(lang) for lang in {h.language for h in households_}}
    message = _ensure_message(run, building, day, spoken)
    created = _ensure_deliveries(message, building, households_, spoken)
    reopened = holds.add_released(message, households_)
    _count(run, building_id, day, households_, created, spoken)
    if run.status != "dispatched":
        run.status = "synthesizing"
    db.session.commit()

    try:
        made = synthesize(run, households_, spoken)
        run.counts = {**run.counts, "clips_made": made}
    except tts.TtsUnavailable as error:
        run.synthesis_attempts += 1
        run.error = str(error)[:200]
        give_up = run.synthesis_attempts >= MAX_SYNTHESIS_ATTEMPTS
        db.session.commit()
        logger.warning(
            "attendance_tts_unavailable run_id=%s attempts=%d give_up=%s",
            run.id,
            run.synthesis_attempts,
            give_up,
        )
        if not give_up:
            raise
    return _dispatch(run, created + reopened)


def _claim_run(building_id: int, day: date) -> AttendanceRun:
    """The run row for (building, day), created once and locked for us."""
    try:
        with db.session.begin_nested():
            db.session.add(AttendanceRun(building_id=building_id, date=day))
    except IntegrityError:
        logger.info("attendance_run_exists building_id=%s date=%s", building_id, day)
    return db.session.scalar(
        select(AttendanceRun)
        .where(AttendanceRun.building_id == building_id, AttendanceRun.date == day)
        .with_for_update()
    )


def _ensure_message(run, building, day, spoken) -> Message:
    """The run's attendance message (kind attendance, the building's scope)."""
    if run.message_id is not None:
        return db.session.get(Message, run.message_id)
    channels = ["phone", "email"]
    if district_settings.get("attendance_sms"):
        channels.append("sms")
    now = utcnow()
    message = Message(
        kind="attendance",
        building_id=building.id,
        title=f"Attendance calls {day.isoformat()}",
        audience={"attendance_run": run.id, "attendance_date": day.isoformat()},
        channels=channels,
        state="sending",
        send_mode="now",
        sent_at=now,
        created_at=now,
        updated_at=now,
    )
    db.session.add(message)
    db.session.flush()
    for language in sorted({s.template for s in spoken.values()} | {"en"}):
        words = wording.template_for(language)
        generic = [wording.GENERIC_NAMES.get(language, wording.GENERIC_NAMES["en"])]
        message.variants.append(
            MessageVariant(
                language=language,
                subject=wording.render(words, words.subject, [], building.name, day),
                text=wording.render(words, words.text, generic, building.name, day),
            )
        )
    run.message_id = message.id
    audit.record(
        "attendance.run",
        target=f"message:{message.id}",
        building_id=building.id,
        date=day.isoformat(),
    )
    return message


def _ensure_deliveries(message, building, households_, spoken) -> int:
    """Add a delivery for each household address that has none yet."""
    existing = set(
        db.session.execute(
            select(Delivery.channel, Delivery.address).where(
                Delivery.message_id == message.id
            )
        ).all()
    )
    created = 0
    for home in households_:
        if (home.channel, home.address) in existing:
            continue
        db.session.add(
            Delivery(
                message_id=message.id,
                channel=home.channel,
                address=home.address,
                language=home.language,
                content_language=spoken[home.language].template,
                building_id=building.id,
                recipients={"students": home.students, "guardians": home.guardians},
                state=PENDING,
            )
        )
        created += 1
    db.session.flush()
    return created


def _count(run, building_id, day, households_, created, spoken) -> None:
    """Keep the figures the report shows on the run row."""
    absences = households.absences_for(building_id, day)
    calls = [h for h in households_ if h.channel == "phone"]
    fallbacks = {
        h.language: spoken[h.language].fallback
        for h in calls
        if spoken[h.language].fallback
    }
    run.counts = {
        **run.counts,
        "absences": len(absences),
        "held": sum(1 for a in absences if a.held),
        "households": len(calls),
        "deliveries_created": created,
        "fallbacks": fallbacks,
        "fallback_households": sum(1 for h in calls if spoken[h.language].fallback),
    }


def synthesize(run: AttendanceRun, households_, spoken) -> int:
    """Make every clip the run's calls play; return how many were new."""
    building = db.session.get(Building, run.building_id)
    calls = [h for h in households_ if h.channel == "phone"]
    names = student_names({s for h in calls for s in h.students})
    words = {s.template: wording.template_for(s.template) for s in spoken.values()}
    needed: set[tuple[str, str, str]] = set()
    for home in calls:
        how = spoken[home.language]
        if not tts.get_engine(how.engine).makes_audio:
            continue
        said = [names[s] for s in home.students if s in names]
        for piece in wording.pieces(words[how.template], said, building.name, run.date):
            needed.add((how.engine, how.voice, piece))

    return _make_missing(needed)


def _make_missing(needed: set[tuple[str, str, str]]) -> int:
    """Synthesize the pieces that have no clip yet, storing them in batches.

    Clips made before a failure are kept, so a retry asks only for the rest.
    """
    by_voice: dict[tuple[str, str], set[str]] = {}
    for engine, language, piece in needed:
        by_voice.setdefault((engine, language), set()).add(piece)

    made, batch = 0, []
    try:
        for (engine, language), texts in sorted(by_voice.items()):
            hashes = {tts.text_hash(t): t for t in texts}
            cached = tts.cached_hashes(engine, language, set(hashes))
            for digest in sorted(set(hashes) - cached):
                batch.append(tts.synthesize_to_file(engine, language, hashes[digest]))
                if len(batch) >= 200:
                    made += _store_batch(batch)
    finally:
        made += _store_batch(batch)
    return made


def _store_batch(batch: list[dict]) -> int:
    count = len(batch)
    tts.store_clips(batch)
    db.session.commit()
    batch.clear()
    return count


def student_names(student_ids) -> dict[int, str]:
    """Full names of the students by id."""
    rows = db.session.execute(
        select(Student.id, Student.first_name, Student.last_name).where(
            Student.id.in_(list(student_ids))
        )
    )
    return {sid: f"{first} {last}" for sid, first, last in rows}


def _dispatch(run: AttendanceRun, created: int) -> AttendanceRun:
    """Mark the run dispatched and wake the workers if anything is new."""
    first_time = run.status != "dispatched"
    run.status = "dispatched"
    run.dispatched_at = run.dispatched_at or utcnow()
    db.session.commit()
    if created or first_time:
        dispatch.wake(run.message_id)
    logger.info(
        "attendance_run_dispatched run_id=%s message_id=%s created=%d",
        run.id,
        run.message_id,
        created,
    )
    return run


def call_time_for(building: Building) -> time:
    """The building's local call time (district setting, per-building override)."""
    per_building = district_settings.get("attendance_call_times") or {}
    raw = per_building.get(building.code) or district_settings.get(
        "attendance_call_time"
    )
    return time.fromisoformat(raw)


def due_buildings(now: datetime) -> list[tuple[int, date]]:
    """Buildings whose local call time has passed today and have not run.

    Evaluated in each building's own timezone, so a UTC cron tick stays
    right across daylight-saving changes. Only days with absences count.
    """
    due = []
    for building in db.session.scalars(
        select(Building).where(Building.active.is_(True), Building.kind == "school")
    ):
        local = now.astimezone(ZoneInfo(building.timezone))
        if local.time().replace(tzinfo=None) < call_time_for(building):
            continue
        due.append((building.id, local.date()))
    return [(b, d) for b, d in due if _has_absences(b, d) and not holds.run_for(b, d)]


def _has_absences(building_id: int, day: date) -> bool:
    return (
        db.session.scalar(
            select(Absence.id)
            .where(Absence.building_id == building_id, Absence.date == day)
            .limit(1)
        )
        is not None
    )

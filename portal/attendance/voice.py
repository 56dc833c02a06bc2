"""What an attendance call plays and its e-mail or text says, for the engine.

Registered with `portal.delivery.content` for kind "attendance": the parts
are the cached clips of the household's template, school, date and each
child's name, played in order through expiring audio links. When a clip is
missing (the speech engine gave up), Plivo speaks the whole text instead,
in the household's language where Plivo has it, else in English. E-mails
and texts name the same children, in the household's language whenever
that language has a template (no voice is needed to write it).
"""

from datetime import date

from sqlalchemy import select

from portal.attendance import wording
from portal.attendance.models import Absence
from portal.delivery import audio
from portal.delivery.content import (
    VoicePart,
    WrittenText,
    register_text_provider,
    register_voice_provider,
)
from portal.directory.models import Building, Student
from portal.extensions import db
from portal.telephony import tts


def _call_facts(delivery):
    """The building, the date and the children named in this delivery.

    A child whose absence is held now is left out, unless every child of
    the delivery is held (the call was already on its way).
    """
    message = delivery.message
    day = date.fromisoformat(message.audience["attendance_date"])
    building = db.session.get(Building, message.building_id)
    student_ids = list(delivery.recipients.get("students", []))
    absence = (
        (Absence.student_id == Student.id)
        & (Absence.date == day)
        & (Absence.building_id == building.id)
    )
    rows = db.session.execute(
        select(Student.id, Student.first_name, Student.last_name, Absence.held)
        .outerjoin(Absence, absence)
        .where(Student.id.in_(student_ids))
    )
    names, held = {}, set()
    for student_id, first, last, is_held in rows:
        names[student_id] = f"{first} {last}"
        if is_held:
            held.add(student_id)
    named = [s for s in student_ids if s not in held] or student_ids
    return building, day, [names[s] for s in named if s in names]


def call_plan(delivery) -> tuple[list | None, wording.Wording, list[str], tuple]:
    """The cached clips of the call (None if any is missing), and its text.

    Built while the family's phone is answered, so it asks the database
    little: the run already chose the call's language (`content_language`)
    and made every clip, found here in one query.
    """
    building, day, names = _call_facts(delivery)
    words = wording.template_for(delivery.content_language) or wording.template_for(
        "en"
    )
    choice = tts.choose_voice(words.language)
    clips = None
    if tts.get_engine(choice.engine).makes_audio:
        pieces = wording.pieces(words, names, building.name, day)
        found = tts.find_clips(choice.engine, choice.language, pieces)
        clips = found if all(found) else None
        if clips is None and choice.language not in tts.PLIVO_SPEAK_LANGUAGES:
            words = wording.template_for("en")
    return clips, words, names, (building.name, day)


def parts_for(delivery) -> list[VoicePart]:
    """The voice parts of one attendance call, in order."""
    clips, words, names, (school, day) = call_plan(delivery)
    if clips is not None:
        return [VoicePart.play(audio.file_link(c.path)) for c in clips]
    text = wording.render(words, words.text, names, school, day)
    # Our language code: the answer XML maps it to Plivo's locale.
    return [VoicePart.speak(text, words.language)]


def text_for(delivery) -> WrittenText:
    """The e-mail or SMS for one household: its children, school and date."""
    building, day, names = _call_facts(delivery)
    words = (
        wording.template_for(delivery.language)
        or wording.template_for(delivery.content_language)
        or wording.template_for("en")
    )
    return WrittenText(
        words.language,
        wording.render(words, words.subject, names, building.name, day),
        wording.render(words, words.text, names, building.name, day),
    )


def register() -> None:
    """Tell the delivery engine how attendance calls sound and e-mails read."""
    register_voice_provider("attendance", parts_for)
    register_text_provider("attendance", text_for)

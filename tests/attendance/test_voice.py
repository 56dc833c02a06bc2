"""What attendance calls play: clips in order, Plivo Speak when TTS gave up."""

from datetime import date

import pytest
from sqlalchemy import select

from portal.attendance import service, voice
from portal.delivery.models import Delivery
from portal.extensions import db

DAY = date(2026, 12, 3)


def deliveries():
    return list(db.session.scalars(select(Delivery).order_by(Delivery.id)))


def test_siblings_hear_both_names_in_one_call(make, absent, woken, google_tts):
    school = make.building(name="Lakeview Elementary")
    ana = make.student(school, first_name="Ana", last_name="Reyes")
    luis = make.student(school, first_name="Luis", last_name="Reyes")
    make.guardian(ana, luis, language="es")
    absent(ana, DAY)
    absent(luis, DAY)

    service.run_building(school.id, DAY)
    (call,) = [d for d in deliveries() if d.channel == "phone"]
    clips, _words, names, _ = voice.call_plan(call)

    assert names == ["Ana Reyes", "Luis Reyes"]
    played = [c.text_hash for c in clips]
    ana, y, luis = _hash("Ana Reyes"), _hash("y"), _hash("Luis Reyes")
    assert played.index(ana) + 1 == played.index(y) == played.index(luis) - 1
    assert {c.language for c in clips} == {"es"}


def _hash(text):
    from portal.telephony.tts import text_hash

    return text_hash(text)


def test_engine_that_gives_up_still_calls_with_plivo_speak(make, absent, woken):
    import responses

    from tests.attendance.conftest import GTTS_URL

    school = make.building(name="Lakeview")
    kid = make.student(school, first_name="Ana", last_name="Reyes")
    make.guardian(kid, language="vi")
    absent(kid, DAY)

    with responses.RequestsMock() as mock:
        mock.add(responses.POST, GTTS_URL, status=500, body="down")
        for _ in range(service.MAX_SYNTHESIS_ATTEMPTS - 1):
            with pytest.raises(service.tts.TtsUnavailable):
                service.run_building(school.id, DAY)
        run = service.run_building(school.id, DAY)

    assert run.status == "dispatched"
    (part,) = voice.parts_for(deliveries()[0])
    assert part.action == "speak"
    assert part.language == "en"  # Plivo has no Vietnamese voice
    assert "Ana Reyes" in part.text


def test_call_plays_clips_through_expiring_audio_links(
    app, make, absent, woken, google_tts
):
    from portal.delivery import audio

    school = make.building(name="Lakeview")
    kid = make.student(school, first_name="Ana", last_name="Reyes")
    make.guardian(kid, language="es")
    absent(kid, DAY)
    service.run_building(school.id, DAY)

    with app.test_request_context():
        parts = voice.parts_for(deliveries()[0])

    assert parts
    assert all(p.action == "play" for p in parts)
    token = parts[0].url.rsplit("/", 1)[-1]
    assert audio.read_token(token)["f"].startswith("tts/gtts/es/")


def test_email_text_names_the_children(make, absent, woken, google_tts):
    school = make.building(name="Lakeview")
    ana = make.student(school, first_name="Ana", last_name="Reyes")
    luis = make.student(school, first_name="Luis", last_name="Reyes")
    make.guardian(ana, luis, language="es")
    absent(ana, DAY)
    absent(luis, DAY)
    service.run_building(school.id, DAY)

    (household,) = deliveries()
    subject, text = voice.text_for(household)

    assert "Lakeview" in subject
    assert "Ana Reyes y Luis Reyes" in text


def test_delivery_engine_answer_plays_our_clips_and_serves_them(
    app, client, make, absent, woken, google_tts
):
    from portal.delivery.content import voice_parts
    from portal.telephony import xml
    from tests.attendance.conftest import FAKE_MP3

    school = make.building(name="Lakeview")
    kid = make.student(school, first_name="Ana", last_name="Reyes")
    make.guardian(kid, language="es")
    absent(kid, DAY)
    service.run_building(school.id, DAY)

    with app.test_request_context():
        parts = voice_parts(deliveries()[0])
        body = xml.answer(
            parts,
            caller="Lakeview",
            number="+12535550100",
            language="es",
            repeat_url="http://portal.test/repeat",
            machine=True,
        )

    assert body.count("<Play>") == len(parts)
    path = parts[0].url.removeprefix("http://portal.test")
    served = client.get(path)
    data = served.get_data()
    served.close()
    assert served.status_code == 200
    assert data == FAKE_MP3

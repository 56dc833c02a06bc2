"""What attendance calls play: clips in order, Plivo Speak when TTS gave up."""

from datetime import date, time

import pytest
from sqlalchemy import select

from portal.attendance import service, voice
from portal.delivery.models import Delivery
from portal.extensions import db
from tests.sandbox import fixtures

DAY = date(2026, 12, 3)
sandbox_server = fixtures.sandbox_server


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


def _household_on_every_channel(make, absent, language="es"):
    from portal import district_settings
    from portal.directory.models import ContactPoint

    district_settings.put("attendance_sms", True, by="test")
    school = make.building(
        name="Lakeview",
        calling_window_start=time(0, 0),
        calling_window_end=time(23, 59),
    )
    ana = make.student(school, first_name="Ana", last_name="Reyes")
    luis = make.student(school, first_name="Luis", last_name="Reyes")
    parent = make.guardian(ana, luis, language=language)
    db.session.add(
        ContactPoint(
            guardian_id=parent.id, kind="email", raw="p@example.org",
            address="p@example.org",
        )
    )  # fmt: skip
    db.session.commit()
    absent(ana, DAY)
    absent(luis, DAY)
    return school


def test_email_and_text_name_the_children_in_the_household_language(
    make, absent, woken, google_tts
):
    from portal.delivery.content import written_text

    school = _household_on_every_channel(make, absent)
    service.run_building(school.id, DAY)

    by_channel = {d.channel: d for d in deliveries()}
    assert set(by_channel) == {"phone", "email", "sms"}
    for channel in ("email", "sms"):
        written = written_text(by_channel[channel])
        assert written.language == "es"
        assert written.subject == "Aviso de asistencia de Lakeview"
        assert written.text == (
            "Hola, le llamamos de Lakeview. Ana Reyes y Luis Reyes no asistió a "
            "la escuela el jueves, 3 de diciembre. Por favor llame a la oficina "
            "de asistencia. Gracias."
        )


def test_written_text_uses_a_template_even_where_no_voice_speaks_it(
    make, absent, woken, google_tts
):
    """Somali has no voice (the call is English) but can be written."""
    from portal.attendance.models import AttendanceTemplate
    from portal.delivery.content import written_text

    db.session.add(
        AttendanceTemplate(
            language="so", subject="Ogeysiis {school}",
            text="{school}: {names} ma iman {date}.", and_word="iyo",
        )
    )  # fmt: skip
    school = _household_on_every_channel(make, absent, language="so")
    service.run_building(school.id, DAY)

    by_channel = {d.channel: d for d in deliveries()}
    assert by_channel["phone"].content_language == "en"
    written = written_text(by_channel["email"])
    assert written.language == "so"
    assert (
        written.text
        == "Lakeview: Ana Reyes iyo Luis Reyes ma iman Khamiis, Diseembar 3."
    )


def test_the_email_sent_names_the_children(app, make, absent, woken, google_tts, inbox):
    import email
    from email import policy

    from portal.delivery import email as delivery_email

    school = _household_on_every_channel(make, absent)
    service.run_building(school.id, DAY)
    (household,) = [d for d in deliveries() if d.channel == "email"]

    with app.test_request_context():
        delivery_email.send(household)

    ((to, raw),) = inbox.messages
    sent = email.message_from_string(raw, policy=policy.default)
    body = sent.get_body(("plain",)).get_content()
    assert to == ["p@example.org"]
    assert sent["Subject"] == "Aviso de asistencia de Lakeview"
    assert "Ana Reyes y Luis Reyes" in body
    assert "jueves, 3 de diciembre" in body


def test_the_delivery_worker_sends_the_names_by_text_and_e_mail(
    app, make, absent, woken, google_tts, inbox, sandbox_server, monkeypatch
):
    from portal.delivery import worker

    for key, value in {
        "PLIVO_API_URL": sandbox_server.base_url,
        "PLIVO_AUTH_ID": sandbox_server.auth_id,
        "PLIVO_AUTH_TOKEN": sandbox_server.auth_token,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    google_tts.add_passthru(sandbox_server.base_url)
    school = _household_on_every_channel(make, absent)
    run = service.run_building(school.id, DAY)

    worker.work_slice(run.message_id)

    (text,) = sandbox_server.sandbox.store.all_texts()
    ((_to, raw),) = inbox.messages
    for body in (text.body, raw):
        assert "Ana Reyes y Luis Reyes" in body
    assert "jueves, 3 de diciembre" in text.body


@pytest.mark.parametrize(
    ("language", "spoken"),
    [
        ("en", "Thursday, December 3"),
        ("es", "jueves, 3 de diciembre"),
        ("vi", "Thứ Năm, 3 tháng 12"),
        ("ru", "четверг, 3 декабря"),
        ("zh", "12月3日星期四"),
        ("zh-TW", "12月3日 星期四"),
        ("de", "Donnerstag, 3. Dezember"),
        ("ar", "الخميس، 3 ديسمبر"),
        ("hmn", "2026-12-03"),  # no locale data for Hmong: the ISO date
    ],
)
def test_the_date_is_said_in_the_households_language(language, spoken):
    from portal.attendance import wording

    assert wording.spoken_date(DAY, language) == spoken


def test_a_spanish_call_plays_the_date_in_spanish(make, absent, woken, google_tts):
    from portal.telephony.tts import text_hash

    school = make.building(name="Lakeview")
    kid = make.student(school, first_name="Ana", last_name="Reyes")
    make.guardian(kid, language="es")
    absent(kid, DAY)
    service.run_building(school.id, DAY)

    clips, *_ = voice.call_plan(deliveries()[0])

    assert text_hash("jueves, 3 de diciembre") in [c.text_hash for c in clips]


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

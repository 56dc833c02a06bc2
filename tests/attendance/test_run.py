"""The daily run: once per building and day, one call per phone, holds."""

from datetime import date

import pytest
from sqlalchemy import select

from portal.attendance import holds, service
from portal.attendance.models import AttendanceRun
from portal.delivery.models import Delivery
from portal.extensions import db
from portal.messaging.models import Message

DAY = date(2026, 12, 3)


def deliveries():
    return list(db.session.scalars(select(Delivery).order_by(Delivery.id)))


def test_run_creates_attendance_message_and_one_call_per_household(
    make, absent, woken, google_tts
):
    school = make.building("LAK", name="Lakeview Elementary")
    ana = make.student(school, first_name="Ana", last_name="Reyes")
    luis = make.student(school, first_name="Luis", last_name="Reyes")
    other = make.student(school, first_name="Eva", last_name="Stone")
    make.guardian(ana, luis, phone="+12535550111", language="es")
    make.guardian(other, phone="+12535550122")
    for kid in (ana, luis, other):
        absent(kid, DAY)

    run = service.run_building(school.id, DAY)

    message = db.session.get(Message, run.message_id)
    assert (message.kind, message.building_id, message.author_id) == (
        "attendance",
        school.id,
        None,
    )
    calls = [d for d in deliveries() if d.channel == "phone"]
    assert len(calls) == 2
    siblings = next(d for d in calls if d.address == "+12535550111")
    assert sorted(siblings.recipients["students"]) == sorted([ana.id, luis.id])
    assert siblings.language == siblings.content_language == "es"
    assert woken == [message.id]
    assert run.status == "dispatched"
    assert run.counts["households"] == 2


def test_running_twice_sends_nothing_twice(make, absent, woken, google_tts):
    school = make.building()
    kid = make.student(school)
    make.guardian(kid)
    absent(kid, DAY)

    first = service.run_building(school.id, DAY)
    requests_after_first = len(google_tts.calls)
    second = service.run_building(school.id, DAY)

    assert first.id == second.id
    assert len(deliveries()) == 1
    assert db.session.query(Message).count() == 1
    assert woken == [first.message_id]
    assert len(google_tts.calls) == requests_after_first


def test_held_absence_is_not_called(make, absent, woken, google_tts):
    school = make.building()
    held_kid = make.student(school)
    called_kid = make.student(school)
    make.guardian(held_kid, phone="+12535550131")
    make.guardian(called_kid, phone="+12535550132")
    absent(held_kid, DAY, held=True)
    absent(called_kid, DAY)

    run = service.run_building(school.id, DAY)

    assert [d.address for d in deliveries()] == ["+12535550132"]
    assert run.counts["held"] == 1


def test_hold_after_the_run_cancels_a_pending_call(make, absent, woken, google_tts):
    school = make.building()
    kid = make.student(school)
    make.guardian(kid)
    absence = absent(kid, DAY)
    service.run_building(school.id, DAY)

    absence.held = True
    cancelled = holds.cancel_held(absence)
    db.session.commit()

    assert cancelled == 1
    assert deliveries()[0].state == "cancelled"


def _hold(absence, held=True):
    absence.held = held
    cancelled = holds.cancel_held(absence) if held else 0
    db.session.commit()
    return cancelled


def test_releasing_a_hold_after_the_run_calls_the_household_once(
    make, absent, woken, google_tts
):
    school = make.building()
    kid = make.student(school)
    make.guardian(kid)
    absence = absent(kid, DAY)
    first = service.run_building(school.id, DAY)
    _hold(absence)

    _hold(absence, held=False)
    outcome = holds.release_outcome(absence)
    service.run_building(school.id, DAY)
    service.run_building(school.id, DAY)

    (call,) = deliveries()
    assert outcome == "calling"
    assert (call.state, call.detail, call.final_at) == ("pending", None, None)
    assert woken == [first.message_id, first.message_id]


def test_child_held_before_the_run_and_released_after_gets_a_call(
    make, absent, woken, google_tts
):
    school = make.building()
    called, released = make.student(school), make.student(school)
    make.guardian(called, phone="+12535550141")
    make.guardian(released, phone="+12535550142")
    absent(called, DAY)
    absence = absent(released, DAY, held=True)
    service.run_building(school.id, DAY)
    assert [d.address for d in deliveries()] == ["+12535550141"]

    _hold(absence, held=False)
    assert holds.release_outcome(absence) == "calling"
    service.run_building(school.id, DAY)

    assert [d.address for d in deliveries()] == ["+12535550141", "+12535550142"]
    assert len(woken) == 2


def test_released_sibling_joins_the_call_not_yet_dialled(
    make, absent, woken, google_tts
):
    from portal.attendance import voice

    school = make.building()
    ana = make.student(school, first_name="Ana", last_name="Reyes")
    luis = make.student(school, first_name="Luis", last_name="Reyes")
    make.guardian(ana, luis)
    absent(ana, DAY)
    absence = absent(luis, DAY, held=True)
    service.run_building(school.id, DAY)

    _hold(absence, held=False)
    service.run_building(school.id, DAY)

    (call,) = deliveries()
    assert call.recipients["students"] == [ana.id, luis.id]
    clips, _words, names, _ = voice.call_plan(call)
    assert names == ["Ana Reyes", "Luis Reyes"]
    assert clips is not None  # Luis's name was synthesized by the re-run
    assert len(woken) == 2


def test_phone_already_called_about_a_sibling_is_not_called_twice(
    make, absent, woken, google_tts
):
    school = make.building()
    ana, luis = make.student(school), make.student(school)
    make.guardian(ana, luis)
    absent(ana, DAY)
    absence = absent(luis, DAY, held=True)
    service.run_building(school.id, DAY)
    (call,) = deliveries()
    call.state = "answered"
    db.session.commit()

    _hold(absence, held=False)
    outcome = holds.release_outcome(absence)
    service.run_building(school.id, DAY)

    assert outcome == "called"
    (call,) = deliveries()
    assert (call.state, call.recipients["students"]) == ("answered", [ana.id])
    assert len(woken) == 1


def test_release_before_the_run_changes_nothing_but_the_run(make, absent):
    school = make.building()
    kid = make.student(school)
    make.guardian(kid)
    absence = absent(kid, DAY, held=True)

    _hold(absence, held=False)

    assert holds.release_outcome(absence) == "before_run"
    assert deliveries() == []


@pytest.mark.parametrize("language", ["so", "sm", "ht", "hmn"])
def test_language_without_tts_falls_back_to_english_and_is_reported(
    make, absent, woken, google_tts, language
):
    school = make.building()
    kid = make.student(school, home_language=language)
    make.guardian(kid, language=language)
    absent(kid, DAY)

    run = service.run_building(school.id, DAY)

    (call,) = deliveries()
    assert (call.language, call.content_language) == (language, "en")
    assert run.counts["fallbacks"] == {language: "english"}
    assert run.counts["fallback_households"] == 1


def test_language_with_template_but_no_gtts_voice_uses_plivo_speak(
    make, absent, woken, google_tts
):
    from portal.attendance.models import AttendanceTemplate

    db.session.add(
        AttendanceTemplate(
            language="fr-CA", text="{names} était absent.", and_word="et"
        )
    )
    db.session.commit()
    from portal.telephony import tts

    tts._gtts_languages.cache_clear()
    school = make.building()
    kid = make.student(school, first_name="Élise")
    make.guardian(kid, language="da")
    absent(kid, DAY)

    # Danish has no template: English. Plivo Speak is used when the
    # configured engine cannot speak a language that has a template.
    assert service.call_language("da").fallback == "english"
    assert service.call_language("fr-CA", "espeak") == service.CallLanguage(
        "fr-CA", "plivo", "fr-CA", "plivo_speak"
    )


def test_tts_unavailable_leaves_run_unwoken_then_retry_dispatches(make, absent, woken):
    import responses

    from tests.attendance.conftest import GTTS_URL, gtts_body

    school = make.building()
    kid = make.student(school)
    make.guardian(kid)
    absent(kid, DAY)

    with responses.RequestsMock() as mock:
        mock.add(responses.POST, GTTS_URL, status=429, body="later")
        with pytest.raises(service.tts.TtsUnavailable):
            service.run_building(school.id, DAY)
    run = db.session.scalar(select(AttendanceRun))
    assert (run.status, run.synthesis_attempts, woken) == ("synthesizing", 1, [])
    assert len(deliveries()) == 1

    with responses.RequestsMock() as mock:
        mock.add(responses.POST, GTTS_URL, body=gtts_body())
        run = service.run_building(school.id, DAY)
    assert run.status == "dispatched"
    assert woken == [run.message_id]
    assert len(deliveries()) == 1


def test_email_always_and_sms_only_when_the_setting_allows(
    make, absent, woken, google_tts
):
    from portal import district_settings
    from portal.directory.models import ContactPoint

    school = make.building()
    kid = make.student(school)
    parent = make.guardian(kid, phone="+12535550161")
    db.session.add(
        ContactPoint(
            guardian_id=parent.id,
            kind="email",
            raw="p@example.org",
            address="p@example.org",
        )
    )
    db.session.commit()
    absent(kid, DAY)
    absent(kid, date(2026, 12, 4))

    service.run_building(school.id, DAY)
    first_day = sorted(d.channel for d in deliveries())
    district_settings.put("attendance_sms", True, by="test")
    db.session.commit()
    service.run_building(school.id, date(2026, 12, 4))
    second_day = sorted(
        d.channel for d in deliveries() if d.message_id != deliveries()[0].message_id
    )

    assert first_day == ["email", "phone"]
    assert second_day == ["email", "phone", "sms"]

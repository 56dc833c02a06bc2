"""Simulated calls: answer XML fetched and checked, fates, machine detection,
and signed hangup callbacks that `plivo.utils.validate_v3_signature` accepts."""

import pytest
from plivo.utils import validate_v3_signature

from tests.sandbox.receiver import AUDIO

CALLER = "+12535550100"


def _dial(client, receiver, to, **extra):
    return client.calls.create(
        from_=CALLER,
        to_=to,
        answer_url=receiver.url("/answer"),
        hangup_url=receiver.url("/hangup?delivery=42"),
        **extra,
    )


def _hangup_of(sandbox_server, receiver, request_uuid):
    def found():
        for hit in receiver.received("/hangup"):
            if hit["form"]["ALegRequestUUID"] == request_uuid:
                return hit
        return None

    return sandbox_server.wait_for(found)


def test_answered_call_hears_speech_and_audio(plivo_client, sandbox_server, receiver):
    response = _dial(plivo_client, receiver, "+12535550123")
    _hangup_of(sandbox_server, receiver, response.request_uuid)

    answer = receiver.received("/answer")[0]["form"]
    assert answer["CallStatus"] == "in-progress"
    assert answer["Direction"] == "outbound"
    assert answer["RequestUUID"] == response.request_uuid
    assert answer["ALegRequestUUID"] == response.request_uuid
    assert answer["To"] == "12535550123"
    call = sandbox_server.call(response.request_uuid)
    speak, play, prompt, get_input = call["heard"]
    assert speak["text"] == "Hola, llama la escuela Lincoln."
    assert speak["language"] == "es-US"
    assert play["url"] == receiver.url("/audio.mp3")
    assert play["status"] == 200
    assert play["bytes"] == len(AUDIO)
    assert prompt["text"] == "Press 1 to hear this again."
    assert get_input == {"element": "GetInput", "pressed": ""}
    assert call["xml_errors"] == []
    assert call["answered_by"] == "human"


def test_a_phone_ending_6x_presses_1_and_hears_the_repeat(
    plivo_client, sandbox_server, receiver
):
    response = _dial(plivo_client, receiver, "+12535550161")
    _hangup_of(sandbox_server, receiver, response.request_uuid)

    pressed = receiver.received("/input")[0]["form"]
    assert pressed["Digits"] == "1"
    heard = sandbox_server.call(response.request_uuid)["heard"]
    assert heard[-1]["text"] == "Here it is again."


def test_hangup_callback_is_signed_for_the_exact_url(
    plivo_client, sandbox_server, receiver
):
    response = _dial(plivo_client, receiver, "+12535550123")
    hit = _hangup_of(sandbox_server, receiver, response.request_uuid)

    form = hit["form"]
    assert form["CallStatus"] == "completed"
    assert form["HangupCause"] == "NORMAL_CLEARING"
    assert int(form["Duration"]) > 0
    assert int(form["BillDuration"]) == 60
    assert hit["args"] == {"delivery": "42"}
    assert validate_v3_signature(
        "POST",
        hit["url"],
        hit["nonce"],
        sandbox_server.auth_token,
        hit["signature"],
        form,
    )
    assert not validate_v3_signature(
        "POST", hit["url"], hit["nonce"], "wrong-token", hit["signature"], form
    )
    tampered = {**form, "CallStatus": "busy"}
    assert not validate_v3_signature(
        "POST",
        hit["url"],
        hit["nonce"],
        sandbox_server.auth_token,
        hit["signature"],
        tampered,
    )


@pytest.mark.parametrize(
    ("to", "status", "cause"),
    [
        ("+12535550181", "busy", "USER_BUSY"),
        ("+12535550186", "no-answer", "NO_ANSWER"),
        ("+12535550188", "timeout", "NO_ANSWER"),
        ("+12535550192", "failed", "UNALLOCATED_NUMBER"),
    ],
)
def test_unanswered_fates(plivo_client, sandbox_server, receiver, to, status, cause):
    response = _dial(plivo_client, receiver, to)
    hit = _hangup_of(sandbox_server, receiver, response.request_uuid)

    assert hit["form"]["CallStatus"] == status
    assert hit["form"]["HangupCause"] == cause
    assert hit["form"]["Duration"] == "0"
    assert receiver.received("/answer") == []


def test_voicemail_with_machine_detection(plivo_client, sandbox_server, receiver):
    response = _dial(
        plivo_client,
        receiver,
        "+12535550175",
        machine_detection="true",
        machine_detection_url=receiver.url("/machine"),
    )
    _hangup_of(sandbox_server, receiver, response.request_uuid)

    machine = receiver.received("/machine")[0]
    assert machine["form"]["Machine"] == "true"
    assert machine["form"]["RequestUUID"] == response.request_uuid
    assert validate_v3_signature(
        "POST",
        machine["url"],
        machine["nonce"],
        sandbox_server.auth_token,
        machine["signature"],
        machine["form"],
    )
    call = sandbox_server.call(response.request_uuid)
    assert call["answered_by"] == "machine"
    assert call["fate"] == "voicemail"


def test_machine_detected_call_can_be_transferred_to_voicemail_xml(
    plivo_client, sandbox_server, receiver
):
    sandbox_server.configure(talk_seconds=0.5)
    receiver.on_machine = lambda form: sandbox_server.client().calls.update(
        form["CallUUID"], legs="aleg", aleg_url=receiver.url("/input")
    )
    response = _dial(
        plivo_client,
        receiver,
        "+12535550170",
        machine_detection="true",
        machine_detection_url=receiver.url("/machine"),
    )
    _hangup_of(sandbox_server, receiver, response.request_uuid)

    heard = sandbox_server.call(response.request_uuid)["heard"]
    assert heard[-1]["text"] == "Here it is again."


def test_machine_detection_hangup_mode_skips_the_answer_url(
    plivo_client, sandbox_server, receiver
):
    response = _dial(plivo_client, receiver, "+12535550170", machine_detection="hangup")
    hit = _hangup_of(sandbox_server, receiver, response.request_uuid)

    assert hit["form"]["HangupCause"] == "MACHINE_DETECTED"
    assert receiver.received("/answer") == []


@pytest.mark.parametrize(
    ("xml", "problem"),
    [
        ("<Speak>hi</Speak>", "not <Response>"),
        ("<Response><Say>hi</Say></Response>", "unknown element <Say>"),
        ("<Response><Speak language='vi-VN'>Xin chào</Speak></Response>", "vi-VN"),
        ("<Response><Play>audio.mp3</Play></Response>", "http(s) URL"),
        ("<Response><Speak>unclosed</Response>", "not well-formed"),
    ],
)
def test_answer_xml_mistakes_are_recorded(
    plivo_client, sandbox_server, receiver, xml, problem
):
    receiver.xml = xml
    response = _dial(plivo_client, receiver, "+12535550123")
    _hangup_of(sandbox_server, receiver, response.request_uuid)

    errors = sandbox_server.call(response.request_uuid)["xml_errors"]
    assert any(problem in error for error in errors), errors
    assert sandbox_server.stats()["counts"]["xml_errors"] == 1


def test_failing_answer_url_ends_the_call(plivo_client, sandbox_server, receiver):
    response = plivo_client.calls.create(
        from_=CALLER,
        to_="+12535550123",
        answer_url=receiver.url("/broken"),
        hangup_url=receiver.url("/hangup"),
    )
    hit = _hangup_of(sandbox_server, receiver, response.request_uuid)

    assert hit["form"]["HangupCause"] == "ANSWER_URL_FAILED"


def test_hangup_goes_to_the_answer_url_without_a_hangup_url(
    plivo_client, sandbox_server, receiver
):
    response = plivo_client.calls.create(
        from_=CALLER, to_="+12535550181", answer_url=receiver.url("/answer")
    )

    hit = sandbox_server.wait_for(lambda: receiver.received("/answer"))[0]
    assert hit["form"]["CallStatus"] == "busy"
    assert hit["form"]["ALegRequestUUID"] == response.request_uuid


def test_call_details_after_the_call(plivo_client, sandbox_server, receiver):
    response = _dial(plivo_client, receiver, "+12535550181")
    hit = _hangup_of(sandbox_server, receiver, response.request_uuid)

    details = plivo_client.calls.get(hit["form"]["CallUUID"])
    assert details.call_state == "BUSY"
    assert details.to_number == "12535550181"
    listed = plivo_client.calls.list(to_number="12535550181")
    assert [c.call_uuid for c in listed] == [hit["form"]["CallUUID"]]


def test_fallback_url_is_used_when_the_answer_url_fails(
    plivo_client, sandbox_server, receiver
):
    response = plivo_client.calls.create(
        from_=CALLER,
        to_="+12535550123",
        answer_url=receiver.url("/broken"),
        fallback_url=receiver.url("/answer"),
        hangup_url=receiver.url("/hangup"),
    )
    hit = _hangup_of(sandbox_server, receiver, response.request_uuid)

    assert hit["form"]["HangupCause"] == "NORMAL_CLEARING"
    heard = sandbox_server.call(response.request_uuid)["heard"]
    assert heard[0]["text"] == "Hola, llama la escuela Lincoln."


def test_a_person_answering_is_reported_as_machine_false(
    plivo_client, sandbox_server, receiver
):
    response = _dial(
        plivo_client,
        receiver,
        "+12535550123",
        machine_detection="true",
        machine_detection_url=receiver.url("/machine"),
    )
    _hangup_of(sandbox_server, receiver, response.request_uuid)

    assert receiver.received("/machine")[0]["form"]["Machine"] == "false"


def test_machine_is_reported_even_when_the_xml_hangs_up(
    plivo_client, sandbox_server, receiver
):
    receiver.xml = "<Response><Speak>Message.</Speak><Hangup/></Response>"
    response = _dial(
        plivo_client,
        receiver,
        "+12535550171",
        machine_detection="true",
        machine_detection_url=receiver.url("/machine"),
    )
    hit = _hangup_of(sandbox_server, receiver, response.request_uuid)

    assert receiver.received("/machine")[0]["form"]["Machine"] == "true"
    assert hit["form"]["CallStatus"] == "completed"


def test_answer_base_changes_where_callbacks_go_not_what_is_signed(
    plivo_client, sandbox_server, receiver
):
    sandbox_server.configure(answer_base=receiver.base_url)
    public = "https://portal.district.example"
    response = plivo_client.calls.create(
        from_=CALLER,
        to_="+12535550123",
        answer_url=public + "/answer",
        hangup_url=public + "/hangup?delivery=7",
    )
    hit = _hangup_of(sandbox_server, receiver, response.request_uuid)

    assert validate_v3_signature(
        "POST",
        public + "/hangup?delivery=7",
        hit["nonce"],
        sandbox_server.auth_token,
        hit["signature"],
        hit["form"],
    )
    heard = sandbox_server.call(response.request_uuid)["heard"]
    assert heard[1]["status"] == 200

"""Provider callbacks: signatures, idempotence, state only moving forward."""

import pytest

from portal.delivery import audio
from portal.delivery.models import Attempt, Delivery
from portal.extensions import db
from portal.telephony import signatures
from tests.delivery import helpers

TOKEN = "sandbox-token"
NONCE = "12345678901234567890"


def post_signed(client, endpoint, params, form, *, tamper=None, url=None):
    """POST `form` to a callback, signed as the provider would sign it."""
    path = audio.public_url(endpoint, **params)
    signature = signatures.sign("POST", url or path, form, TOKEN, NONCE)
    body = dict(form, **(tamper or {}))
    headers = {
        "X-Plivo-Signature-V3": signature,
        "X-Plivo-Signature-V3-Nonce": NONCE,
    }
    local = path.replace("http://portal.test", "")
    return client.post(local, data=body, headers=headers)


@pytest.fixture
def submitted(make):
    """A submitted call delivery with one attempt."""
    msg = helpers.message("outreach")
    (delivery_id,) = helpers.deliveries(
        msg, ["+12535550142"], state="submitted", attempt_count=1
    )
    attempt = Attempt(delivery_id=delivery_id, number=1, result="accepted")
    db.session.add(attempt)
    db.session.commit()
    return {"delivery": delivery_id, "attempt": attempt.id}


def state_of(delivery_id):
    db.session.expire_all()
    return db.session.get(Delivery, delivery_id).state


HANGUP = {"CallStatus": "completed", "HangupCause": "NORMAL_CLEARING", "To": "1"}


def test_valid_hangup_finishes_the_delivery(client, submitted):
    response = post_signed(client, "delivery.hangup", submitted, HANGUP)
    assert response.status_code == 200
    assert state_of(submitted["delivery"]) == "answered"


@pytest.mark.parametrize(
    "case", ["missing", "bad", "tampered", "wrong_url", "other_token"]
)
def test_bad_signatures_are_refused_and_change_nothing(client, submitted, case):
    path = audio.public_url("delivery.hangup", **submitted)
    local = path.replace("http://portal.test", "")
    good = signatures.sign("POST", path, HANGUP, TOKEN, NONCE)
    headers = {"X-Plivo-Signature-V3": good, "X-Plivo-Signature-V3-Nonce": NONCE}
    body = dict(HANGUP)
    if case == "missing":
        headers = {}
    elif case == "bad":
        headers["X-Plivo-Signature-V3"] = "AAAA" + good[4:]
    elif case == "tampered":
        body["CallStatus"] = "busy"
    elif case == "wrong_url":
        other = path.replace("http://portal.test", "http://evil.test")
        headers["X-Plivo-Signature-V3"] = signatures.sign(
            "POST", other, HANGUP, TOKEN, NONCE
        )
    else:
        headers["X-Plivo-Signature-V3"] = signatures.sign(
            "POST", path, HANGUP, "another-token", NONCE
        )

    response = client.post(local, data=body, headers=headers)

    assert response.status_code == 403
    assert state_of(submitted["delivery"]) == "submitted"


def test_edited_delivery_id_in_the_url_is_refused(client, submitted):
    path = audio.public_url("delivery.hangup", **submitted)
    signature = signatures.sign("POST", path, HANGUP, TOKEN, NONCE)
    edited = path.replace(f"delivery={submitted['delivery']}", "delivery=999")
    response = client.post(
        edited.replace("http://portal.test", ""),
        data=HANGUP,
        headers={
            "X-Plivo-Signature-V3": signature,
            "X-Plivo-Signature-V3-Nonce": NONCE,
        },
    )
    assert response.status_code == 403


def test_replayed_callback_changes_once(client, submitted, app_ctx):
    no_answer = {"CallStatus": "no-answer", "HangupCause": "NO_ANSWER"}
    delivery = db.session.get(Delivery, submitted["delivery"])
    delivery.message.kind = "emergency"  # redialled on no answer
    db.session.commit()

    first = post_signed(client, "delivery.hangup", submitted, no_answer)
    again = post_signed(client, "delivery.hangup", submitted, no_answer)

    assert first.status_code == again.status_code == 200
    db.session.expire_all()
    delivery = db.session.get(Delivery, submitted["delivery"])
    assert delivery.state == "pending"  # one redial scheduled, not two
    attempt = db.session.get(Attempt, submitted["attempt"])
    assert list(attempt.callback) == ["hangup"]


def test_unknown_ids_are_answered_200(client, submitted):
    response = post_signed(
        client, "delivery.hangup", {"delivery": 999999, "attempt": 999999}, HANGUP
    )
    assert response.status_code == 200
    assert state_of(submitted["delivery"]) == "submitted"


def test_delivered_before_sent_ends_delivered(client, make):
    msg = helpers.message("outreach", channels=("sms",))
    (delivery_id,) = helpers.deliveries(
        msg, ["+12535550143"], channel="sms", state="submitted", attempt_count=1
    )
    attempt = Attempt(delivery_id=delivery_id, number=1, result="accepted")
    db.session.add(attempt)
    db.session.commit()
    ids = {"delivery": delivery_id, "attempt": attempt.id}

    post_signed(client, "delivery.sms_status", ids, {"Status": "delivered"})
    post_signed(client, "delivery.sms_status", ids, {"Status": "sent"})

    assert state_of(delivery_id) == "delivered"


def test_sent_then_delivered_upgrades(client, make):
    msg = helpers.message("outreach", channels=("sms",))
    (delivery_id,) = helpers.deliveries(
        msg, ["+12535550144"], channel="sms", state="submitted", attempt_count=1
    )
    attempt = Attempt(delivery_id=delivery_id, number=1)
    db.session.add(attempt)
    db.session.commit()
    ids = {"delivery": delivery_id, "attempt": attempt.id}

    post_signed(client, "delivery.sms_status", ids, {"Status": "sent"})
    assert state_of(delivery_id) == "sent"
    post_signed(client, "delivery.sms_status", ids, {"Status": "delivered"})
    assert state_of(delivery_id) == "delivered"


def test_machine_then_hangup_is_voicemail(client, submitted):
    post_signed(client, "delivery.machine", submitted, {"Machine": "true"})
    post_signed(client, "delivery.hangup", submitted, HANGUP)
    assert state_of(submitted["delivery"]) == "voicemail"


def test_answer_xml_identifies_caller_and_offers_repeat(client, make):
    school = make.building(name="Lincoln Elementary", phone="+12535550199")
    msg = helpers.message("outreach", building=school)
    (delivery_id,) = helpers.deliveries(msg, ["+12535550145"], state="submitted")
    ids = {"delivery": delivery_id, "attempt": 1}

    response = post_signed(client, "delivery.answer", ids, {"CallUUID": "x"})

    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    text = response.get_data(as_text=True)
    assert "Lincoln Elementary" in text
    assert "2 5 3 5 5 5 0 1 9 9" in text
    assert "<GetInput" in text
    assert "Press 1" in text
    assert "Hello from school." in text


def test_audio_links_expire_and_resist_editing(client, app_ctx):
    from portal.messaging.models import Recording

    recording = Recording(
        language="en", mime_type="audio/mpeg", sha256="0" * 64, size=3, audio=b"ID3"
    )
    db.session.add(recording)
    db.session.commit()
    url = audio.recording_link(recording.id).replace("http://portal.test", "")

    assert client.get(url).data == b"ID3"
    assert client.get(url[:-3] + "AAA").status_code == 404
    token = url.rsplit("/", 1)[1]
    assert audio.read_token(token, max_age=-1) is None


def test_the_log_tells_unknown_ids_from_replays(client, submitted, make, caplog):
    other = helpers.message("outreach")
    (stranger,) = helpers.deliveries(other, ["+12535550144"], state="submitted")
    caplog.set_level("INFO", logger="portal.delivery.callbacks")

    post_signed(client, "delivery.hangup", submitted, HANGUP)
    post_signed(client, "delivery.hangup", submitted, HANGUP)
    crossed = dict(submitted, delivery=stranger)  # an attempt of another delivery
    post_signed(client, "delivery.hangup", crossed, HANGUP)

    lines = [r.getMessage() for r in caplog.records if "callback_" in r.getMessage()]
    assert [line.split(" ")[0] for line in lines] == [
        "callback_applied",
        "callback_applied",
        "callback_unknown_ids",
    ]
    assert lines[0].endswith("changed=True")
    assert lines[1].endswith("changed=False")
    assert state_of(stranger) == "submitted"

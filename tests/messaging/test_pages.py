"""The messaging pages: compose step by step, list, detail, queue, advise."""

import io

from sqlalchemy import select

from portal.delivery.models import Delivery
from portal.extensions import db
from portal.messaging import rules, service
from portal.messaging.models import Message
from portal.policy import Role
from tests.messaging.conftest import wav_bytes
from tests.messaging.helpers import ready_message

HX = {"HX-Request": "true"}


def test_principal_composes_and_sends_in_two_languages(
    client, login, csrf, person, school, families
):
    principal = person(Role.PRINCIPAL)
    families(count=2, spanish=1)
    login(principal)

    page = client.get("/messages/new")
    assert page.status_code == 200
    response = client.post(
        "/messages/new",
        data={
            "kind": "outreach",
            "scope": str(school.id),
            "category": "school_event",
            "title": "Spring concert",
        },
        headers=csrf,
    )
    assert response.status_code == 302
    message = db.session.scalar(select(Message))
    base = f"/messages/{message.id}"

    count = client.post(
        f"{base}/audience/count", data={"groups": "guardians"}, headers=csrf | HX
    )
    assert b"2</strong> households" in count.data
    step = client.post(
        f"{base}/channels", data={"channels": ["phone", "sms"]}, headers=csrf | HX
    )
    assert b"4. Content per language" in step.data
    for lang, text in (("en", "Concert Friday"), ("es", "Concierto el viernes")):
        client.post(
            f"{base}/text", data={"language": lang, "text": text}, headers=csrf | HX
        )
        upload = client.post(
            f"{base}/recordings",
            data={"language": lang, "audio": (io.BytesIO(wav_bytes()), "voice.wav")},
            headers=csrf | HX,
            content_type="multipart/form-data",
        )
        assert upload.status_code == 200
    page = client.get(f"{base}/compose")
    assert b"5. Language coverage" in page.data
    assert b"7. Review" in page.data
    assert b"Own language" in page.data

    sent = client.post(f"{base}/send", headers=csrf)
    assert sent.status_code == 302
    again = client.post(f"{base}/send", headers=csrf)
    assert again.status_code == 302
    rows = db.session.scalars(select(Delivery)).all()
    assert len(rows) == 4
    detail = client.get(base)
    assert b"sent" in detail.data
    assert b"History" in detail.data


def test_renamed_text_file_is_refused(client, login, csrf, person, school):
    principal = person(Role.PRINCIPAL)
    message = ready_message(principal, building=school)
    login(principal)
    response = client.post(
        f"/messages/{message.id}/recordings",
        data={"language": "es", "audio": (io.BytesIO(b"hello " * 50), "voice.mp3")},
        headers=csrf | HX,
        content_type="multipart/form-data",
    )
    assert response.status_code == 200  # htmx swaps only 2xx answers
    assert b"not a recording we can play" in response.data
    assert b'role="alert"' in response.data
    plain = client.post(
        f"/messages/{message.id}/recordings",
        data={"language": "es", "audio": (io.BytesIO(b"hello " * 50), "voice.mp3")},
        headers=csrf,
        content_type="multipart/form-data",
    )
    assert plain.status_code == 422
    db.session.expire_all()
    assert {v.language for v in message.variants} == {"en"}


def test_sms_length_partial(client, login, csrf, person):
    login(person(Role.PRINCIPAL))
    response = client.post(
        "/messages/sms-length", data={"text": "x" * 161}, headers=csrf | HX
    )
    assert b"2 SMS segments" in response.data
    assert b"GSM-7" in response.data


def test_other_building_message_is_404(client, login, person, school, other_school):
    author = person(Role.PRINCIPAL)
    message = ready_message(author, building=school)
    login(person(Role.PRINCIPAL, building=other_school))
    assert client.get(f"/messages/{message.id}").status_code == 404
    assert client.get(f"/messages/{message.id}/compose").status_code == 404


def test_list_shows_only_own_building(client, login, person, school, other_school):
    mine = ready_message(person(Role.PRINCIPAL), building=school)
    theirs = ready_message(
        person(Role.PRINCIPAL, building=other_school), building=other_school
    )
    theirs.title = "Other school event"
    db.session.commit()
    login(person(Role.ASSISTANT_PRINCIPAL))
    page = client.get("/messages/")
    assert mine.title.encode() in page.data
    assert b"Other school event" not in page.data
    filtered = client.get("/messages/?state=sent", headers=HX)
    assert b"No messages match" in filtered.data


def test_adviser_approves_on_the_phone_page(
    client, login, csrf, person, school, families, smtp
):
    principal = person(Role.PRINCIPAL)
    adviser = person(Role.ASSISTANT_SUPERINTENDENT)
    message = ready_message(principal, kind="emergency", building=school)
    service.submit(message, principal)
    login(adviser)

    home = client.get("/")
    assert b"Waiting for your approval" in home.data
    queue = client.get("/messages/approvals")
    assert f"/messages/{message.id}/advise".encode() in queue.data
    page = client.get(f"/messages/{message.id}/advise")
    assert b"Advise sending" in page.data
    client.post(
        f"/messages/{message.id}/decide",
        data={
            "approval_kind": "emergency_advice",
            "decision": "approve",
            "back": "advise",
        },
        headers=csrf,
    )
    db.session.expire_all()
    assert rules.EMERGENCY_ADVICE in service.granted(
        db.session.get(Message, message.id)
    )


def test_advise_page_needs_sign_in(client, person, school):
    message = ready_message(person(Role.PRINCIPAL), kind="emergency", building=school)
    response = client.get(f"/messages/{message.id}/advise")
    assert response.status_code == 302
    assert "/signin" in response.headers["Location"]


def test_compose_needs_current_training_when_the_district_asks(
    client, login, person, school
):
    from portal import district_settings

    principal = person(Role.PRINCIPAL, school)
    login(principal)
    assert client.get("/messages/new").status_code == 200

    district_settings.put("training_required_to_compose", True, "test")
    db.session.commit()
    refused = client.get("/messages/new")
    assert refused.status_code == 403
    assert "training" in refused.get_data(as_text=True).lower()

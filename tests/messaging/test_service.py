"""Compose, approve and send through the service layer."""

import threading

import pytest
from sqlalchemy import func, select

from portal.accounts.models import AuditEvent
from portal.delivery.models import Delivery
from portal.extensions import db
from portal.messaging import rules, sending, service
from portal.messaging.models import Approval, Message, NoticeRecord
from portal.policy import Role
from tests.messaging.conftest import wav_bytes
from tests.messaging.helpers import ready_message


def deliveries(message_id):
    return db.session.scalars(
        select(Delivery).where(Delivery.message_id == message_id)
    ).all()


def test_principal_sends_school_event_with_spanish(person, school, families, woken):
    principal = person(Role.PRINCIPAL)
    families(count=3, spanish=1)
    message = ready_message(principal, building=school)
    service.set_variant(message, principal, "es", "Concierto", "Concierto el viernes.")
    service.attach_recording(message, principal, "es", wav_bytes())

    count = sending.send(message.id, principal.id)

    assert count == 6  # 3 households x (phone, sms)
    rows = deliveries(message.id)
    spanish = [d for d in rows if d.language == "es"]
    assert len(spanish) == 2
    assert {d.content_language for d in spanish} == {"es"}
    assert all(d.building_id == school.id for d in rows)
    assert all(d.recipients["guardians"] and d.recipients["students"] for d in rows)
    assert db.session.get(Message, message.id).state in ("sent", "scheduled")
    assert woken == [message.id]


def test_language_without_variant_falls_back_to_english(person, school, families):
    principal = person(Role.PRINCIPAL)
    families(count=2, spanish=2)
    message = ready_message(principal, building=school)
    sending.send(message.id, principal.id)
    assert {d.content_language for d in deliveries(message.id)} == {"en"}
    assert {d.language for d in deliveries(message.id)} == {"es"}


def test_inactive_people_and_bad_contact_points_are_skipped(
    person, school, families, make
):
    principal = person(Role.PRINCIPAL)
    active, gone, broken = families(count=3, spanish=0)
    gone.active = False
    broken.contact_points[0].address = None
    db.session.commit()
    message = ready_message(principal, building=school)
    sending.send(message.id, principal.id)
    addresses = {d.address for d in deliveries(message.id)}
    assert addresses == {active.contact_points[0].address}


def test_siblings_sharing_a_phone_get_one_call(person, school, make):
    principal = person(Role.PRINCIPAL)
    kids = [make.student(school), make.student(school)]
    make.guardian(*kids, phone="+12535559999")
    make.guardian(kids[0], phone="+12535559999")
    message = ready_message(principal, building=school)
    sending.send(message.id, principal.id)
    phone = [d for d in deliveries(message.id) if d.channel == "phone"]
    assert len(phone) == 1
    assert len(phone[0].recipients["guardians"]) == 2
    assert len(phone[0].recipients["students"]) == 2


def test_staff_audience_by_email(person, school, make):
    principal = person(Role.PRINCIPAL)
    make.staff(school, email="Teacher@District.Example")
    message = ready_message(principal, building=school)
    service.edit_draft(
        message,
        principal,
        channels=["email"],
        audience={"buildings": [school.id], "grades": "all", "groups": ["staff"]},
    )
    sending.send(message.id, principal.id)
    rows = deliveries(message.id)
    assert [(d.channel, d.address) for d in rows] == [
        ("email", "teacher@district.example")
    ]
    assert rows[0].recipients["staff"]


def test_district_message_waits_for_content_approval(person, families, school):
    it_admin = person(Role.IT_ADMIN)
    superintendent = person(Role.SUPERINTENDENT)
    families(count=1)
    message = ready_message(it_admin, kind="closure")
    with pytest.raises(service.NotReady, match="content"):
        sending.send(message.id, it_admin.id)
    service.submit(message, it_admin)
    service.decide(message, superintendent, rules.CONTENT, True)
    assert message.state == "approved"
    assert sending.send(message.id, it_admin.id) == 2


def test_content_approver_approves_by_sending(person, families):
    superintendent = person(Role.SUPERINTENDENT)
    families(count=1)
    message = ready_message(superintendent, kind="closure")
    assert sending.send(message.id, superintendent.id) == 2
    approval = db.session.scalar(select(Approval).where(Approval.kind == "content"))
    assert approval.approver_id == superintendent.id


def test_edit_voids_approval(person, families):
    it_admin = person(Role.IT_ADMIN)
    director = person(Role.COMMUNITY_RELATIONS_DIRECTOR)
    families(count=1)
    message = ready_message(it_admin, kind="closure")
    service.submit(message, it_admin)
    service.decide(message, director, rules.CONTENT, True)
    version = message.version
    service.set_variant(message, it_admin, "en", "Closed", "Schools closed today.")
    assert message.version == version + 1
    assert message.state == "draft"
    assert service.granted(message) == set()
    assert db.session.scalar(select(func.count()).where(Approval.voided.is_(True)))
    with pytest.raises(service.NotReady):
        sending.send(message.id, it_admin.id)


def test_reject_needs_comment_and_returns_to_author(person, families):
    it_admin = person(Role.IT_ADMIN)
    designee = person(Role.SUPERINTENDENT_DESIGNEE)
    message = ready_message(it_admin, kind="closure")
    service.submit(message, it_admin)
    with pytest.raises(service.NotReady):
        service.decide(message, designee, rules.CONTENT, False, "")
    service.decide(message, designee, rules.CONTENT, False, "Say which schools.")
    assert message.state == "rejected"
    with pytest.raises(service.WrongState):
        sending.send(message.id, it_admin.id)


def test_emergency_needs_advice_and_tells_the_adviser(
    person, school, families, smtp, texts
):
    principal = person(Role.PRINCIPAL)
    adviser = person(Role.ASSISTANT_SUPERINTENDENT, mobile_phone="+12535550777")
    families(count=1)
    message = ready_message(
        principal, kind="emergency", building=school, situation="evacuation"
    )
    with pytest.raises(service.NotReady, match="emergency advice"):
        sending.send(message.id, principal.id)
    service.submit(message, principal)

    assert [to for to, _ in smtp.messages] == [[adviser.email]]
    assert f"/messages/{message.id}/advise" in smtp.messages[0][1]
    assert texts
    assert texts[0][0] == "+12535550777"
    assert f"/messages/{message.id}/advise" in texts[0][1]

    service.decide(message, adviser, rules.EMERGENCY_ADVICE, True)
    assert sending.send(message.id, principal.id) == 2


def test_sms_module_missing_only_logs(person, school, monkeypatch, caplog):
    import builtins

    from portal.messaging import notify

    real_import = builtins.__import__

    def no_sms(name, *args, **kwargs):
        if name == "portal.delivery.sms":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sms)
    assert notify.send_sms("+12535550777", "hello") is False
    assert "sms_unavailable" in caplog.text


def test_send_twice_creates_one_set_of_deliveries(person, school, families, woken):
    principal = person(Role.PRINCIPAL)
    families(count=2)
    message = ready_message(principal, building=school)
    assert sending.send(message.id, principal.id) == 4
    assert sending.send(message.id, principal.id) == 0
    assert len(deliveries(message.id)) == 4
    assert woken == [message.id]


def test_two_threads_send_once(app, person, school, families):
    principal = person(Role.PRINCIPAL)
    families(count=3)
    message = ready_message(principal, building=school)
    message_id, user_id = message.id, principal.id
    db.session.remove()
    results, barrier = [], threading.Barrier(2)

    def click():
        with app.app_context():
            barrier.wait()
            results.append(sending.send(message_id, user_id))
            db.session.remove()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 6]
    assert len(deliveries(message_id)) == 6
    sends = db.session.scalar(
        select(func.count()).where(AuditEvent.action == "messaging.send")
    )
    assert sends == 1


def test_cancel_scheduled_message_cancels_pending_deliveries(person, school, families):
    from datetime import timedelta

    from portal import clock

    principal = person(Role.PRINCIPAL)
    families(count=1)
    message = ready_message(principal, building=school)
    later = clock.now() + timedelta(days=2)
    service.edit_draft(message, principal, send_mode="at", scheduled_for=later)
    sending.send(message.id, principal.id)
    assert db.session.get(Message, message.id).state == "scheduled"
    assert sending.cancel(message.id, principal.id) == 2
    assert {d.state for d in deliveries(message.id)} == {"cancelled"}


def test_every_action_is_audited(person, families):
    it_admin = person(Role.IT_ADMIN)
    superintendent = person(Role.SUPERINTENDENT)
    families(count=1)
    message = ready_message(it_admin, kind="closure")
    service.submit(message, it_admin)
    service.decide(message, superintendent, rules.CONTENT, False, "Shorter.")
    service.set_variant(message, it_admin, "en", "Closed", "Closed today.")
    service.submit(message, it_admin)
    service.decide(message, superintendent, rules.CONTENT, True)
    sending.send(message.id, it_admin.id)
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.target == f"message:{message.id}")
    ).all()
    for action in ("compose", "edit", "record", "submit", "reject", "approve", "send"):
        assert f"messaging.{action}" in actions


def test_notices_on_district_closure_are_mailed(person, families, smtp):
    superintendent = person(Role.SUPERINTENDENT)
    families(count=1)
    message = ready_message(superintendent, kind="closure")
    sending.send(message.id, superintendent.id)
    notices = db.session.scalars(
        select(NoticeRecord).where(NoticeRecord.message_id == message.id)
    ).all()
    assert {n.notice for n in notices} == {"board", "alt"}
    assert all(n.sent_at is not None and n.error is None for n in notices)
    mailed = sorted(to[0] for to, _ in smtp.messages)
    assert mailed == ["alt@district.example", "board@district.example"]


def test_emergency_notices_go_to_board_alt_and_ssc(person, school, families, smtp):
    principal = person(Role.PRINCIPAL)
    adviser = person(Role.ASSISTANT_SUPERINTENDENT)
    families(count=1)
    message = ready_message(principal, kind="emergency", building=school)
    service.submit(message, principal)
    service.decide(message, adviser, rules.EMERGENCY_ADVICE, True)
    smtp.clear()
    sending.send(message.id, principal.id)
    mailed = sorted(to[0] for to, _ in smtp.messages)
    assert mailed == [
        "alt@district.example",
        "board@district.example",
        "ssc-reception@district.example",
    ]


def test_building_outreach_sends_no_notice(person, school, families, smtp):
    principal = person(Role.PRINCIPAL)
    families(count=1)
    message = ready_message(principal, building=school)
    sending.send(message.id, principal.id)
    assert smtp.messages == []


def test_notice_mail_failure_is_recorded_and_send_stands(
    app, person, families, monkeypatch, caplog
):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    monkeypatch.setitem(app.config, "SMTP_PORT", closed_port)
    superintendent = person(Role.SUPERINTENDENT)
    families(count=1)
    message = ready_message(superintendent, kind="closure")
    assert sending.send(message.id, superintendent.id) == 2
    notices = db.session.scalars(select(NoticeRecord)).all()
    assert notices
    assert all(n.sent_at is None and "not sent" in n.error for n in notices)
    assert db.session.get(Message, message.id).state == "sent"
    assert "notice_mail_failed" in caplog.text


def test_new_situation_brings_its_timing(client, login, csrf, person, school):
    principal = person(Role.PRINCIPAL)
    message = ready_message(principal, kind="emergency", building=school)
    assert message.send_mode == "now"
    login(principal)
    client.post(
        f"/messages/{message.id}/basics",
        data={"title": "Lockdown", "situation": "lockdown"},
        headers=csrf | {"HX-Request": "true"},
    )
    db.session.expire_all()
    assert (message.situation, message.send_mode) == ("lockdown", "end_of_day")

"""Fixtures of the proof tests: two buildings, and building A's records.

`world` builds, in a short app context, one of every record a route can take
by id (a message with a recording and a delivery, a contact problem, an
absence, an import run, an account request, a voice clip), all in building
A, plus one user per building role in building B. Tests receive plain ids.
"""

from datetime import date
from types import SimpleNamespace

import pytest
from flask import g, request_started

from portal.attendance.models import Absence, TtsClip
from portal.contacts.models import ContactProblem
from portal.delivery.models import Delivery
from portal.directory.models import ContactPoint, ImportRun
from portal.extensions import db
from portal.policy import BUILDING_ROLES, Role
from tests import factories, oidc_mock
from tests.conftest import csrf_token, serving_app

# Strings of building A's records that must never reach a building B user.
SECRET_WORDS = ("Quillfeather", "Zanzibarro", "Lakeview Secret Concert")


@pytest.fixture(scope="session")
def issuer():
    """A real OpenID provider, for the sign-in (session fixation) tests."""
    with oidc_mock.provider() as url:
        yield url


@pytest.fixture(scope="session")
def app(pg_database, redis_url, issuer, tmp_path_factory):
    """The portal on this process's PostgreSQL, signing in at `issuer`."""
    with serving_app(
        pg_database, redis_url, tmp_path_factory, OIDC_ISSUER=issuer
    ) as application:
        yield application


def _forget_user(_sender, **_extra):
    g.pop("_login_user", None)


@pytest.fixture(autouse=True)
def _user_per_request(app):
    """Load the signed-in user afresh on every request of every client."""
    request_started.connect(_forget_user, app)
    yield
    request_started.disconnect(_forget_user, app)


def _message_of(principal, building):
    from portal.messaging import service
    from tests.messaging.conftest import wav_bytes

    message = service.create_draft(
        principal,
        kind="outreach",
        building_id=building.id,
        title="Lakeview Secret Concert",
        category="school_event",
    )
    service.edit_draft(message, principal, channels=["phone", "sms"])
    service.set_variant(message, principal, "en", "Concert", "Quillfeather sings.")
    recording = service.attach_recording(message, principal, "en", wav_bytes())
    db.session.commit()
    return message, recording


def _records_of_a(a, principal):
    kid = factories.student(a, first_name="Zanzibarro", last_name="Quillfeather")
    parent = factories.guardian(kid, first_name="Quillfeather", phone="+12535550111")
    point = db.session.query(ContactPoint).filter_by(guardian_id=parent.id).one()
    problem = ContactProblem(
        contact_point_id=point.id, building_id=a.id, source="import", reason="short"
    )
    absence = Absence(date=date.today(), student_id=kid.id, building_id=a.id, code="U")
    run = ImportRun(actor="it@district.example", status="succeeded")
    clip = TtsClip(
        engine="gtts",
        language="en",
        text_hash="0" * 64,
        path="x.mp3",
        mime_type="audio/mpeg",
        size=1,
    )
    db.session.add_all([problem, absence, run, clip])
    db.session.commit()
    return problem, absence, run, clip


def _account_request(a, principal):
    from portal.accounts.requests import AccountRequest

    staff = factories.staff(a, first_name="Quillfeather")
    row = AccountRequest(
        kind="add",
        staff_member_id=staff.id,
        role=Role.OFFICE_STAFF.value,
        building_id=a.id,
        reason="Zanzibarro joins",
        requested_by_id=principal.id,
    )
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def world(app):
    """Buildings A and B, A's records (ids) and B's users, one per role."""
    with app.app_context():
        a = factories.building("LAK", name="Lakeview Elementary")
        b = factories.building("HIL", name="Hillside Middle")
        principal = factories.user(Role.PRINCIPAL, building=a, display_name="Pat A")
        message, recording = _message_of(principal, a)
        delivery = Delivery(
            message_id=message.id,
            channel="sms",
            address="+12535550111",
            building_id=a.id,
            state="delivered",
        )
        db.session.add(delivery)
        problem, absence, run, clip = _records_of_a(a, principal)
        account_request = _account_request(a, principal)
        problem_row = db.session.get(ContactProblem, problem.id)
        office = factories.user(Role.OFFICE_STAFF, building=a, display_name="Olly A")
        problem_row.status, problem_row.assigned_to_id = "assigned", office.id
        own = {
            "principal": principal.id,
            "office_staff": office.id,
            "attendance_clerk": factories.user(
                Role.ATTENDANCE_CLERK, building=a, display_name="Cleo A"
            ).id,
            "it_admin": factories.user(Role.IT_ADMIN, display_name="Ida IT").id,
            "superintendent": factories.user(
                Role.SUPERINTENDENT, display_name="Sam Super"
            ).id,
        }
        db.session.commit()
        others = {
            role: factories.user(role, building=b, display_name=f"B {role.value}").id
            for role in sorted(BUILDING_ROLES)
        }
        return SimpleNamespace(
            a=a.id,
            b=b.id,
            principal=principal.id,
            message=message.id,
            recording=recording.id,
            problem=problem.id,
            absence=absence.id,
            run=run.id,
            clip=clip.id,
            request=account_request.id,
            b_users=others,
            own=own,
        )


@pytest.fixture
def client_as(app, login):
    """A fresh test client signed in as the user with this id, and its CSRF."""
    from portal.accounts.models import PortalUser

    def build(user_id: int):
        test_client = app.test_client()
        with app.app_context():
            user = db.session.get(PortalUser, user_id)
            login(user, test_client)
        return test_client, {"X-CSRFToken": csrf_token(test_client)}

    return build

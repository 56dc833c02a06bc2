"""The `make run` helpers: demo portal users, the SMTP catcher, `.env`."""

import smtplib
import socket
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from portal.accounts import demo
from portal.accounts.models import PortalUser
from portal.extensions import db
from portal.policy import Role
from scripts import dev_setup
from scripts.dev_smtp import SaveToFolder
from tests import factories

ISSUER = "http://127.0.0.1:9400"


def _district():
    office = factories.building("DO", name="District Office", kind="district")
    lakeview = factories.building("LAK", name="Lakeview Elementary")
    factories.building("HIL", name="Hillside Elementary")
    factories.staff(office, job_title="Superintendent", first_name="Emery")
    factories.staff(lakeview, job_title="Assistant Principal", first_name="Ana")
    factories.staff(lakeview, job_title="Principal", first_name="Jordan")
    return lakeview


def test_demo_users_one_per_role(app_ctx):
    lakeview = _district()

    created = demo.ensure_demo_users(ISSUER)

    by_subject = {u.subject: u for u in created}
    assert {r.role for u in created for r in u.roles} == set(Role)
    principal = by_subject["principal-lakeview"]
    assert principal.roles[0].building_id == lakeview.id
    assert principal.display_name.startswith("Jordan")
    assert by_subject["assistant-principal-lakeview"].display_name.startswith("Ana")
    assert by_subject["superintendent"].display_name.startswith("Emery")
    assert by_subject["superintendent"].roles[0].building_id is None
    assert "principal-hillside" in by_subject
    assert by_subject["principal-designee-lakeview"].roles[0].ends_on is not None


def test_demo_users_are_not_made_twice(app_ctx):
    _district()
    demo.ensure_demo_users(ISSUER)

    assert demo.ensure_demo_users(ISSUER) == []
    assert db.session.scalar(select(func.count(PortalUser.id))) == 11


def test_claims_for_the_provider(app_ctx):
    _district()
    demo.ensure_demo_users(ISSUER)

    claims = demo.claims_for(ISSUER)

    assert {"sub", "email", "name"} == set(claims[0])
    assert "principal-lakeview" in {c["sub"] for c in claims}
    assert demo.claims_for("https://elsewhere.example") == []


def test_smtp_catcher_saves_each_mail(tmp_path):
    port = _free_port()
    controller = Controller(SaveToFolder(tmp_path), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        message = EmailMessage()
        message["From"] = "notifications@district.example"
        message["To"] = "board@district.example"
        message["Subject"] = "Emergency notice"
        message.set_content("An emergency message was sent.")
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            smtp.send_message(message)
    finally:
        controller.stop()

    saved = list(tmp_path.glob("*.eml"))
    assert len(saved) == 1
    assert b"Subject: Emergency notice" in saved[0].read_bytes()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_dev_env_points_at_the_local_stand_ins():
    text = dev_setup.dev_env_text()
    for line in (
        "OIDC_ISSUER=http://127.0.0.1:9400",
        "DEV_SIGNIN_HELPERS=1",
        "SMTP_PORT=8025",
        "PLIVO_API_URL=http://127.0.0.1:5055",
        "PUBLIC_BASE_URL=http://127.0.0.1:5000",
    ):
        assert line in text
    assert "PORTAL_ENV=development" in text

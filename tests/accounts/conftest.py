"""Fixtures of the accounts tests: a real SMTP server and a small district."""

import socket
from email import message_from_bytes
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from flask import g, request_started

from portal.policy import Role


class _Inbox:
    """Keeps every message the SMTP server accepts."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 OK"


def _forget_user(_sender, **_extra):
    g.pop("_login_user", None)


@pytest.fixture(autouse=True)
def _user_per_request(app):
    """Load the user afresh on every request.

    The `make` fixture keeps one app context open for the whole test, and
    requests reuse it, so Flask-Login's cached user in `g` would leak from
    one test client to the next.
    """
    request_started.connect(_forget_user, app)
    yield
    request_started.disconnect(_forget_user, app)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app, monkeypatch):
    """A real SMTP server in a thread; the portal sends to it."""
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", controller.port)
    yield inbox
    controller.stop()


@pytest.fixture
def district(make):
    """Two schools, an IT administrator, a superintendent and a principal."""
    lakeview = make.building("LAK", name="Lakeview Elementary")
    hillside = make.building("HIL", name="Hillside Middle")
    it_admin = make.user(Role.IT_ADMIN, display_name="Ida IT", email="it@d.example")
    superintendent = make.user(
        Role.SUPERINTENDENT, display_name="Sam Super", email="super@d.example"
    )
    principal = make.user(
        Role.PRINCIPAL,
        building=lakeview,
        display_name="Pat Lee",
        email="pat@d.example",
    )
    return {
        "lakeview": lakeview,
        "hillside": hillside,
        "it": it_admin,
        "superintendent": superintendent,
        "principal": principal,
    }

"""Fixtures for the messaging tests: a school, its people, a real SMTP server."""

import io
import socket
import threading
import wave

import pytest
from aiosmtpd.controller import Controller

from portal.policy import DISTRICT_ROLES, Role


def wav_bytes(seconds: float = 0.2) -> bytes:
    """A real (silent) WAV recording."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * int(8000 * seconds))
    return buffer.getvalue()


class Inbox:
    """Messages the SMTP server received, as (recipients, raw text)."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(
                (list(envelope.rcpt_tos), envelope.content.decode("utf8", "replace"))
            )
        return "250 OK"

    def clear(self):
        with self.lock:
            self.messages.clear()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_session():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.fixture(autouse=True)
def smtp(request, smtp_session, monkeypatch):
    """Every messaging test mails to a real aiosmtpd server of its own process."""
    inbox, port = smtp_session
    inbox.clear()
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        monkeypatch.setitem(app.config, "SMTP_PORT", port)
    return inbox


@pytest.fixture(autouse=True)
def woken(monkeypatch):
    """Message ids the delivery workers were woken for (no Redis jobs)."""
    calls = []
    monkeypatch.setattr("portal.delivery.dispatch.wake", calls.append)
    return calls


@pytest.fixture(autouse=True)
def texts(monkeypatch):
    """Transactional SMS captured instead of reaching the provider."""
    sent = []
    monkeypatch.setattr(
        "portal.delivery.sms.send_text", lambda to, text: sent.append((to, text))
    )
    return sent


@pytest.fixture
def school(make):
    return make.building("LAK", name="Lakes Elementary")


@pytest.fixture
def other_school(make):
    return make.building("HUD", name="Hudtloff Middle")


@pytest.fixture
def person(make, school):
    """A portal user holding one role (building roles at `school`)."""

    def build(role: Role, building=None, **fields):
        building = building or school
        return make.user(
            role, building=None if role in DISTRICT_ROLES else building, **fields
        )

    return build


@pytest.fixture
def families(make, school):
    """Guardians at `school` with their own phones: 2 English, 1 Spanish."""

    def build(building=None, count=3, spanish=1, start=0):
        building = building or school
        made = []
        for n in range(count):
            language = "es" if n < spanish else "en"
            kid = make.student(building, home_language=language)
            made.append(
                make.guardian(kid, phone=f"+1253555{start + n:04d}", language=language)
            )
        return made

    return build

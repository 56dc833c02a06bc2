"""Fixtures for the attendance tests: a faked Google TTS endpoint, no waits,
and a real SMTP server for the e-mails."""

import base64
import re

import pytest
import responses

from tests.messaging.conftest import smtp_session  # noqa: F401  (a fixture)

GTTS_URL = re.compile(r"https://translate\.google\.com/_/TranslateWebserverUi/.*")
FAKE_MP3 = b"ID3\x03\x00fake-mp3-frames"


def gtts_body(audio: bytes = FAKE_MP3) -> str:
    """A batchexecute reply the way gTTS parses it, carrying `audio`."""
    encoded = base64.b64encode(audio).decode("ascii")
    return ')]}\'\n\n[["wrb.fr","jQ1olc","[\\"' + encoded + '\\"]",null]]\n'


@pytest.fixture
def google_tts():
    """Google's TTS endpoint stood in for at the HTTP layer (responses)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, GTTS_URL, body=gtts_body(), status=200)
        yield mock


@pytest.fixture(autouse=True)
def _no_backoff_waits(app, monkeypatch):
    """Retries happen as in production, without the seconds between them."""
    monkeypatch.setitem(app.config, "TTS_RETRY_DELAYS", (0, 0))
    monkeypatch.setitem(app.config, "TTS_ENGINE", "gtts")


@pytest.fixture
def woken(monkeypatch):
    """Message ids the run woke the delivery workers for (their boundary)."""
    calls: list[int] = []
    monkeypatch.setattr("portal.delivery.dispatch.wake", calls.append)
    return calls


@pytest.fixture
def absent(make):
    """Record an unexcused absence for a student on a date."""
    from portal.attendance.models import Absence
    from portal.extensions import db

    def add(student, day, code="U", held=False):
        row = Absence(
            date=day,
            student_id=student.id,
            building_id=student.building_id,
            code=code,
            held=held,
        )
        db.session.add(row)
        db.session.commit()
        return row

    return add


@pytest.fixture
def inbox(app, smtp_session, monkeypatch):  # noqa: F811
    """E-mails sent during the test, received by a real aiosmtpd server."""
    received, port = smtp_session
    received.clear()
    monkeypatch.setitem(app.config, "SMTP_PORT", port)
    return received

"""Every upload route refuses oversize files and files of the wrong kind."""

import inspect

import pytest

from portal.attendance.models import Absence
from portal.extensions import db
from portal.messaging import audio
from portal.messaging.models import Recording

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 4096
# endpoint: (form field, role of the world that may upload, path template)
UPLOADS = {
    "messaging.upload_recording": (
        "audio",
        "principal",
        "/messages/{message}/recordings",
    ),
    "attendance.upload": ("file", "attendance_clerk", "/attendance/upload"),
}
UPLOAD_MARKS = ("request.files", "FileField", ".file.data", "FileStorage")


def test_the_table_names_every_upload_route(app):
    found = set()
    for endpoint, view in app.view_functions.items():
        try:
            source = inspect.getsource(inspect.unwrap(view))
        except (OSError, TypeError):
            continue
        if any(mark in source for mark in UPLOAD_MARKS):
            found.add(endpoint)
    assert found <= set(UPLOADS), f"add {found - set(UPLOADS)} to UPLOADS"


def _multipart(field: str, data: bytes, name: str) -> bytes:
    """A multipart body built by hand (the test client would spool it to disk)."""
    return b"".join(
        [
            b'--B\r\nContent-Disposition: form-data; name="language"\r\n\r\nen\r\n',
            b"--B\r\nContent-Disposition: form-data; ",
            f'name="{field}"; filename="{name}"\r\n'.encode(),
            b"Content-Type: application/octet-stream\r\n\r\n",
            data,
            b"\r\n--B--\r\n",
        ]
    )


def _post(client, csrf, world, endpoint, data: bytes, name: str):
    field, _role, path = UPLOADS[endpoint]
    return client.post(
        path.format(**vars(world)),
        data=_multipart(field, data, name),
        headers=csrf,
        content_type="multipart/form-data; boundary=B",
    )


def _counts(app):
    with app.app_context():
        return db.session.query(Recording).count(), db.session.query(Absence).count()


@pytest.mark.parametrize("endpoint", sorted(UPLOADS))
def test_beyond_the_request_limit_is_refused(app, world, client_as, endpoint):
    client, csrf = client_as(world.own[UPLOADS[endpoint][1]])
    before = _counts(app)
    huge = b"a" * (app.config["MAX_CONTENT_LENGTH"] + 1)

    response = _post(client, csrf, world, endpoint, huge, "big.csv")

    assert response.status_code == 413
    assert _counts(app) == before


@pytest.mark.parametrize("endpoint", sorted(UPLOADS))
def test_wrong_content_is_refused(app, world, client_as, endpoint):
    client, csrf = client_as(world.own[UPLOADS[endpoint][1]])
    before = _counts(app)

    response = _post(client, csrf, world, endpoint, PNG, "absences.csv")

    assert response.status_code in (200, 400, 422)
    assert "nothing changed" in response.get_data(as_text=True) or (
        response.status_code == 422
    )
    assert _counts(app) == before


def test_a_recording_over_its_own_limit_is_refused(app, world, client_as):
    client, csrf = client_as(world.principal)
    before = _counts(app)
    wav_header = b"RIFF" + b"\xff" * 4 + b"WAVEfmt "
    big = wav_header + b"\x00" * audio.MAX_RECORDING_BYTES

    response = _post(client, csrf, world, "messaging.upload_recording", big, "a.wav")

    assert response.status_code == 422
    assert "larger than" in response.get_data(as_text=True)
    assert _counts(app) == before

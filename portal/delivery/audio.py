"""Unguessable, expiring links under PUBLIC_BASE_URL for the provider's audio.

A link carries an itsdangerous token naming a recording (or a file under
AUDIO_DIR, for generated speech); the audio route serves it only while the
token is fresh. Nothing in the URL can be guessed or edited.
"""

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

SALT = "delivery-audio"
MAX_AGE_SECONDS = 6 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def public_url(endpoint: str, **values) -> str:
    """An absolute URL on PUBLIC_BASE_URL for one of our routes."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    # Built from the URL map, so it works in workers with no request.
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return base + path


def recording_link(recording_id: int) -> str:
    """A link the provider can fetch a recording from, for a few hours."""
    token = _serializer().dumps({"r": recording_id})
    return public_url("delivery.audio", token=token)


def file_link(relative_path: str) -> str:
    """A link to an audio file under AUDIO_DIR (generated speech clips)."""
    token = _serializer().dumps({"f": relative_path})
    return public_url("delivery.audio", token=token)


def read_token(token: str, max_age: int = MAX_AGE_SECONDS) -> dict | None:
    """What a token names, or None when it is forged, edited or expired."""
    try:
        value = _serializer().loads(token, max_age=max_age)
    except BadSignature:
        return None
    return value if isinstance(value, dict) else None

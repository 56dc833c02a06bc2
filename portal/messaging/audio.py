"""Checking an uploaded or browser-recorded voice file by its content.

The file name and the browser's claimed type are ignored: only the first
bytes decide, so a text file renamed to `.mp3` is refused.
"""

MAX_RECORDING_BYTES = 10 * 1024 * 1024
MIN_RECORDING_BYTES = 64


class RecordingRefused(ValueError):
    """The file is not audio we can play, or is too large; says why."""


def _is_wave(data: bytes) -> bool:
    return data[:4] == b"RIFF" and data[8:12] == b"WAVE"


def _is_mp3_frame(data: bytes) -> bool:
    """An MPEG audio frame header: sync bits and no reserved field values."""
    if len(data) < 4 or data[0] != 0xFF or (data[1] & 0xE0) != 0xE0:
        return False
    version = (data[1] >> 3) & 0b11
    layer = (data[1] >> 1) & 0b11
    bitrate = data[2] >> 4
    sample_rate = (data[2] >> 2) & 0b11
    return version != 0b01 and layer != 0 and bitrate != 0xF and sample_rate != 3


def _is_mp3(data: bytes) -> bool:
    return data[:3] == b"ID3" or _is_mp3_frame(data)


SIGNATURES = (
    ("audio/wav", _is_wave),
    ("audio/mpeg", _is_mp3),
    ("audio/ogg", lambda data: data[:4] == b"OggS"),
    ("audio/webm", lambda data: data[:4] == b"\x1a\x45\xdf\xa3"),
)


def sniff(data: bytes) -> str | None:
    """The audio type the bytes start with, or None."""
    for mime_type, matches in SIGNATURES:
        if matches(data):
            return mime_type
    return None


def check(data: bytes, limit: int = MAX_RECORDING_BYTES) -> str:
    """The MIME type of an acceptable recording; raises RecordingRefused."""
    if len(data) > limit:
        raise RecordingRefused(
            f"The file is larger than {limit // (1024 * 1024)} MB. "
            "Record a shorter message."
        )
    if len(data) < MIN_RECORDING_BYTES:
        raise RecordingRefused("The file is empty or too short to be a recording.")
    mime_type = sniff(data)
    if mime_type is None:
        raise RecordingRefused(
            "This file is not a recording we can play. Use WAV, MP3, Ogg or WebM."
        )
    return mime_type

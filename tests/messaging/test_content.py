"""Recording checks by content, and SMS length."""

import pytest

from portal.messaging import audio, sms
from tests.messaging.conftest import wav_bytes

PAD = b"\x00" * 200


@pytest.mark.parametrize(
    ("data", "mime_type"),
    [
        (wav_bytes(), "audio/wav"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00" + PAD, "audio/mpeg"),
        (b"\xff\xfb\x90\x64" + PAD, "audio/mpeg"),
        (b"OggS\x00\x02" + PAD, "audio/ogg"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81" + PAD, "audio/webm"),
    ],
)
def test_audio_is_recognised_by_content(data, mime_type):
    assert audio.check(data) == mime_type


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"Dear families, this is not audio at all. " * 10, "not a recording"),
        (b"%PDF-1.7\n" + PAD, "not a recording"),
        (b"\x89PNG\r\n\x1a\n" + PAD, "not a recording"),
        (b"RIFF\x00\x00\x00\x00AVI " + PAD, "not a recording"),
        (b"\xff\xff\xff\xff" + PAD, "not a recording"),
        (b"", "empty"),
        (b"RIFF", "empty"),
    ],
)
def test_non_audio_is_refused(data, reason):
    with pytest.raises(audio.RecordingRefused, match=reason):
        audio.check(data)


def test_too_large_is_refused():
    with pytest.raises(audio.RecordingRefused, match="larger than"):
        audio.check(wav_bytes(seconds=2), limit=1024 * 1024 // 100)


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 0),
        ("x" * 160, "GSM-7", 160, 1),
        ("x" * 161, "GSM-7", 161, 2),
        ("x" * 306, "GSM-7", 306, 2),
        ("x" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),
        ("Mañana no hay clases", "GSM-7", 20, 1),
        ("Học sinh nghỉ học", "UCS-2", 17, 1),
        ("á" * 71, "UCS-2", 71, 2),
        ("😀" * 35, "UCS-2", 70, 1),
    ],
)
def test_sms_length(text, encoding, units, segments):
    length = sms.measure(text)
    assert (length.encoding, length.units, length.segments) == (
        encoding,
        units,
        segments,
    )

"""The TTS engines: gTTS at the HTTP layer, espeak-ng for real, the cache."""

import shutil

import pytest
import responses

from portal.attendance.models import TtsClip
from portal.extensions import db
from portal.telephony import tts
from tests.attendance.conftest import FAKE_MP3, GTTS_URL, gtts_body


def test_gtts_clip_is_synthesized_once_and_cached(app_ctx, google_tts):
    clip = tts.clip_for("gtts", "es", "Hola")
    again = tts.clip_for("gtts", "es", "Hola")

    assert clip.id == again.id
    assert tts.clip_path(clip).read_bytes() == FAKE_MP3
    assert clip.mime_type == "audio/mpeg"
    assert len(google_tts.calls) == 1
    assert google_tts.calls[0].request.req_kwargs["timeout"] == tts.GTTS_TIMEOUT_SECONDS


def test_cache_key_is_engine_language_and_text(app_ctx, google_tts):
    tts.clip_for("gtts", "es", "Ana")
    tts.clip_for("gtts", "pt", "Ana")
    tts.clip_for("gtts", "es", "Luis")

    assert db.session.query(TtsClip).count() == 3
    assert len(google_tts.calls) == 3


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 429, "body": "slow down"},
        {"status": 500, "body": "oops"},
        {"status": 200, "body": ")]}'\n\n[]\n"},
    ],
    ids=["429", "500", "200-without-audio"],
)
def test_gtts_passing_failure_is_retried_then_succeeds(app_ctx, failure):
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, GTTS_URL, **failure)
        mock.add(responses.POST, GTTS_URL, body=gtts_body(), status=200)

        clip = tts.clip_for("gtts", "vi", "Xin chào")

        assert len(mock.calls) == 2
    assert tts.clip_path(clip).read_bytes() == FAKE_MP3


def test_gtts_keeps_failing_raises_unavailable_and_caches_nothing(app_ctx):
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, GTTS_URL, status=503, body="down")

        with pytest.raises(tts.TtsUnavailable):
            tts.clip_for("gtts", "es", "Hola")

        assert len(mock.calls) == 3  # the first try and two retries
    assert db.session.query(TtsClip).count() == 0


def test_gtts_client_error_is_not_retried(app_ctx):
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, GTTS_URL, status=400, body="bad")

        with pytest.raises(tts.TtsError) as raised:
            tts.clip_for("gtts", "es", "Hola")

        assert not isinstance(raised.value, tts.TtsUnavailable)
        assert len(mock.calls) == 1


@pytest.mark.skipif(not shutil.which("espeak-ng"), reason="espeak-ng not installed")
def test_espeak_makes_real_wav_audio(app_ctx):
    clip = tts.clip_for("espeak", "es", "Hola, buenos días")

    audio = tts.clip_path(clip).read_bytes()
    assert audio[:4] == b"RIFF"
    assert audio[8:12] == b"WAVE"
    assert len(audio) > 1000
    assert clip.mime_type == "audio/wav"


@pytest.mark.parametrize(
    ("language", "engine", "expected"),
    [
        ("es", "gtts", tts.VoiceChoice("gtts", "es")),
        ("vi", "gtts", tts.VoiceChoice("gtts", "vi")),
        ("so", "gtts", tts.VoiceChoice("gtts", "en", fallback_from="so")),
        ("sm", "gtts", tts.VoiceChoice("gtts", "en", fallback_from="sm")),
        ("ht", "gtts", tts.VoiceChoice("gtts", "en", fallback_from="ht")),
        ("hmn", "gtts", tts.VoiceChoice("gtts", "en", fallback_from="hmn")),
        ("ht", "espeak", tts.VoiceChoice("espeak", "ht")),
        ("vi", "plivo", tts.VoiceChoice("plivo", "en", fallback_from="vi")),
        ("es", "plivo", tts.VoiceChoice("plivo", "es")),
    ],
)
def test_language_choice_and_fallback(app_ctx, language, engine, expected):
    assert tts.choose_voice(language, engine) == expected


def test_plivo_speak_used_where_the_configured_engine_has_no_voice(app_ctx):
    tts.ENGINES["gtts"].speaks("pl")  # warm the table
    choice = tts.choose_voice("da-DK-only", "gtts")
    assert choice.language == "en"

    espeak_lacks = next(
        code
        for code in tts.PLIVO_SPEAK_LANGUAGES
        if not tts.ENGINES["espeak"].speaks(code)
    )
    choice = tts.choose_voice(espeak_lacks, "espeak")
    assert choice == tts.VoiceChoice("plivo", espeak_lacks, fallback_from=espeak_lacks)


def test_plivo_engine_makes_no_audio(app_ctx):
    with pytest.raises(tts.TtsError):
        tts.get_engine("plivo").synthesize("Hello", "en")
    assert tts.plivo_language("es") == "es-US"
    assert tts.plivo_language("so") == "en-US"

"""Text-to-speech behind one small interface: gTTS, espeak-ng, Plivo Speak.

`TTS_ENGINE` picks the engine. gTTS is production; espeak-ng makes real
audio offline (previews, development, a fallback); Plivo Speak makes no file
at all: the call's answer XML asks Plivo to speak the text itself.

Clips are cached by (engine, language, text): on disk under `AUDIO_DIR`
and as a `TtsClip` row, so a day's synthesis grows with new names only.
"""

import hashlib
import io
import logging
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import gtts
from flask import current_app
from gtts.lang import tts_langs
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from portal.attendance.models import TtsClip
from portal.extensions import db

logger = logging.getLogger(__name__)

GTTS_TIMEOUT_SECONDS = 10
ESPEAK_TIMEOUT_SECONDS = 20
DEFAULT_RETRY_DELAYS = (1.0, 2.0, 4.0)

# Plivo's own Speak languages (answer XML); simple codes map to a locale.
PLIVO_SPEAK_LANGUAGES = {
    "da": "da-DK",
    "nl": "nl-NL",
    "en": "en-US",
    "en-GB": "en-GB",
    "en-AU": "en-AU",
    "fr": "fr-FR",
    "fr-CA": "fr-CA",
    "de": "de-DE",
    "it": "it-IT",
    "pl": "pl-PL",
    "pt": "pt-BR",
    "pt-PT": "pt-PT",
    "ru": "ru-RU",
    "es": "es-US",
    "sv": "sv-SE",
}
PLIVO_VOICE = "WOMAN"

# Our language codes that espeak-ng names differently.
ESPEAK_VOICES = {"en": "en-us", "pt": "pt-br", "zh": "cmn", "fr": "fr-fr"}

# Counts requests to engines that make audio (the benchmark reads these).
requests_made: dict[str, int] = {}


class TtsError(Exception):
    """The engine cannot say this text (bad language, refused input)."""


class TtsUnavailable(TtsError):
    """A passing failure (429, 5xx, timeout, empty audio): try again later."""


@dataclass(frozen=True)
class VoiceChoice:
    """Which engine speaks a household's language, and in what language.

    `fallback_from` is the household's language when it could not be used
    as asked (another engine, or English).
    """

    engine: str
    language: str
    fallback_from: str | None = None


class GttsEngine:
    """Google Translate's voice through gTTS (MP3, one request per chunk)."""

    name = "gtts"
    makes_audio = True
    mime_type = "audio/mpeg"
    suffix = ".mp3"

    def speaks(self, language: str) -> bool:
        return language in _gtts_languages()

    def synthesize(self, text: str, language: str) -> bytes:
        """MP3 bytes, or TtsUnavailable for 429/5xx/no audio."""
        buffer = io.BytesIO()
        speech = gtts.gTTS(
            text, lang=language, lang_check=False, timeout=GTTS_TIMEOUT_SECONDS
        )
        try:
            speech.write_to_fp(buffer)
        except gtts.gTTSError as error:
            status = getattr(error.rsp, "status_code", None)
            if status is None or status == 429 or status >= 500:
                raise TtsUnavailable(f"gtts status={status}") from error
            if status == 200:
                raise TtsUnavailable("gtts reply without audio") from error
            raise TtsError(f"gtts status={status}") from error
        audio = buffer.getvalue()
        if not audio:
            raise TtsUnavailable("gtts returned no audio")
        return audio


class EspeakEngine:
    """Debian's espeak-ng: robotic but offline, writes a WAV file."""

    name = "espeak"
    makes_audio = True
    mime_type = "audio/wav"
    suffix = ".wav"

    def speaks(self, language: str) -> bool:
        return _espeak_voice(language) is not None

    def synthesize(self, text: str, language: str) -> bytes:
        """WAV bytes from `espeak-ng -v VOICE -w FILE TEXT`."""
        voice = _espeak_voice(language)
        if voice is None:
            raise TtsError(f"espeak-ng has no voice for {language}")
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "clip.wav"
            try:
                subprocess.run(
                    ["espeak-ng", "-v", voice, "-w", str(out), "--", text],
                    check=True,
                    capture_output=True,
                    timeout=ESPEAK_TIMEOUT_SECONDS,
                )
            except (OSError, subprocess.SubprocessError) as error:
                raise TtsUnavailable("espeak-ng failed") from error
            audio = out.read_bytes() if out.exists() else b""
        if len(audio) <= 44:  # a WAV header and no samples
            raise TtsUnavailable("espeak-ng wrote no audio")
        return audio


class PlivoSpeakEngine:
    """Plivo speaks the text during the call: nothing to synthesize here."""

    name = "plivo"
    makes_audio = False
    mime_type = ""
    suffix = ""

    def speaks(self, language: str) -> bool:
        return language in PLIVO_SPEAK_LANGUAGES

    def synthesize(self, text: str, language: str) -> bytes:
        raise TtsError("Plivo Speak makes no audio file")


ENGINES = {e.name: e for e in (GttsEngine(), EspeakEngine(), PlivoSpeakEngine())}


def get_engine(name: str):
    """The engine called `name` (gtts, espeak or plivo)."""
    try:
        return ENGINES[name]
    except KeyError:
        raise ValueError(f"unknown TTS engine {name!r}") from None


def configured_engine() -> str:
    return current_app.config.get("TTS_ENGINE", "gtts")


def plivo_language(language: str) -> str:
    """Plivo's locale for a language, English (US) when it has none."""
    return PLIVO_SPEAK_LANGUAGES.get(language, "en-US")


def choose_voice(language: str, configured: str | None = None) -> VoiceChoice:
    """The engine and language for a household's language.

    The configured engine when it speaks the language; else Plivo Speak
    when Plivo has it; else English on the configured engine.
    """
    configured = configured or configured_engine()
    if get_engine(configured).speaks(language):
        return VoiceChoice(configured, language)
    if configured != "plivo" and ENGINES["plivo"].speaks(language):
        return VoiceChoice("plivo", language, fallback_from=language)
    return VoiceChoice(configured, "en", fallback_from=language)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def find_clip(engine: str, language: str, text: str) -> TtsClip | None:
    """The cached clip for this text, if it was made and its file exists."""
    return find_clips(engine, language, [text])[0]


def find_clips(engine: str, language: str, texts: list[str]) -> list[TtsClip | None]:
    """The cached clips of these texts in order, None where missing (one query)."""
    hashes = [text_hash(t) for t in texts]
    rows = db.session.scalars(
        select(TtsClip).where(
            TtsClip.engine == engine,
            TtsClip.language == language,
            TtsClip.text_hash.in_(set(hashes)),
        )
    )
    found = {clip.text_hash: clip for clip in rows if clip_path(clip).exists()}
    return [found.get(h) for h in hashes]


def cached_hashes(engine: str, language: str, hashes: set[str]) -> set[str]:
    """Which of these text hashes already have a clip (one query)."""
    if not hashes:
        return set()
    return set(
        db.session.scalars(
            select(TtsClip.text_hash).where(
                TtsClip.engine == engine,
                TtsClip.language == language,
                TtsClip.text_hash.in_(hashes),
            )
        )
    )


def clip_path(clip: TtsClip) -> Path:
    return Path(current_app.config["AUDIO_DIR"]) / clip.path


def clip_for(engine_name: str, language: str, text: str) -> TtsClip:
    """The clip for (engine, language, text), synthesized only if not cached.

    Raises TtsUnavailable when the engine keeps failing after its retries.
    """
    clip = find_clip(engine_name, language, text)
    if clip is not None:
        return clip
    return make_clip(engine_name, language, text)


def make_clip(engine_name: str, language: str, text: str) -> TtsClip:
    """Synthesize and store a clip (the caller knows it is not cached)."""
    row = synthesize_to_file(engine_name, language, text)
    return _store_clip_row(**row)


def synthesize_to_file(engine_name: str, language: str, text: str) -> dict:
    """Synthesize, write the audio under AUDIO_DIR; returns the clip's row."""
    engine = get_engine(engine_name)
    audio = _synthesize_with_retry(engine, text, language)

    digest = text_hash(text)
    relative = Path("tts") / engine.name / language / f"{digest}{engine.suffix}"
    _write_atomically(Path(current_app.config["AUDIO_DIR"]) / relative, audio)
    return {
        "engine": engine.name,
        "language": language,
        "text_hash": digest,
        "path": str(relative),
        "mime_type": engine.mime_type,
        "size": len(audio),
    }


def store_clips(rows: list[dict]) -> None:
    """Insert many clip rows at once; one by one if another worker raced us."""
    if not rows:
        return
    try:
        with db.session.begin_nested():
            db.session.execute(insert(TtsClip), rows)
    except IntegrityError:
        for row in rows:
            _store_clip_row(**row)


def _synthesize_with_retry(engine, text: str, language: str) -> bytes:
    """Ask the engine, backing off on passing failures (429, 5xx, empty)."""
    delays = current_app.config.get("TTS_RETRY_DELAYS", DEFAULT_RETRY_DELAYS)
    last_error: TtsUnavailable | None = None
    for attempt, delay in enumerate((0, *delays), start=1):
        if delay:
            time.sleep(delay)
        requests_made[engine.name] = requests_made.get(engine.name, 0) + 1
        try:
            return engine.synthesize(text, language)
        except TtsUnavailable as error:
            last_error = error
            logger.warning(
                "tts_retry engine=%s language=%s attempt=%d reason=%s",
                engine.name,
                language,
                attempt,
                error,
            )
    raise last_error


def _write_atomically(path: Path, audio: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
    with os.fdopen(fd, "wb") as handle:
        handle.write(audio)
    os.replace(temporary, path)


def _store_clip_row(**row) -> TtsClip:
    """Insert the clip row; another worker may have made the same one."""
    try:
        with db.session.begin_nested():
            clip = TtsClip(**row)
            db.session.add(clip)
        return clip
    except IntegrityError:
        return db.session.scalar(
            select(TtsClip).where(
                TtsClip.engine == row["engine"],
                TtsClip.language == row["language"],
                TtsClip.text_hash == row["text_hash"],
            )
        )


@cache
def _gtts_languages() -> frozenset[str]:
    return frozenset(tts_langs())


@cache
def _espeak_voices() -> frozenset[str]:
    try:
        listing = subprocess.run(
            ["espeak-ng", "--voices"],
            check=True,
            capture_output=True,
            text=True,
            timeout=ESPEAK_TIMEOUT_SECONDS,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        logger.warning("espeak_unavailable")
        return frozenset()
    return frozenset(line.split()[1] for line in listing.splitlines()[1:] if line)


def _espeak_voice(language: str) -> str | None:
    voices = _espeak_voices()
    for candidate in (ESPEAK_VOICES.get(language), language, language.lower()):
        if candidate and candidate in voices:
            return candidate
    return None

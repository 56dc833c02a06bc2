"""What a call says, as a list of voice parts, by message kind.

Emergency, outreach and closure calls play the message's recording in the
delivery's content language (or English). Other kinds register a provider:
`register_voice_provider("attendance", func)` where `func(delivery)` returns
the parts (for attendance: text-to-speech clips with each child's name).
The answer XML is built from these parts; nothing else decides what a
family hears. `register_text_provider` does the same for what e-mails and
texts of a kind say (`written_text`).
"""

from collections.abc import Callable
from dataclasses import dataclass

from portal.delivery import audio
from portal.delivery.models import Delivery
from portal.messaging.models import MessageVariant

RECORDED_KINDS = frozenset({"emergency", "outreach", "closure"})


@dataclass(frozen=True)
class VoicePart:
    """One step of a call: play an audio URL, or speak text in a language."""

    action: str  # play | speak
    url: str | None = None
    text: str | None = None
    language: str = "en"

    @classmethod
    def play(cls, url: str) -> "VoicePart":
        return cls(action="play", url=url)

    @classmethod
    def speak(cls, text: str, language: str = "en") -> "VoicePart":
        return cls(action="speak", text=text, language=language)


VoiceProvider = Callable[[Delivery], list[VoicePart]]
_providers: dict[str, VoiceProvider] = {}


def register_voice_provider(kind: str, func: VoiceProvider) -> None:
    """Let another area say what calls of `kind` play (last one wins)."""
    _providers[kind] = func


@dataclass(frozen=True)
class WrittenText:
    """What an e-mail or text says: its language, subject and text."""

    language: str
    subject: str | None
    text: str | None


TextProvider = Callable[[Delivery], WrittenText]
_text_providers: dict[str, TextProvider] = {}


def register_text_provider(kind: str, func: TextProvider) -> None:
    """Let another area say what e-mails and texts of `kind` say."""
    _text_providers[kind] = func


def written_text(delivery: Delivery) -> WrittenText | None:
    """The e-mail or text of `delivery`: its kind's provider, else the variant."""
    kind = delivery.message.kind
    if kind in _text_providers:
        return _text_providers[kind](delivery)
    variant = variant_for(delivery)
    if variant is None:
        return None
    return WrittenText(variant.language, variant.subject, variant.text)


def variant_for(delivery: Delivery) -> MessageVariant | None:
    """The message variant in the delivery's content language, else English."""
    variants = {v.language: v for v in delivery.message.variants}
    return (
        variants.get(delivery.content_language)
        or variants.get(delivery.language)
        or variants.get("en")
        or next(iter(variants.values()), None)
    )


def voice_parts(delivery: Delivery) -> list[VoicePart]:
    """The parts of the call for `delivery`, in order."""
    kind = delivery.message.kind
    if kind in _providers:
        return list(_providers[kind](delivery))
    variant = variant_for(delivery)
    if variant is None:
        return []
    if variant.recording_id is not None:
        return [VoicePart.play(audio.recording_link(variant.recording_id))]
    if variant.text:
        return [VoicePart.speak(variant.text, variant.language)]
    return []

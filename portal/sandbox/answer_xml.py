"""Reading the Plivo XML the portal answers with, and finding its mistakes.

`parse(text)` turns a document into a list of steps a simulated phone can
follow and a list of problems Plivo would have tripped over (a wrong root,
an unknown element, a Speak language Plivo lacks, a Play without a URL).
"""

import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

SPEAK_LANGUAGES = {
    "da-DK", "nl-NL", "en-AU", "en-GB", "en-US", "fr-FR", "fr-CA", "de-DE",
    "it-IT", "pl-PL", "pt-PT", "pt-BR", "ru-RU", "es-ES", "es-US", "sv-SE",
}  # fmt: skip

KNOWN = {
    "Speak", "Play", "Wait", "GetInput", "GetDigits", "Hangup", "Redirect",
    "PreAnswer", "Record", "DTMF", "Dial", "Conference", "Message", "Stream",
    "MultiPartyCall",
}  # fmt: skip
SIMULATED = {"Speak", "Play", "Wait", "GetInput", "Hangup", "Redirect"}
INPUT_CHILDREN = {"Speak", "Play", "Wait"}
WORDS_PER_SECOND = 2.5
PLAY_SECONDS = 10


def parse(text: str) -> tuple[list[dict], list[str]]:
    """The steps of a Plivo XML document and the problems found in it."""
    errors: list[str] = []
    try:
        root = ET.fromstring(text)  # noqa: S314 - trusted, local
    except ET.ParseError as error:
        return [], [f"not well-formed XML: {error}"]
    if root.tag != "Response":
        return [], [f"root element is <{root.tag}>, not <Response>"]
    steps = [_step(child, errors, "Response") for child in root]
    return [s for s in steps if s], errors


def _step(element, errors: list[str], parent: str) -> dict | None:
    tag = element.tag
    if tag not in KNOWN:
        errors.append(f"unknown element <{tag}> in <{parent}>")
        return None
    if tag not in SIMULATED:
        return {"element": tag, "simulated": False}
    return _READERS[tag](element, errors)


def _loop(element, errors: list[str]) -> int:
    raw = element.get("loop", "1")
    if not raw.isdigit():
        errors.append(f"<{element.tag}> loop={raw!r} is not a number")
        return 1
    return int(raw)


def _speak(element, errors):
    text = (element.text or "").strip()
    language = element.get("language", "en-US")
    voice = element.get("voice", "WOMAN")
    if not text:
        errors.append("<Speak> has no text")
    if language not in SPEAK_LANGUAGES and not voice.startswith("Polly."):
        errors.append(f"<Speak> language {language!r} is not one Plivo speaks")
    return {
        "element": "Speak",
        "text": text,
        "language": language,
        "voice": voice,
        "loop": _loop(element, errors),
    }


def _play(element, errors):
    url = (element.text or "").strip()
    if urlsplit(url).scheme not in ("http", "https"):
        errors.append(f"<Play> needs an http(s) URL, got {url[:60]!r}")
    return {"element": "Play", "url": url, "loop": _loop(element, errors)}


def _wait(element, errors):
    raw = element.get("length", "1")
    if not raw.isdigit():
        errors.append(f"<Wait> length={raw!r} is not a number")
        raw = "1"
    return {"element": "Wait", "length": int(raw), "beep": element.get("beep")}


def _get_input(element, errors):
    children = []
    for child in element:
        if child.tag not in INPUT_CHILDREN:
            errors.append(f"<{child.tag}> is not allowed inside <GetInput>")
            continue
        children.append(_READERS[child.tag](child, errors))
    action = element.get("action", "")
    if action and urlsplit(action).scheme not in ("http", "https"):
        errors.append(f"<GetInput> action {action[:60]!r} is not an http(s) URL")
    return {
        "element": "GetInput",
        "action": action,
        "method": element.get("method", "POST").upper(),
        "input_type": element.get("inputType", ""),
        "num_digits": element.get("numDigits", ""),
        "children": children,
    }


def _hangup(element, errors):
    return {"element": "Hangup", "reason": element.get("reason", "")}


def _redirect(element, errors):
    url = (element.text or "").strip()
    if urlsplit(url).scheme not in ("http", "https"):
        errors.append(f"<Redirect> needs an http(s) URL, got {url[:60]!r}")
    return {"element": "Redirect", "url": url, "method": element.get("method", "POST")}


_READERS = {
    "Speak": _speak,
    "Play": _play,
    "Wait": _wait,
    "GetInput": _get_input,
    "Hangup": _hangup,
    "Redirect": _redirect,
}


def seconds(step: dict) -> float:
    """About how long a step takes to hear (for the call's Duration)."""
    if step["element"] == "Speak":
        return len(step["text"].split()) / WORDS_PER_SECOND * max(step["loop"], 1)
    if step["element"] == "Play":
        return PLAY_SECONDS * max(step["loop"], 1)
    if step["element"] == "Wait":
        return step["length"]
    if step["element"] == "GetInput":
        return sum(seconds(child) for child in step["children"]) + 5
    return 0

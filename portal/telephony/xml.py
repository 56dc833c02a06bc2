"""The Plivo XML a call answers with: who is calling, the message, repeat.

A person hears: a short identification (the school or district and a
number to call back), the message parts (recordings or speech in their
language) and "press 1 to repeat". An answering machine gets the same
message after the beep, without the prompt.
"""

from plivo import plivoxml

# Our language codes → Plivo <Speak> languages. Others (vi, ht, so, …) are
# not spoken by Plivo: their content must be a recording or a clip.
SPEAK_LANGUAGES = {
    "en": "en-US",
    "es": "es-US",
    "fr": "fr-FR",
    "de": "de-DE",
    "it": "it-IT",
    "pl": "pl-PL",
    "pt": "pt-BR",
    "ru": "ru-RU",
    "nl": "nl-NL",
    "sv": "sv-SE",
    "da": "da-DK",
}

IDENTIFY = {
    "en": "This is a message from {caller}.",
    "es": "Este es un mensaje de {caller}.",
    "fr": "Ceci est un message de {caller}.",
    "pt": "Esta é uma mensagem de {caller}.",
    "ru": "Это сообщение от {caller}.",
}
CALL_BACK = {
    "en": "To reach us, call {number}.",
    "es": "Para comunicarse con nosotros, llame al {number}.",
    "fr": "Pour nous joindre, appelez le {number}.",
    "pt": "Para falar conosco, ligue para {number}.",
    "ru": "Чтобы связаться с нами, позвоните по номеру {number}.",
}
REPEAT = {
    "en": "Press 1 to hear this message again.",
    "es": "Oprima 1 para escuchar este mensaje otra vez.",
    "fr": "Appuyez sur 1 pour réécouter ce message.",
    "pt": "Pressione 1 para ouvir esta mensagem novamente.",
    "ru": "Нажмите 1, чтобы прослушать сообщение ещё раз.",
}


def speak_language(language: str) -> tuple[str, str]:
    """(our code that will be used, Plivo language) for spoken text."""
    if language in SPEAK_LANGUAGES:
        return language, SPEAK_LANGUAGES[language]
    return "en", SPEAK_LANGUAGES["en"]


def spoken_number(number: str) -> str:
    """A phone number read digit by digit."""
    return " ".join(ch for ch in number if ch.isdigit())


def _add_parts(element, parts) -> None:
    for part in parts:
        if part.action == "play":
            element.add_play(part.url)
        else:
            element.add_speak(part.text, language=speak_language(part.language)[1])


def _add_identification(element, caller: str, number: str, language: str):
    code, plivo_language = speak_language(language)
    text = IDENTIFY.get(code, IDENTIFY["en"]).format(caller=caller)
    if number:
        back = CALL_BACK.get(code, CALL_BACK["en"])
        text += " " + back.format(number=spoken_number(number))
    element.add_speak(text, language=plivo_language)


def answer(parts, *, caller, number, language, repeat_url, machine=False) -> str:
    """The answer XML for one call."""
    response = plivoxml.ResponseElement()
    if machine:
        response.add_wait(length=30, beep=True)
        _add_identification(response, caller, number, language)
        _add_parts(response, parts)
        return response.to_string(pretty=False)

    menu = plivoxml.GetInputElement(
        action=repeat_url,
        method="POST",
        input_type="dtmf",
        num_digits=1,
        digit_end_timeout=5,
        execution_timeout=15,
        redirect=True,
    )
    _add_identification(menu, caller, number, language)
    _add_parts(menu, parts)
    code, plivo_language = speak_language(language)
    menu.add_speak(REPEAT.get(code, REPEAT["en"]), language=plivo_language)
    response.add(menu)
    return response.to_string(pretty=False)


def goodbye() -> str:
    """An empty answer that ends the call."""
    response = plivoxml.ResponseElement()
    response.add_hangup()
    return response.to_string(pretty=False)


def sms_reply(text: str, *, src: str, dst: str) -> str:
    """A reply to an inbound text, sent by the provider from our number."""
    response = plivoxml.ResponseElement()
    response.add_message(text, src=src, dst=dst, type="sms")
    return response.to_string(pretty=False)

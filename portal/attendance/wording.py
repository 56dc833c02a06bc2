"""What an attendance call says: the language's template, cut into clips.

A template such as "{school} is calling: {names} was absent on {date}." is
cut at its placeholders. Each literal piece is one clip per language, each
child's name one clip per language, the school's name and the date one clip
per language: the call plays them in order, so synthesis grows with new
names, not with calls.
"""

import re
from dataclasses import dataclass
from datetime import date
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, match_skeleton
from sqlalchemy import select

from portal.attendance.models import AttendanceTemplate
from portal.extensions import db

PLACEHOLDERS = ("names", "school", "date")
_SPLIT = re.compile(r"(\{(?:names|school|date)\})")
_ANY_BRACE = re.compile(r"\{([^}]*)\}")
_WORD = re.compile(r"\w")
# A date pattern's fields, and its quoted literals (left as they are).
_DATE_FIELD = re.compile(r"'[^']*'|([EcLM])\1*")

DEFAULT_TEMPLATES = {
    "en": (
        "Attendance notice from {school}",
        "Hello, this is {school}. {names} did not attend school on {date}. "
        "Please call the attendance office. Thank you.",
        "and",
    ),
    "es": (
        "Aviso de asistencia de {school}",
        "Hola, le llamamos de {school}. {names} no asistió a la escuela el "
        "{date}. Por favor llame a la oficina de asistencia. Gracias.",
        "y",
    ),
}


# What the written message (before names are known) says instead of names.
GENERIC_NAMES = {"en": "your student", "es": "su estudiante"}


@dataclass(frozen=True)
class Wording:
    language: str
    subject: str
    text: str
    and_word: str


def template_for(language: str) -> Wording | None:
    """The saved template for `language`, else a built-in one, else None."""
    row = db.session.scalar(
        select(AttendanceTemplate).where(AttendanceTemplate.language == language)
    )
    if row is not None:
        return Wording(row.language, row.subject, row.text, row.and_word)
    if language in DEFAULT_TEMPLATES:
        return Wording(language, *DEFAULT_TEMPLATES[language])
    return None


def has_template(language: str) -> bool:
    return template_for(language) is not None


def check_template(text: str) -> list[str]:
    """Problems with a template's text (unknown or missing placeholders)."""
    problems = []
    for name in _ANY_BRACE.findall(text):
        if name not in PLACEHOLDERS:
            problems.append(f"unknown placeholder {{{name}}}")
    if "{names}" not in text:
        problems.append("the text must contain {names}")
    if not text.strip():
        problems.append("the text is empty")
    return problems


def join_names(names: list[str], and_word: str) -> list[str]:
    """Names with the joining word as its own piece: [a, "and", b]."""
    if len(names) <= 1:
        return list(names)
    return [*names[:-1], and_word, names[-1]]


def spoken_date(day: date, language: str) -> str:
    """The date as the household hears it: "Thursday, December 3", "jueves,
    3 de diciembre", "12月3日星期四"; the ISO date when Babel has no such locale.
    """
    pattern = _date_pattern(language)
    if pattern is None:
        return day.isoformat()
    return format_date(day, pattern, locale=Locale.parse(language, sep="-"))


@cache
def _date_pattern(language: str) -> str | None:
    """The locale's own order for weekday, day and month, all spelled out.

    CLDR has no full-width "weekday day month" pattern in every locale, so
    the closest one (often "E, d MMM") is widened: weekday and month names
    in full, numeric months left numeric.
    """
    try:
        locale = Locale.parse(language, sep="-")
    except (UnknownLocaleError, ValueError):
        return None
    skeletons = locale.datetime_skeletons
    best = match_skeleton("MMMMEEEEd", skeletons)
    if best is None:
        return None
    return _DATE_FIELD.sub(_widen, skeletons[best].pattern)


def _widen(field: re.Match) -> str:
    letter, text = field.group(1), field.group(0)
    if letter in ("E", "c") or (letter in ("M", "L") and len(text) >= 3):
        return letter * 4
    return text


def pieces(wording: Wording, names: list[str], school: str, day: date) -> list[str]:
    """The template's text cut into the clips a call plays, in order."""
    values = {
        "{school}": [school],
        "{date}": [spoken_date(day, wording.language)],
        "{names}": join_names(names, wording.and_word),
    }
    out = []
    for part in _SPLIT.split(wording.text):
        if part in values:
            out.extend(values[part])
        elif _WORD.search(part):  # punctuation alone is not spoken
            out.append(part.strip())
    return out


def joined_names(names: list[str], and_word: str) -> str:
    """Names as written: "Ana", "Ana and Luis", "Ana, Luis and Eva"."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + f" {and_word} " + names[-1]


def render(
    wording: Wording, text: str, names: list[str], school: str, day: date
) -> str:
    """`text` (the template or its subject) with the placeholders filled."""
    return (
        text.replace("{names}", joined_names(names, wording.and_word))
        .replace("{school}", school)
        .replace("{date}", spoken_date(day, wording.language))
    )

"""Checks on single values: phone numbers, e-mail addresses, languages.

Each check returns the normalised value, or None with a reason a person in
the school office understands.
"""

import re
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers import NumberParseException, ValidationResult

# Codes (ISO 639-1) and the names SIS exports use for them.
LANGUAGES = {
    "en": "English",
    "es": "Spanish",
    "vi": "Vietnamese",
    "ko": "Korean",
    "ru": "Russian",
    "so": "Somali",
    "sm": "Samoan",
    "tl": "Tagalog",
    "uk": "Ukrainian",
    "zh": "Chinese",
    "ar": "Arabic",
    "ja": "Japanese",
    "km": "Khmer",
    "lo": "Lao",
    "hmn": "Hmong",
    "ht": "Haitian Creole",
    "fa": "Farsi",
    "ps": "Pashto",
    "ti": "Tigrinya",
    "am": "Amharic",
    "pa": "Punjabi",
    "hi": "Hindi",
    "fr": "French",
    "de": "German",
    "pt": "Portuguese",
    "pl": "Polish",
    "ro": "Romanian",
    "th": "Thai",
    "mh": "Marshallese",
    "chk": "Chuukese",
    "to": "Tongan",
    "sw": "Swahili",
}
_ALIASES = {
    "tagalog/filipino": "tl",
    "filipino": "tl",
    "mandarin": "zh",
    "cantonese": "zh",
    "persian": "fa",
    "dari": "fa",
    "creole": "ht",
    "cambodian": "km",
}
_LOOKUP = (
    {code: code for code in LANGUAGES}
    | {name.lower(): code for code, name in LANGUAGES.items()}
    | _ALIASES
)

# The US and its territories share +1 with Canada and the Caribbean.
US_REGIONS = {"US", "PR", "GU", "AS", "VI", "MP", None}

_PHONE_REASONS = {
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "missing area code",
    ValidationResult.TOO_SHORT: "too short",
    ValidationResult.TOO_LONG: "too long",
    ValidationResult.INVALID_LENGTH: "wrong number of digits",
    ValidationResult.INVALID_COUNTRY_CODE: "unknown country code",
}


def language_code(value: str) -> str | None:
    """The language code for a code or name; "en" when empty; None if unknown."""
    value = value.strip().lower()
    if not value:
        return "en"
    return _LOOKUP.get(value) or _LOOKUP.get(value.split("-")[0])


def language_name(code: str) -> str:
    return LANGUAGES.get(code, code)


@lru_cache(maxsize=200_000)
def check_phone(raw: str) -> tuple[str | None, str | None]:
    """(E.164 number, None) for a valid US number, else (None, reason)."""
    try:
        number = phonenumbers.parse(raw, "US")
    except NumberParseException:
        return None, "not a phone number"

    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible in _PHONE_REASONS:
        return None, _PHONE_REASONS[possible]
    if number.country_code != 1:
        return None, "outside the US"
    # Nearly every number is a valid US one: check that region alone first.
    if not phonenumbers.is_valid_number_for_region(number, "US"):
        if not phonenumbers.is_valid_number(number):
            return None, "not a valid US area code or exchange"
        if phonenumbers.region_code_for_number(number) not in US_REGIONS:
            return None, "outside the US"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None


# A plain ASCII address (dot-atom local part) is valid whenever its domain
# is; the full validator then runs once per domain, not once per address.
_SIMPLE_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9-]+\.)+[A-Za-z]{2,63}"
)


@lru_cache(maxsize=10_000)
def _domain_problem(domain: str) -> str | None:
    try:
        validate_email(f"postmaster@{domain}", check_deliverability=False)
    except EmailNotValidError as error:
        return f"not a valid e-mail address: {error}"
    return None


def check_email(raw: str) -> tuple[str | None, str | None]:
    """(normalised address, None) when the syntax is right, else (None, reason)."""
    if len(raw) <= 254 and _SIMPLE_EMAIL.fullmatch(raw):
        local, domain = raw.rsplit("@", 1)
        if len(local) <= 64:
            problem = _domain_problem(domain.lower())
            return (None, problem) if problem else (raw.lower(), None)
    try:
        checked = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as error:
        return None, f"not a valid e-mail address: {error}"
    return checked.normalized.lower(), None


def check_contact(kind: str, raw: str) -> tuple[str | None, str | None]:
    """Check one contact point's raw value by its kind."""
    if kind == "email":
        return check_email(raw)
    return check_phone(raw)

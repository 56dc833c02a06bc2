"""Checking and storing district settings; every change is audited old → new."""

import re
from datetime import time

from email_validator import EmailNotValidError, validate_email
from flask import current_app

from portal import district_settings
from portal.accounts import audit
from portal.directory.models import Building

CODE_PATTERN = re.compile(r"^[A-Z0-9_-]{1,10}$")
MAX_LIST = 50
RATE_LIMITS = (0.1, 100.0)
NOTICE_KEYS = ("notice_board", "notice_alt", "notice_ssc_receptionist", "notice_hr")
RATE_CONFIG = {
    "provider_calls_per_second": "PLIVO_CALLS_PER_SECOND",
    "provider_messages_per_second": "PLIVO_MESSAGES_PER_SECOND",
}


class SettingError(ValueError):
    """A value that may not be stored; the message says why."""


def _items(text: str) -> list[str]:
    return [item.strip() for item in re.split(r"[,;\s]+", text or "") if item.strip()]


def parse_emails(text: str) -> list[str]:
    """A notice list: one or more valid addresses, lower-cased, no repeats."""
    found = []
    for item in _items(text):
        try:
            address = validate_email(item, check_deliverability=False).normalized
        except EmailNotValidError as error:
            raise SettingError(f"{item}: {error}") from error
        if address.lower() not in found:
            found.append(address.lower())
    if not found:
        raise SettingError("Give at least one address.")
    if len(found) > MAX_LIST:
        raise SettingError(f"At most {MAX_LIST} addresses.")
    return found


def parse_codes(text: str) -> list[str]:
    """Unexcused absence codes: letters, digits, _ or -, up to 10 each."""
    codes = []
    for item in _items(text.upper()):
        if not CODE_PATTERN.match(item):
            raise SettingError(f"{item}: use up to 10 letters, digits, _ or -.")
        if item not in codes:
            codes.append(item)
    if not codes:
        raise SettingError("Give at least one code.")
    return codes


def check_rate(value: float | None) -> float | None:
    """A provider rate per second, or None for the configured one."""
    if value is None:
        return None
    low, high = RATE_LIMITS
    if not low <= value <= high:
        raise SettingError(f"Use a rate from {low} to {high} per second.")
    return float(value)


def effective_rate(key: str) -> float:
    """The rate in force: the setting, else the configured PLIVO value."""
    stored = district_settings.get(key)
    if stored is not None:
        return float(stored)
    return float(current_app.config[RATE_CONFIG[key]])


def check_hours(start: time, end: time, end_of_day: time) -> None:
    """A calling window must open before it closes."""
    if start >= end:
        raise SettingError("The calling window must open before it closes.")
    if not time(5, 0) <= end_of_day <= time(23, 0):
        raise SettingError("End of day must be between 05:00 and 23:00.")


def change(key: str, value, by) -> bool:
    """Store a setting if it differs; audit old → new (the caller commits)."""
    old = district_settings.get(key)
    if old == value:
        return False
    district_settings.put(key, value, by.email)
    audit.record("settings.changed", target=f"setting:{key}", old=old, new=value)
    return True


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


def change_hours(building: Building, start: time, end: time, end_of_day: time, by):
    """Store a building's calling window and end of day, audited old → new."""
    check_hours(start, end, end_of_day)
    old = {
        "calling_window": f"{_hhmm(building.calling_window_start)}-"
        f"{_hhmm(building.calling_window_end)}",
        "end_of_day": _hhmm(building.end_of_day),
    }
    new = {
        "calling_window": f"{_hhmm(start)}-{_hhmm(end)}",
        "end_of_day": _hhmm(end_of_day),
    }
    if old == new:
        return False
    building.calling_window_start = start
    building.calling_window_end = end
    building.end_of_day = end_of_day
    audit.record(
        "settings.building_hours_changed",
        target=f"building:{building.id}",
        building_id=building.id,
        old=old,
        new=new,
    )
    return True

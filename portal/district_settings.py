"""District settings that the IT administrator edits in the portal.

Values are JSON; a key without a row falls back to its default here.
"""

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models_base import UtcDateTime, utcnow
from portal.policy import LIMIT_DEFAULTS

DEFAULTS: dict[str, object] = {
    **LIMIT_DEFAULTS,
    "notice_board": ["board@district.example"],
    "notice_alt": ["alt@district.example"],
    "notice_ssc_receptionist": ["ssc-reception@district.example"],
    "notice_hr": ["hr@district.example"],
    "unexcused_codes": ["U", "UA", "UNX"],
    # Attendance calls: local time per building (code -> "HH:MM" overrides
    # the district-wide time), and whether texts go too.
    "attendance_call_time": "09:30",
    "attendance_call_times": {},
    "attendance_sms": False,
    "district_contact": "the district office at (253) 555-0100",
    "training_required_to_compose": False,
    # Provider account limits; None means "as configured" (PLIVO_*_PER_SECOND).
    "provider_calls_per_second": None,
    "provider_messages_per_second": None,
}


class DistrictSetting(db.Model):
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[object] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200), default="")


def get(key: str):
    """The current value of a setting, or its default."""
    row = db.session.get(DistrictSetting, key)
    if row is not None:
        return row.value
    return DEFAULTS[key]


def put(key: str, value, by: str) -> None:
    """Store a setting (the caller commits and audits)."""
    if key not in DEFAULTS:
        raise KeyError(key)
    row = db.session.get(DistrictSetting, key)
    if row is None:
        row = DistrictSetting(key=key)
        db.session.add(row)
    row.value = value
    row.updated_by = by
    row.updated_at = utcnow()

"""The district's idea of "now" and "today".

Dates such as a designee's last day or today's absences are the district's
local dates, not the server's.
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TIMEZONE = "America/Los_Angeles"


def district_timezone() -> ZoneInfo:
    name = DEFAULT_TIMEZONE
    if has_app_context():
        name = current_app.config.get("DISTRICT_TIMEZONE", DEFAULT_TIMEZONE)
    return ZoneInfo(name)


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """Today's date in the district's timezone."""
    return datetime.now(district_timezone()).date()

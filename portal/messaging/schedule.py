"""When a message goes: end of a building's day and its calling window.

Pure functions over aware datetimes and zoneinfo, so they stay correct on
the days the clocks change.
"""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

NOW = "now"
END_OF_DAY = "end_of_day"
AT = "at"
SEND_MODES = (NOW, END_OF_DAY, AT)


def local_to_utc(day, at: time, timezone: str) -> datetime:
    """The UTC instant of a local wall-clock time on a local day.

    A time skipped by a spring-forward change (02:30) lands on the instant
    after the gap; a repeated autumn time takes its first occurrence.
    """
    # fold=0 (PEP 495) reads a skipped time with the offset before the
    # change, which is the instant after the gap, and a repeated time as
    # its first occurrence.
    return datetime.combine(day, at, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def end_of_day(now: datetime, timezone: str, end: time) -> datetime:
    """The building's end of day on its local today (now, when already past)."""
    local_day = now.astimezone(ZoneInfo(timezone)).date()
    moment = local_to_utc(local_day, end, timezone)
    return max(moment, now.astimezone(UTC))


def in_window(moment: datetime, timezone: str, start: time, end: time) -> bool:
    """Whether a moment falls inside the local calling window [start, end)."""
    wall = moment.astimezone(ZoneInfo(timezone)).time()
    return start <= wall < end


def next_opening(moment: datetime, timezone: str, start: time, end: time):
    """The moment itself when inside the window, else the window's next opening."""
    if in_window(moment, timezone, start, end):
        return moment.astimezone(UTC)
    local_day = moment.astimezone(ZoneInfo(timezone)).date()
    opening = local_to_utc(local_day, start, timezone)
    if opening <= moment:
        opening = local_to_utc(local_day + timedelta(days=1), start, timezone)
    return opening


def send_time(mode: str, now: datetime, at: datetime | None, timezone, eod: time):
    """When the message is meant to go, before any calling window applies."""
    if mode == END_OF_DAY:
        return end_of_day(now, timezone, eod)
    if mode == AT and at is not None:
        return max(at.astimezone(UTC), now.astimezone(UTC))
    return now.astimezone(UTC)

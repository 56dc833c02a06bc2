"""Retry rules per kind, back-off, quiet hours: the engine's small tables."""

import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from portal.directory.models import Building
from portal.extensions import db

# Attempts a delivery may use for no-answer and busy, by message kind
# (emergency is redialled most; outreach is not redialled).
DIAL_ATTEMPTS = {"emergency": 3, "closure": 2, "attendance": 2, "outreach": 1}
# Provider refusals (429, 5xx, refused connections) before we give up.
MAX_BACKOFFS = 6
REDIALLED_RESULTS = frozenset({"no_answer", "busy"})
DEFAULT_WINDOW = (time(8, 0), time(20, 0))


def setting(name: str, default: float) -> float:
    """A tunable from app.config (tests make delays short)."""
    return float(current_app.config.get(name, default))


def lease_seconds() -> float:
    return setting("DELIVERY_LEASE_SECONDS", 60)


def redial_delay(kind: str) -> timedelta:
    """How long to wait before redialling after no answer or busy."""
    base = setting("DELIVERY_REDIAL_SECONDS", 120 if kind == "emergency" else 900)
    return timedelta(seconds=base)


def backoff_delay(backoffs: int) -> timedelta:
    """Exponential back-off with jitter after a 429 or 5xx."""
    base = setting("DELIVERY_BACKOFF_SECONDS", 2)
    seconds = min(300.0, base * (2 ** max(0, backoffs - 1)))
    return timedelta(seconds=seconds * (0.75 + random.random() / 2))


def unknown_grace() -> timedelta:
    """How long an unknown outcome waits for its callback before the sweeper."""
    return timedelta(seconds=setting("DELIVERY_UNKNOWN_GRACE_SECONDS", 600))


def may_redial(kind: str, dials_so_far: int) -> bool:
    return dials_so_far < DIAL_ATTEMPTS.get(kind, 1)


def next_opening(building_id: int | None, now: datetime) -> datetime | None:
    """When calls and texts may go out, or None if they may go now."""
    building = db.session.get(Building, building_id) if building_id else None
    if building is not None:
        zone = ZoneInfo(building.timezone)
        start = building.calling_window_start or DEFAULT_WINDOW[0]
        end = building.calling_window_end or DEFAULT_WINDOW[1]
    else:
        zone = ZoneInfo(current_app.config["DISTRICT_TIMEZONE"])
        start, end = DEFAULT_WINDOW
    if current_app.config.get("DELIVERY_IGNORE_QUIET_HOURS"):
        return None

    local = now.astimezone(zone)
    if start <= local.time() < end:
        return None
    day = local.date() if local.time() < start else local.date() + timedelta(days=1)
    return datetime.combine(day, start, tzinfo=zone)

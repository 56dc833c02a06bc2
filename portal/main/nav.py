"""The navigation bar: each area adds its entries, shown by capability."""

from dataclasses import dataclass

from flask import request, url_for
from flask_login import current_user

from portal.accounts.access import holds


@dataclass(frozen=True)
class NavEntry:
    label: str
    endpoint: str
    capability: str
    order: int = 50


_ENTRIES: list[NavEntry] = [
    NavEntry("Home", "main.home", "home", 0),
    NavEntry("Policy", "main.policy_page", "policy.view", 90),
]


def add(label: str, endpoint: str, capability: str, order: int = 50) -> None:
    """Register a navigation entry (called when a blueprint module loads)."""
    entry = NavEntry(label, endpoint, capability, order)
    if entry not in _ENTRIES:
        _ENTRIES.append(entry)


def items() -> list[dict]:
    """Entries the signed-in user may follow, in order."""
    shown = []
    for entry in sorted(_ENTRIES, key=lambda e: e.order):
        if holds(current_user, entry.capability):
            url = url_for(entry.endpoint)
            shown.append(
                {"label": entry.label, "url": url, "active": request.path == url}
            )
    return shown

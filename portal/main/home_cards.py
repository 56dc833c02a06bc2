"""The cards on each person's home page: what they can do today.

Each area registers a card provider; a provider returns cards only for the
capabilities the user holds, so the page fits the role and the building.
"""

from collections.abc import Callable
from dataclasses import dataclass

from portal.accounts.access import holds


@dataclass
class Card:
    title: str
    text: str
    url: str | None = None
    link_text: str | None = None
    count: int | None = None


CardProvider = Callable[[object], list[Card]]
_PROVIDERS: list[tuple[str, CardProvider]] = []


def register(capability: str) -> Callable[[CardProvider], CardProvider]:
    """Add a provider shown to users holding `capability`."""

    def decorate(provider: CardProvider) -> CardProvider:
        _PROVIDERS.append((capability, provider))
        return provider

    return decorate


def for_user(user) -> list[Card]:
    cards: list[Card] = []
    for capability, provider in _PROVIDERS:
        if holds(user, capability):
            cards.extend(provider(user))
    return cards

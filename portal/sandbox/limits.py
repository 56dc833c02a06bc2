"""Provider limits: the API request rate and the calls/texts-per-second pacing.

Plivo refuses API requests beyond its rate with HTTP 429, but it does not
refuse calls or texts beyond the per-second limits: it queues them and
places them later. `Pacer` hands out those later slots; `PeakCounter`
measures the busiest one-second window so a benchmark can prove a throttle.
All three are used under the sandbox's lock, not their own.
"""

from collections import deque


class WindowLimiter:
    """At most `limit` events in any `window` seconds (sliding); 0 = unlimited."""

    def __init__(self, limit: int, window: float):
        self.limit = limit
        self.window = window
        self.times: deque[float] = deque()

    def allow(self, now: float) -> bool:
        """Count an event at `now` unless that would exceed the limit."""
        if self.limit <= 0:
            return True
        while self.times and self.times[0] <= now - self.window:
            self.times.popleft()
        if len(self.times) >= self.limit:
            return False
        self.times.append(now)
        return True

    def reset(self, limit: int, window: float) -> None:
        """Take new limits and forget the past."""
        self.limit, self.window = limit, window
        self.times.clear()


class Pacer:
    """Hands out start times no closer than 1/rate apart; rate 0 = at once."""

    def __init__(self):
        self.next_slot = 0.0

    def slot(self, now: float, rate: float) -> float:
        """When something asked for at `now` may start."""
        if rate <= 0:
            return now
        start = max(now, self.next_slot)
        self.next_slot = start + 1.0 / rate
        return start


class PeakCounter:
    """The most events seen in any one-second window (times never go back)."""

    def __init__(self):
        self.times: deque[float] = deque()
        self.peak = 0
        self.total = 0

    def add(self, when: float) -> None:
        """Record one event at `when`."""
        self.total += 1
        self.times.append(when)
        # A hair of slack so evenly paced slots (0.02 s apart) summed in floats
        # do not land a 51st event inside a window of 50.
        while self.times[0] <= when - 1.0 + 1e-6:
            self.times.popleft()
        self.peak = max(self.peak, len(self.times))

"""The sandbox's state and decisions, shared by its HTTP views and threads.

`Sandbox` owns the settings, the store, the limits and the callback
scheduler. Views call `admit()`, `fault_for()`, `place_call()` and
`place_text()`; tests reach it as `app.extensions["plivo_sandbox"]`.
"""

import logging
import random
import threading
import time

import requests

from portal.sandbox import calls, messages
from portal.sandbox.fates import fate_for, number_fault
from portal.sandbox.limits import Pacer, WindowLimiter
from portal.sandbox.scheduler import Scheduler
from portal.sandbox.settings import SandboxSettings
from portal.sandbox.store import Call, Store, Text, new_uuid

logger = logging.getLogger(__name__)


class Sandbox:
    """One simulated Plivo account."""

    def __init__(self, settings: SandboxSettings):
        self.settings = settings
        self.store = Store(settings)
        self.scheduler = Scheduler(
            settings.callback_threads, settings.max_pending_tasks
        )
        self.limiter = WindowLimiter(settings.api_limit, settings.api_window_seconds)
        self.pacers = {"call": Pacer(), "sms": Pacer()}
        self.random = random.Random(settings.seed)
        self.local = threading.local()
        self.started = time.monotonic()

    def http(self) -> requests.Session:
        """This thread's session for callbacks (sessions are not shared)."""
        session = getattr(self.local, "session", None)
        if session is None:
            session = self.local.session = requests.Session()
        return session

    def configure(self, changes: dict) -> dict:
        """Change settings at runtime; limits take effect at once."""
        values = self.settings.update(changes)
        with self.store.lock:
            if {"api_limit", "api_window_seconds"} & changes.keys():
                self.limiter.reset(
                    self.settings.api_limit, self.settings.api_window_seconds
                )
            if "seed" in changes:
                self.random.seed(self.settings.seed)
        return values

    def reset(self) -> None:
        """Forget everything and drop pending callbacks; settings stay."""
        self.scheduler.clear()
        with self.store.lock:
            self.store.reset()
            self.limiter.reset(
                self.settings.api_limit, self.settings.api_window_seconds
            )
            self.pacers = {"call": Pacer(), "sms": Pacer()}
            self.random.seed(self.settings.seed)
            self.started = time.monotonic()

    def stop(self) -> None:
        """Stop the callback threads."""
        self.scheduler.stop()

    def admit(self) -> bool:
        """Count one API request; False when it is over the API rate."""
        with self.store.lock:
            now = time.monotonic()
            self.store.stats["api_requests"] += 1
            self.store.first_request = self.store.first_request or now
            self.store.last_request = now
            if self.limiter.allow(now):
                return True
            self.store.stats["responses_429"] += 1
            self.store.stats["rate_limited"] += 1
            return False

    def fault_for(self, number: str) -> str | None:
        """The fault this create request meets, if any."""
        with self.store.lock:
            if self.settings.number_faults:
                kind = number_fault(number)
                if kind and number not in self.store.triggered:
                    self.store.triggered.add(number)
                    return self._counted_fault(kind)
            rate, kinds = self.settings.fault_rate, self.settings.fault_kinds
            if rate > 0 and kinds and self.random.random() < rate:
                return self._counted_fault(self.random.choice(kinds))
            return None

    def _counted_fault(self, kind: str) -> str:
        self.store.stats[f"fault_{kind}"] += 1
        if kind == "429":
            self.store.stats["responses_429"] += 1
        return kind

    def place_call(self, params: dict, to: str) -> Call:
        """Accept one call: remember it and queue its dial time."""
        call = Call(new_uuid(), new_uuid(), params["from"], to, fate_for(to), params)
        with self.store.lock:
            now = time.monotonic()
            call.dial_at = self.pacers["call"].slot(now, self.settings.calls_per_second)
            self.store.created["call"].add(now)
            self.store.placed["call"].add(call.dial_at)
            if call.dial_at > now:
                self.store.stats["calls_queued_by_limit"] += 1
            self.store.add_call(call)
        if not self.settings.callbacks:
            # No simulation: the outcome is known at once (CDRs still work).
            call.status, call.ended_at = call.fate.call_status, call.created_at
            call.hangup_cause = call.fate.hangup_cause
            return call
        due = call.dial_at + self.settings.ring_seconds
        if not self.scheduler.at(due, lambda: calls.ring(self, call)):
            self.store.count("callbacks_dropped")
        return call

    def place_text(self, params: dict, to: str) -> Text:
        """Accept one text: remember it and queue its status changes."""
        text = Text(
            new_uuid(), params["src"], to, params.get("text", ""), fate_for(to), params
        )
        with self.store.lock:
            now = time.monotonic()
            slot = self.pacers["sms"].slot(now, self.settings.messages_per_second)
            self.store.created["sms"].add(now)
            self.store.placed["sms"].add(slot)
            if slot > now:
                self.store.stats["sms_queued_by_limit"] += 1
            self.store.add_text(text, to)
        messages.start(self, text, slot)
        return text

    def stats(self) -> dict:
        """Counters and peaks for `GET /sandbox/stats`."""
        store = self.store
        with store.lock:
            counts = dict(store.stats)
            created, placed = store.created, store.placed
            span = (store.last_request or 0) - (store.first_request or 0)
            return {
                "counts": counts,
                "calls_created": created["call"].total,
                "messages_created": created["sms"].total,
                "max_calls_created_in_1s": created["call"].peak,
                "max_calls_dialled_in_1s": placed["call"].peak,
                "max_messages_created_in_1s": created["sms"].peak,
                "max_messages_sent_in_1s": placed["sms"].peak,
                "responses_429": counts.get("responses_429", 0),
                "api_requests": counts.get("api_requests", 0),
                "api_requests_per_second": _rate(counts.get("api_requests", 0), span),
                "calls_in_memory": len(store.calls),
                "phones_in_memory": len(store.phones),
                "pending_tasks": self.scheduler.pending(),
                "dropped_tasks": self.scheduler.dropped,
                "uptime_seconds": round(time.monotonic() - self.started, 3),
            }


def _rate(count: int, span: float) -> float | None:
    return round(count / span, 1) if span > 0 else None

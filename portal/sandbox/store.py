"""What the sandbox remembers: calls, texts, and what each phone heard or read.

Everything is in memory and bounded (oldest forgotten first), guarded by one
lock. Counters in `stats` are never forgotten, so a long benchmark still
gets true totals after old calls have been dropped.
"""

import threading
import uuid
from collections import Counter, OrderedDict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime

from portal.sandbox.fates import Fate
from portal.sandbox.limits import PeakCounter


def new_uuid() -> str:
    """A Plivo-looking identifier."""
    return str(uuid.uuid4())


def utc_now() -> str:
    """Plivo's timestamp format, in UTC."""
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S+00:00")


@dataclass
class Call:
    """One call the portal asked for, and what became of it."""

    request_uuid: str
    call_uuid: str
    from_number: str
    to_number: str
    fate: Fate
    params: dict
    status: str = "queued"
    created_at: str = field(default_factory=utc_now)
    answered_at: str = ""
    ended_at: str = ""
    answered_by: str = ""
    heard: list = field(default_factory=list)
    xml_errors: list = field(default_factory=list)
    callbacks: list = field(default_factory=list)
    hangup_cause: str = ""
    duration: float = 0
    transfer_url: str = ""
    transfer_method: str = "POST"
    dial_at: float = 0.0

    def as_dict(self) -> dict:
        """The call for the JSON API."""
        return {
            "kind": "call",
            "request_uuid": self.request_uuid,
            "call_uuid": self.call_uuid,
            "from": self.from_number,
            "to": self.to_number,
            "fate": self.fate.name,
            "status": self.status,
            "created_at": self.created_at,
            "answered_at": self.answered_at,
            "ended_at": self.ended_at,
            "answered_by": self.answered_by,
            "heard": list(self.heard),
            "xml_errors": list(self.xml_errors),
            "callbacks": list(self.callbacks),
            "hangup_cause": self.hangup_cause,
            "duration": self.duration,
        }

    def summary(self) -> dict:
        """The call in a few fields, for the phone list."""
        return {
            "kind": "call",
            "status": self.status,
            "fate": self.fate.name,
            "answered_by": self.answered_by,
            "created_at": self.created_at,
            "heard": _heard_summary(self.heard),
            "summary": f"{self.status}: {_heard_summary(self.heard)}".strip(": "),
        }


def _heard_summary(heard: list) -> str:
    """What a person heard, in one line: spoken words and played files."""
    parts = []
    for step in heard:
        if step.get("element") == "Speak":
            parts.append(f"[{step['language']}] {step['text']}")
        elif step.get("element") == "Play":
            parts.append(f"(audio {step.get('status')}, {step.get('bytes', 0)} bytes)")
        elif step.get("pressed"):
            parts.append(f"(pressed {step['pressed']})")
    return " ".join(parts)


@dataclass
class Text:
    """One text message the portal sent (or a phone sent to the portal)."""

    message_uuid: str
    from_number: str
    to_number: str
    body: str
    fate: Fate | None
    params: dict
    direction: str = "outbound"
    status: str = "queued"
    error_code: str = ""
    created_at: str = field(default_factory=utc_now)
    callbacks: list = field(default_factory=list)
    reply: str = ""

    def as_dict(self) -> dict:
        """The text for the JSON API."""
        return {
            "kind": "sms",
            "direction": self.direction,
            "message_uuid": self.message_uuid,
            "from": self.from_number,
            "to": self.to_number,
            "text": self.body,
            "status": self.status,
            "error_code": self.error_code,
            "created_at": self.created_at,
            "callbacks": list(self.callbacks),
            "reply": self.reply,
        }

    def summary(self) -> dict:
        """The text in a few fields, for the phone list."""
        arrow = "from" if self.direction == "inbound" else "to"
        return {
            "kind": "sms",
            "direction": self.direction,
            "status": self.status,
            "created_at": self.created_at,
            "text": self.body,
            "summary": f"{self.status} ({arrow} phone): {self.body}",
        }


class Store:
    """The bounded, thread-safe memory of the sandbox."""

    def __init__(self, settings):
        self.settings = settings
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """Forget every call, text, phone and counter."""
        with self.lock:
            self.calls: OrderedDict[str, Call] = OrderedDict()
            self.call_ids: dict[str, str] = {}
            self.texts: OrderedDict[str, Text] = OrderedDict()
            self.phones: OrderedDict[str, deque] = OrderedDict()
            self.stats: Counter = Counter()
            self.created = {"call": PeakCounter(), "sms": PeakCounter()}
            self.placed = {"call": PeakCounter(), "sms": PeakCounter()}
            self.first_request = None
            self.last_request = None
            self.triggered: set[str] = set()

    def add_call(self, call: Call) -> None:
        """Remember a new call under both of its ids and on its phone."""
        with self.lock:
            self.calls[call.request_uuid] = call
            self.call_ids[call.call_uuid] = call.request_uuid
            while len(self.calls) > self.settings.max_calls:
                _, old = self.calls.popitem(last=False)
                self.call_ids.pop(old.call_uuid, None)
            self._on_phone(call.to_number, call)

    def add_text(self, text: Text, phone: str) -> None:
        """Remember a text and show it on `phone`."""
        with self.lock:
            self.texts[text.message_uuid] = text
            while len(self.texts) > self.settings.max_messages:
                self.texts.popitem(last=False)
            self._on_phone(phone, text)

    def _on_phone(self, number: str, event) -> None:
        events = self.phones.get(number)
        if events is None:
            events = deque(maxlen=self.settings.max_events_per_phone)
            self.phones[number] = events
            while len(self.phones) > self.settings.max_phones:
                self.phones.popitem(last=False)
        else:
            self.phones.move_to_end(number)
        events.append(event)

    def call(self, request_uuid: str = "", call_uuid: str = "") -> Call | None:
        """A remembered call by request id or call id."""
        with self.lock:
            if call_uuid:
                request_uuid = self.call_ids.get(call_uuid, "")
            return self.calls.get(request_uuid)

    def text(self, message_uuid: str) -> Text | None:
        """A remembered text by its id."""
        with self.lock:
            return self.texts.get(message_uuid)

    def all_calls(self) -> list[Call]:
        """Every remembered call, oldest first."""
        with self.lock:
            return list(self.calls.values())

    def all_texts(self) -> list[Text]:
        """Every remembered text, oldest first."""
        with self.lock:
            return list(self.texts.values())

    def count(self, key: str, n: int = 1) -> None:
        """Add to a counter."""
        with self.lock:
            self.stats[key] += n

    def phone(self, number: str) -> list[dict] | None:
        """What one phone heard and read, oldest first."""
        with self.lock:
            events = self.phones.get(number)
            return None if events is None else [e.as_dict() for e in events]

    def phone_list(self, limit: int = 200) -> list[dict]:
        """The most recently used phones, each with short call/text summaries."""
        with self.lock:
            recent = list(reversed(self.phones.items()))[:limit]
            rows = []
            for number, events in recent:
                last = events[-1]
                rows.append(
                    {
                        "number": number,
                        "events": len(events),
                        "calls": [e.summary() for e in events if isinstance(e, Call)],
                        "texts": [e.summary() for e in events if isinstance(e, Text)],
                        "last_kind": "call" if isinstance(last, Call) else "sms",
                        "last_status": last.status,
                        "last_at": last.created_at,
                        "last_summary": last.summary()["summary"],
                    }
                )
            return rows

"""What the Plivo sandbox can be told: limits, timings, faults, callbacks.

The settings are one mutable object shared by the request threads and the
callback threads. `update()` changes them at runtime (`POST /sandbox/config`)
under a lock, checking names and coercing types, so a typo is an error and
not a silently ignored key.
"""

import threading
from dataclasses import asdict, dataclass, field, fields

FAULT_KINDS = ("429", "500", "500_after_create", "slow", "timeout_after_accept")


@dataclass
class SandboxSettings:
    """Everything the sandbox can be configured with; see docs/sandbox.md."""

    auth_id: str = "MAXXXXXXXXXXXXXXXXXX"
    auth_token: str = "sandbox-token"  # noqa: S105 - the sandbox's, not real

    # Provider limits: 0 means unlimited.
    calls_per_second: float = 2.0
    messages_per_second: float = 5.0
    api_limit: int = 300
    api_window_seconds: float = 5.0

    # Callbacks to the portal (off for pure API throughput runs).
    callbacks: bool = True
    callback_threads: int = 8
    callback_timeout: float = 8.0
    callback_retries: int = 3
    callback_retry_seconds: float = 1.0
    ring_seconds: float = 0.2
    talk_seconds: float = 0.2
    sms_step_seconds: float = 0.1
    sms_out_of_order: bool = False
    fetch_audio: bool = True
    answer_base: str = ""
    inbound_sms_url: str = ""
    portal_number: str = "+12535550100"

    # Faults: a share of create requests fails in one of `fault_kinds`.
    fault_rate: float = 0.0
    fault_kinds: list = field(default_factory=lambda: list(FAULT_KINDS))
    number_faults: bool = False
    slow_seconds: float = 1.0
    hang_seconds: float = 6.0
    seed: int = 0

    # Memory bounds of the store.
    max_calls: int = 50_000
    max_messages: int = 50_000
    max_phones: int = 10_000
    max_events_per_phone: int = 20
    max_pending_tasks: int = 500_000

    def __post_init__(self):
        self._lock = threading.Lock()

    def update(self, changes: dict) -> dict:
        """Apply `changes` (name → value); raises ValueError on a bad one."""
        known = {f.name: f for f in fields(self)}
        coerced = {}
        for name, value in changes.items():
            if name not in known:
                raise ValueError(f"unknown setting: {name}")
            coerced[name] = _coerce(name, known[name].default, value)
        with self._lock:
            for name, value in coerced.items():
                setattr(self, name, value)
        return self.as_dict()

    def as_dict(self) -> dict:
        """The settings as JSON-safe values, the auth token left out."""
        values = asdict(self)
        values.pop("auth_token")
        return values


def _coerce(name: str, default, value):
    if name == "fault_kinds":
        kinds = value.split(",") if isinstance(value, str) else list(value)
        unknown = set(kinds) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}")
        return kinds
    if isinstance(default, bool):
        if isinstance(value, str):
            return value.strip().lower() in {"1", "true", "yes", "on"}
        return bool(value)
    try:
        return type(default)(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"bad value for {name}: {value!r}") from error

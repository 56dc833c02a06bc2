"""Pytest fixtures for any test that needs the Plivo sandbox.

Make it visible in a test module or a `conftest.py`:

    from tests.sandbox import fixtures

    sandbox_server = fixtures.sandbox_server

    def test_something(sandbox_server):
        sandbox_server.configure(calls_per_second=50)
        client = sandbox_server.client()          # real plivo SDK, pointed here
        ...
        sandbox_server.wait_for(lambda: sandbox_server.stats()["calls_created"])
        assert sandbox_server.phone("+12535550123")[0]["status"] == "completed"

`sandbox_server.base_url` is what `PLIVO_API_URL` should be set to.
"""

import time

import plivo
import pytest

from portal.sandbox.server import SandboxServer
from portal.sandbox.testing import point_client_at

AUTH_ID = "MAXXXXXXXXXXXXXXXXXX"
AUTH_TOKEN = "sandbox-test-token"

# Fast and unlimited unless a test asks otherwise.
TEST_SETTINGS = {
    "auth_id": AUTH_ID,
    "auth_token": AUTH_TOKEN,
    "calls_per_second": 0,
    "messages_per_second": 0,
    "api_limit": 0,
    "ring_seconds": 0.01,
    "talk_seconds": 0.01,
    "sms_step_seconds": 0.01,
    "callback_retries": 1,
    "callback_retry_seconds": 0.05,
    "callback_timeout": 5,
    "slow_seconds": 0.2,
    "hang_seconds": 1.5,
}


class SandboxHandle:
    """A running sandbox as tests see it: its URL, settings, memory and a client."""

    def __init__(self, server: SandboxServer):
        self.server = server
        self.base_url = server.base_url
        self.sandbox = server.sandbox
        self.auth_id = AUTH_ID
        self.auth_token = AUTH_TOKEN

    def configure(self, **changes) -> dict:
        """Change settings, e.g. `configure(calls_per_second=5, fault_rate=0.2)`."""
        return self.sandbox.configure(changes)

    def reset(self) -> None:
        """Forget calls, texts, phones and counters."""
        self.sandbox.reset()

    def stats(self) -> dict:
        """The same numbers as `GET /sandbox/stats`."""
        return self.sandbox.stats()

    def phone(self, number: str) -> list[dict]:
        """What a phone heard and read (empty if it was never reached)."""
        return self.sandbox.store.phone(number) or []

    def call(self, request_uuid: str) -> dict:
        """One call by its request id, as `GET /sandbox/calls/<id>` shows it."""
        return self.sandbox.store.call(request_uuid=request_uuid).as_dict()

    def client(self, timeout: float = 5) -> plivo.RestClient:
        """A real plivo SDK client that talks to this sandbox."""
        client = plivo.RestClient(self.auth_id, self.auth_token, timeout=timeout)
        return point_client_at(client, self.base_url)

    @staticmethod
    def wait_for(predicate, timeout: float = 10.0):
        """Poll `predicate` until it returns something truthy; fail after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"gave up waiting after {timeout}s")
            time.sleep(0.02)

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until no callback is pending or running."""
        self.wait_for(self.sandbox.scheduler.idle, timeout)


@pytest.fixture
def sandbox_server():
    """The sandbox on a free port in a thread; yields a `SandboxHandle`."""
    server = SandboxServer(dict(TEST_SETTINGS)).start()
    try:
        yield SandboxHandle(server)
    finally:
        server.stop()

"""Fixtures of the sandbox's own tests: the sandbox and a fake portal side."""

import pytest

from tests.sandbox import fixtures
from tests.sandbox.receiver import Receiver

sandbox_server = fixtures.sandbox_server


@pytest.fixture
def receiver():
    """A fake portal that answers calls and records callbacks."""
    fake = Receiver()
    fake.thread.start()
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()


@pytest.fixture
def plivo_client(sandbox_server):
    """A real plivo SDK client pointed at the sandbox."""
    return sandbox_server.client()

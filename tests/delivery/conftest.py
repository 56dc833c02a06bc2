"""Fixtures for delivery tests: the portal served over HTTP, the sandbox,
worker processes, and a Redis server of the test's own."""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from werkzeug.serving import make_server

from portal import create_app
from tests.conftest import make_config
from tests.sandbox import fixtures

sandbox_server = fixtures.sandbox_server
ROOT = Path(__file__).resolve().parents[2]

FAST = {
    "PLIVO_AUTH_ID": fixtures.AUTH_ID,
    "PLIVO_AUTH_TOKEN": fixtures.AUTH_TOKEN,
    "PLIVO_CALLS_PER_SECOND": 1000.0,
    "PLIVO_MESSAGES_PER_SECOND": 1000.0,
    "PLIVO_TIMEOUT_SECONDS": 1.0,
    "DELIVERY_SLICE_SECONDS": 1.0,
    "DELIVERY_LEASE_SECONDS": 3,
    "DELIVERY_UNKNOWN_GRACE_SECONDS": 15,
    "DELIVERY_BACKOFF_SECONDS": 0.2,
    "DELIVERY_REDIAL_SECONDS": 0.3,
    "DELIVERY_IGNORE_QUIET_HOURS": True,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Portal:
    """The portal app served on a port, so the sandbox can call it back."""

    def __init__(self, app, settings: dict, port: int):
        self.app = app
        self.settings = settings
        self.port = port
        self.server = make_server("127.0.0.1", port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def worker_env(self, **extra) -> dict:
        env = dict(os.environ)
        env["DELIVERY_TEST_CONFIG"] = json.dumps(self.settings)
        env.update({k: str(v) for k, v in extra.items()})
        return env


def build_portal(database_url, redis_url, sandbox, **overrides) -> Portal:
    port = free_port()
    settings = {
        **FAST,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PLIVO_API_URL": sandbox.base_url,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        **overrides,
    }
    values = dict(settings)
    app = create_app(
        make_config(values.pop("DATABASE_URL"), values.pop("REDIS_URL"), **values)
    )
    portal = Portal(app, settings, port)
    portal.thread.start()
    return portal


@pytest.fixture
def portal(app, pg_database, redis_url, sandbox_server):
    """The portal on a free port, pointed at the sandbox; queues emptied."""
    connection = Redis.from_url(redis_url)
    connection.flushdb()
    served = build_portal(pg_database, redis_url, sandbox_server)
    with served.app.app_context():
        yield served
    served.server.shutdown()
    connection.flushdb()


class Workers:
    """Worker processes started by a test, stopped at its end."""

    def __init__(self, portal: Portal):
        self.portal = portal
        self.processes: list[subprocess.Popen] = []

    def start(self, count: int = 1, **env) -> list[subprocess.Popen]:
        started = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.delivery.worker_main"],
                cwd=ROOT,
                env=self.portal.worker_env(**env),
                start_new_session=True,  # its scheduler child dies with it
            )
            for _ in range(count)
        ]
        self.processes.extend(started)
        return started

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        """SIGKILL a worker and its scheduler child (its process group)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self) -> None:
        for process in self.processes:
            self.kill(process)


@pytest.fixture
def workers(portal):
    started = Workers(portal)
    yield started
    started.stop()


class RedisServer:
    """A redis-server of the test's own, which the test may restart."""

    def __init__(self):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="delivery-redis-")
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if Redis.from_url(self.url).ping():
                    return
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def own_redis():
    server = RedisServer()
    server.start()
    yield server
    server.stop()
    shutil.rmtree(server.dir, ignore_errors=True)


def queues(connection) -> dict[str, Queue]:
    return {
        n: Queue(n, connection=connection) for n in ("emergency", "default", "bulk")
    }

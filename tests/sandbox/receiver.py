"""A tiny stand-in for the portal's callback side, for the sandbox's own tests.

It answers calls with whatever XML a test sets, serves a small MP3 for
<Play>, and records every request it gets (URL, form, signature headers).
"""

import threading

from flask import Flask, request
from werkzeug.serving import make_server

AUDIO = b"ID3" + bytes(2045)

SPEAK_AND_PLAY = """<Response>
<Speak language="es-US" voice="WOMAN">Hola, llama la escuela Lincoln.</Speak>
<Play>{base}/audio.mp3</Play>
<GetInput action="{base}/input" method="POST" inputType="dtmf" numDigits="1">
<Speak language="en-US">Press 1 to hear this again.</Speak>
</GetInput>
</Response>"""

REPEAT = """<Response><Speak language="en-US">Here it is again.</Speak></Response>"""


class Receiver:
    """The fake portal: `xml` answers calls; `requests` is what came in."""

    def __init__(self):
        self.requests: list[dict] = []
        self.xml = ""
        self.on_machine = None
        self.app = self._build()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"
        self.xml = SPEAK_AND_PLAY.format(base=self.base_url)
        self.thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), daemon=True
        )

    def _build(self) -> Flask:
        app = Flask(__name__)

        @app.route("/answer", methods=["GET", "POST"])
        def answer():
            self._record()
            return self.xml, 200, {"Content-Type": "application/xml"}

        @app.post("/input")
        def get_input():
            self._record()
            return REPEAT, 200, {"Content-Type": "application/xml"}

        @app.post("/machine")
        def machine():
            self._record()
            if self.on_machine:
                self.on_machine(request.form.to_dict())
            return ""

        @app.route("/<name>", methods=["GET", "POST"])
        def other(name):
            self._record()
            if name == "inbound":
                return "<Response><Message>Reply HELP for help.</Message></Response>"
            if name == "broken":
                return "oops", 500
            return ""

        @app.get("/audio.mp3")
        def audio():
            return AUDIO, 200, {"Content-Type": "audio/mpeg"}

        return app

    def _record(self) -> None:
        self.requests.append(
            {
                "path": request.path,
                "method": request.method,
                "url": request.url,
                "form": request.form.to_dict(),
                "args": request.args.to_dict(),
                "signature": request.headers.get("X-Plivo-Signature-V3", ""),
                "nonce": request.headers.get("X-Plivo-Signature-V3-Nonce", ""),
            }
        )

    def received(self, path: str) -> list[dict]:
        """The requests that came to `path`, in order."""
        return [r for r in list(self.requests) if r["path"] == path]

    def url(self, path: str) -> str:
        """The absolute URL of `path` on this receiver."""
        return self.base_url + path

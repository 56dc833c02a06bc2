"""The local SMTP catcher for development (aiosmtpd).

Accepts every e-mail the portal sends on `SMTP_HOST:SMTP_PORT` and saves
each one as an `.eml` file under `instance/mail/`, so a person can open it
in a mail program or a text editor. Nothing leaves the machine.
"""

import itertools
import logging
import os
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.controller import Controller
from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parent.parent
MAIL_DIR = ROOT / "instance" / "mail"

logger = logging.getLogger("scripts.dev_smtp")


class SaveToFolder:
    """aiosmtpd handler: write each received message to a folder."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self._numbers = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        path = self.folder / f"{stamp}-{next(self._numbers):04d}.eml"
        path.write_bytes(envelope.original_content or envelope.content)
        print(
            f"mail saved: {path.name} recipients={len(envelope.rcpt_tos)}", flush=True
        )
        return "250 Message accepted for delivery"


def main() -> int:
    load_dotenv(ROOT / ".env")
    host = os.environ.get("SMTP_HOST", "127.0.0.1")
    port = int(os.environ.get("SMTP_PORT", "8025"))

    controller = Controller(SaveToFolder(MAIL_DIR), hostname=host, port=port)
    controller.start()
    print(f"SMTP catcher on {host}:{port}, saving mail to {MAIL_DIR}", flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

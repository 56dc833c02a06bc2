"""A delivery worker process for tests: `python -m tests.delivery.worker_main`.

Reads its settings from the DELIVERY_TEST_CONFIG environment variable (JSON)
and runs a `SimpleWorker` on every queue with the scheduler. With
DELIVERY_TEST_CRASH_AFTER_ACCEPT=N it SIGKILLs itself at its Nth accepted
provider request, after the provider took it (and the rest of its batch)
and before our commit.
"""

import faulthandler
import json
import os
import signal
import sys

from rq import Queue, SimpleWorker

from portal import create_app, logs
from portal.delivery import outcomes
from portal.queues import QUEUE_NAMES, redis_connection
from tests.conftest import make_config


def _crash_after_accept(limit: int) -> None:
    real = outcomes.accepted
    seen = {"n": 0}

    def accepted(token, sent):
        seen["n"] += len(sent)
        if seen["n"] >= limit:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(token, sent)

    outcomes.accepted = accepted


def main() -> int:
    faulthandler.register(signal.SIGUSR1)
    settings = json.loads(os.environ["DELIVERY_TEST_CONFIG"])
    logs.configure(os.environ.get("DELIVERY_TEST_LOG", "WARNING"))
    app = create_app(
        make_config(settings.pop("DATABASE_URL"), settings.pop("REDIS_URL"), **settings)
    )
    crash = int(os.environ.get("DELIVERY_TEST_CRASH_AFTER_ACCEPT", "0"))
    if crash:
        _crash_after_accept(crash)
    with app.app_context():
        connection = redis_connection()
        queues = [Queue(name, connection=connection) for name in QUEUE_NAMES]
        worker = SimpleWorker(queues, connection=connection)
        worker.work(with_scheduler=True, logging_level="WARNING")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A delivery worker for the benchmark: a SimpleWorker (no fork per job).

`python -m bench.worker` reads its settings from the environment like the
production worker, and listens on emergency, default, bulk in that order.
`DELIVERY_*` variables (e.g. DELIVERY_IN_FLIGHT) become app settings.
"""

import os
import sys

from rq import Queue, SimpleWorker

from portal import create_app, logs
from portal.config import Config
from portal.queues import QUEUE_NAMES, redis_connection


def main() -> int:
    logs.configure("WARNING")
    tunables = {k: float(v) for k, v in os.environ.items() if k.startswith("DELIVERY_")}
    app = create_app(Config.from_env(tunables))
    with app.app_context():
        connection = redis_connection()
        queues = [Queue(name, connection=connection) for name in QUEUE_NAMES]
        SimpleWorker(queues, connection=connection).work(
            with_scheduler=True, logging_level="WARNING"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

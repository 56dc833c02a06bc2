"""The RQ worker entry point: `python -m jobs.worker` (the Procfile's worker).

Listens on the queues in priority order (emergency, default, bulk) with the
scheduler on, so retries with an interval and `enqueue_in` work. Logging is
configured once here, and the app context is pushed for the jobs.
"""

import logging
import sys

from dotenv import load_dotenv
from rq import Queue, Worker

from portal import create_app, logs
from portal.queues import QUEUE_NAMES, redis_connection

logger = logging.getLogger(__name__)


def main(queue_names: list[str] | None = None) -> int:
    load_dotenv()
    logs.configure()
    app = create_app()
    names = queue_names or list(QUEUE_NAMES)

    # The app context stays pushed so that jobs reach `current_app`; each
    # work horse is a fork and gets its own copy of it.
    with app.app_context():
        connection = redis_connection()
        queues = [Queue(name, connection=connection) for name in names]
        worker = Worker(queues, connection=connection)
        logger.info(
            "worker_starting queues=%s redis=%s",
            ",".join(names),
            app.config["REDIS_URL"].rsplit("@", 1)[-1],
        )
        worker.work(with_scheduler=True, logging_level="INFO")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or None))

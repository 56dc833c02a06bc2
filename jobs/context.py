"""One Flask app per worker process, built on first use."""

import contextlib
import logging

from rq import get_current_job

_app = None


class JobIdFilter(logging.Filter):
    """Puts the current RQ job id on every log line of a worker."""

    def filter(self, record: logging.LogRecord) -> bool:
        job = get_current_job()
        record.job_id = job.id if job else "-"
        if job and "job_id=" not in str(record.msg):
            record.msg = f"job_id={job.id} {record.msg}"
        return True


def get_app():
    """The worker's app, created once from the environment."""
    global _app
    if _app is None:
        from flask import has_app_context

        if has_app_context():
            from flask import current_app

            return current_app._get_current_object()
        from portal import create_app

        _app = create_app()
    return _app


def install_job_id_filter() -> None:
    """Make every log line of this worker process carry the RQ job id."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, JobIdFilter) for f in handler.filters):
            handler.addFilter(JobIdFilter())


@contextlib.contextmanager
def app_context():
    """Run inside the worker's app context (reusing one already pushed)."""
    from flask import has_app_context

    install_job_id_filter()
    if has_app_context():
        yield
        return
    with get_app().app_context():
        yield

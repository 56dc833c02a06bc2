"""The ImportRun row of each import: written outside the import's transaction.

The run row must survive a rejected import and show progress while the
import's own transaction is still open, so it is written on a separate
connection. SQLite allows one writer at a time: there, progress is only
written until the import itself starts writing.
"""

import time
from collections.abc import Callable

from sqlalchemy import insert, update

from portal.directory.models import ImportRun
from portal.extensions import db
from portal.models_base import utcnow

MAX_STORED_MESSAGES = 1000
ProgressCallback = Callable[[int, int, str], None]


def start(actor: str, files: list[str], dry_run: bool, force: bool) -> int:
    """Record a new running import; returns its id."""
    with db.engine.begin() as connection:
        result = connection.execute(
            insert(ImportRun.__table__).values(
                source="directory",
                started_at=utcnow(),
                actor=actor,
                files=files,
                status="running",
                dry_run=dry_run,
                forced=force,
                counts={},
                errors=[],
                warnings=[],
                progress_done=0,
                progress_total=0,
            )
        )
        return result.inserted_primary_key[0]


def finish(
    run_id: int, status: str, counts: dict, errors: list[str], warnings: list[str]
) -> None:
    """Store how a run ended (a finished run's progress bar is full)."""
    table = ImportRun.__table__
    done = table.c.progress_total if status in ("imported", "dry_run") else None
    extra = {"progress_done": done} if done is not None else {}
    with db.engine.begin() as connection:
        connection.execute(
            update(table)
            .where(table.c.id == run_id)
            .values(
                **extra,
                status=status,
                finished_at=utcnow(),
                counts=counts,
                errors=errors[:MAX_STORED_MESSAGES],
                warnings=warnings[:MAX_STORED_MESSAGES],
            )
        )


class Progress:
    """Counts work done, tells the caller, and stores it now and then."""

    EVERY_SECONDS = 0.5

    def __init__(self, run_id: int, callback: ProgressCallback | None) -> None:
        self.run_id = run_id
        self.callback = callback
        self.done = 0
        self.total = 0
        self.stage = "reading"
        self.storable = True
        self._stored_at = 0.0

    def writing_started(self) -> None:
        if db.engine.dialect.name == "sqlite":
            self.storable = False

    def add_total(self, amount: int) -> None:
        self.total += amount
        self._report(force=True)

    def tick(self, amount: int, stage: str | None = None) -> None:
        self.done += amount
        self.stage = stage or self.stage
        self._report()

    def _report(self, force: bool = False) -> None:
        if self.callback:
            self.callback(self.done, self.total, self.stage)
        now = time.monotonic()
        if self.storable and (force or now - self._stored_at >= self.EVERY_SECONDS):
            self._stored_at = now
            with db.engine.begin() as connection:
                connection.execute(
                    update(ImportRun.__table__)
                    .where(ImportRun.__table__.c.id == self.run_id)
                    .values(progress_done=self.done, progress_total=self.total)
                )

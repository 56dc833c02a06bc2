"""Checking a large import's phone numbers in a second process.

Checking phone numbers with phonenumbers is most of the CPU a full import
costs. Once every file is read and checked for structure, the distinct
numbers of new and changed people are sent, in parts, to one helper
process, which checks them while this process writes the people and their
links; the contact points take each part's answers as soon as it is back
and are written while the helper works on the next part.

The result is the same as checking each number here (the helper runs the
same `check_phone`); if the helper cannot start or fails, numbers are
simply checked here as before. Small runs (a daily re-import) are checked
here: starting a process would cost more than it saves.
"""

import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ProcessPoolExecutor

from portal.directory.checks import check_phone

logger = logging.getLogger(__name__)

# Fewer distinct numbers than this are checked in this process.
MINIMUM = 20_000
# Numbers per part sent to the helper (about half a second of its work).
PART = 40_000


def check_all(raws: list[str]) -> dict[str, tuple]:
    """Each raw number's (E.164, reason); runs in the helper process."""
    check = check_phone.__wrapped__  # no cache: each number comes once
    return {raw: check(raw) for raw in raws}


def _context():
    # A fresh interpreter, not a fork of this process: it holds none of this
    # process's rows, connections or threads. It is this process's own
    # child, so its CPU and memory count in RUSAGE_CHILDREN once it ends.
    return multiprocessing.get_context("spawn")


class Answers:
    """One batch's answers, taken part by part in the order the parts went.

    `get(raw)` waits for further parts only while the number is not yet
    known and parts are still out, so contact points are written as soon
    as their part is back, while the helper works on the next.
    """

    def __init__(self, parts: list[Future]) -> None:
        self._parts = deque(parts)
        self._known: dict[str, tuple] = {}
        self.received = 0

    def get(self, raw: str, default=None):
        found = self._known.get(raw)
        while found is None and self._parts:
            self._take(self._parts.popleft())
            found = self._known.get(raw)
        return default if found is None else found

    def _take(self, part: Future) -> None:
        try:
            answers = part.result()
        except Exception as error:  # noqa: BLE001 - whatever ended it, check here
            logger.warning("phone_checks_failed error=%s", type(error).__name__)
            for rest in self._parts:
                rest.cancel()
            self._parts.clear()
            return
        self._known.update(answers)
        self.received += len(answers)


class PhoneChecks:
    """Numbers sent to one helper process in parts; their answers by batch."""

    def __init__(self, minimum: int | None = None) -> None:
        self.minimum = MINIMUM if minimum is None else minimum
        self._executor: ProcessPoolExecutor | None = None
        self._batches: dict[str, list[Future]] = {}

    def submit(self, name: str, raws: Iterable[str]) -> None:
        """Start checking a batch of numbers, if it is worth a process."""
        distinct = list(dict.fromkeys(raw for raw in raws if raw))
        if len(distinct) < self.minimum or (os.cpu_count() or 1) < 2:
            return
        try:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(1, mp_context=_context())
            self._batches[name] = [
                self._executor.submit(check_all, distinct[start : start + PART])
                for start in range(0, len(distinct), PART)
            ]
        except (OSError, RuntimeError) as error:
            logger.warning("phone_checks_unavailable error=%s", type(error).__name__)

    def results(self, name: str) -> Answers:
        """The answers for one batch, as they come (none if it was not sent)."""
        return Answers(self._batches.pop(name, []))

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        self._batches.clear()

"""A timer heap feeding a small pool of callback threads.

Every step of a simulated call or text (answer, machine detection, hangup,
status callbacks) is a task due at some time. One dispatcher thread waits
for the earliest task and hands it to the pool, so thousands of calls in
flight cost heap entries, not threads.
"""

import heapq
import itertools
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

logger = logging.getLogger(__name__)


class Scheduler:
    """Runs `fn()` on a pool thread once its due time has come."""

    def __init__(self, threads: int, max_pending: int):
        self.max_pending = max_pending
        self.heap: list = []
        self.order = itertools.count()
        self.cond = threading.Condition()
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="sandbox-cb")
        self.running = True
        self.dropped = 0
        self.in_flight = 0
        # The pool's own queue is unbounded: keep the backlog in the heap.
        self.slots = threading.BoundedSemaphore(threads * 2)
        self.dispatcher = threading.Thread(
            target=self._dispatch, name="sandbox-timer", daemon=True
        )
        self.dispatcher.start()

    def at(self, due: float, fn) -> bool:
        """Run `fn` at monotonic time `due`; False if too much is pending."""
        with self.cond:
            if len(self.heap) >= self.max_pending or not self.running:
                self.dropped += 1
                return False
            heapq.heappush(self.heap, (due, next(self.order), fn))
            self.cond.notify()
        return True

    def later(self, delay: float, fn) -> bool:
        """Run `fn` after `delay` seconds."""
        return self.at(time.monotonic() + delay, fn)

    def pending(self) -> int:
        """How many tasks wait for their time."""
        with self.cond:
            return len(self.heap)

    def idle(self) -> bool:
        """Whether nothing is waiting and nothing is running."""
        with self.cond:
            return not self.heap and self.in_flight == 0

    def clear(self) -> None:
        """Drop every task not yet started."""
        with self.cond:
            self.heap.clear()

    def stop(self) -> None:
        """Stop the dispatcher and the pool (tasks running finish)."""
        with self.cond:
            self.running = False
            self.heap.clear()
            self.cond.notify()
        self.dispatcher.join(timeout=5)
        self.pool.shutdown(wait=False, cancel_futures=True)

    def _dispatch(self) -> None:
        while True:
            self.slots.acquire()
            with self.cond:
                while self.running and not self._due():
                    self.cond.wait(self._wait_time())
                if not self.running:
                    return
                _, _, fn = heapq.heappop(self.heap)
                self.in_flight += 1
            try:
                self.pool.submit(self._run, fn)
            except RuntimeError:  # the interpreter is exiting: nothing to run
                return

    def _due(self) -> bool:
        return bool(self.heap) and self.heap[0][0] <= time.monotonic()

    def _wait_time(self) -> float | None:
        if not self.heap:
            return None
        return max(0.0, self.heap[0][0] - time.monotonic())

    def _run(self, fn) -> None:
        try:
            fn()
        except Exception:
            logger.exception("sandbox task failed")
        finally:
            with self.cond:
                self.in_flight -= 1
            self.slots.release()

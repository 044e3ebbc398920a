"""One thread that interrupts queries past their deadline (instead of a timer thread per query)."""

from __future__ import annotations

import contextlib
import heapq
import itertools
import threading
import time
from collections.abc import Callable


class Watchdog:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._cancelled: set[int] = set()
        self._counter = itertools.count()
        self._cv = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="query-watchdog", daemon=True)
        self._thread.start()

    def arm(self, seconds: float, action: Callable[[], None]) -> int:
        """Call ``action`` after ``seconds`` unless ``disarm`` is called first; return a ticket."""
        ticket = next(self._counter)
        with self._cv:
            heapq.heappush(self._heap, (time.monotonic() + seconds, ticket, action))
            self._cv.notify()
        return ticket

    def disarm(self, ticket: int) -> None:
        with self._cv:
            self._cancelled.add(ticket)

    def _run(self) -> None:
        with self._cv:
            while not self._closed:
                now = time.monotonic()
                while self._heap and (
                    self._heap[0][1] in self._cancelled or self._heap[0][0] <= now
                ):
                    _, ticket, action = heapq.heappop(self._heap)
                    if ticket in self._cancelled:
                        self._cancelled.discard(ticket)
                        continue
                    with contextlib.suppress(Exception):  # the query may have just finished
                        action()
                timeout = self._heap[0][0] - now if self._heap else None
                self._cv.wait(timeout)

    def close(self) -> None:
        with self._cv:
            self._closed = True
            self._cv.notify()

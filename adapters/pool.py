"""A small thread-safe pool of driver connections (the SQLite adapter's ADBC connections; the
server adapters' transports pool their own).

Opening a connection costs far more than a point lookup on an open one (a PostgreSQL session
~40 ms against 0.25 ms), so scans borrow connections instead of opening them. A connection that
failed, or whose stream was abandoned half-read, is closed rather than returned: its state is
unknown.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

__all__ = ["ConnectionPool"]

C = TypeVar("C")


class ConnectionPool(Generic[C]):
    """Lends connections made by ``connect``; keeps at most ``max_idle`` for reuse."""

    def __init__(
        self, connect: Callable[[], C], disconnect: Callable[[C], None], max_idle: int = 4
    ) -> None:
        self._connect = connect
        self._disconnect = disconnect
        self._max_idle = max_idle
        self._idle: list[C] = []
        self._lock = threading.Lock()
        self._closed = False

    def acquire(self) -> tuple[C, bool]:
        """Return a connection and whether it was reused (a reused one may have gone stale)."""
        with self._lock:
            if self._idle:
                return self._idle.pop(), True
        return self._connect(), False

    def release(self, connection: C, *, reusable: bool) -> None:
        """Take a connection back; keep it only if it is known to be in a clean state."""
        if reusable:
            with self._lock:
                if not self._closed and len(self._idle) < self._max_idle:
                    self._idle.append(connection)
                    return
        self.discard(connection)

    def discard(self, connection: C) -> None:
        """Close a connection, ignoring errors: it is usually being dropped because it broke."""
        with contextlib.suppress(Exception):
            self._disconnect(connection)

    @contextlib.contextmanager
    def connection(self) -> Iterator[C]:
        """Lend a connection for a short exchange (metadata); a failure discards it."""
        connection, _ = self.acquire()
        try:
            yield connection
        except BaseException:
            self.discard(connection)
            raise
        self.release(connection, reusable=True)

    def close(self) -> None:
        """Close idle connections; connections still lent out are closed when returned."""
        with self._lock:
            idle, self._idle, self._closed = self._idle, [], True
        for connection in idle:
            self.discard(connection)

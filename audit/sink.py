"""Where query and governance events go. The hash-chained log implements this protocol; the
engine only needs ``append`` to either persist the event or raise (then no result is returned)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class AuditSink(Protocol):
    def append(self, event: Mapping[str, Any]) -> int:
        """Durably record ``event`` and return its sequence number, or raise."""
        ...

    def close(self) -> None: ...


class MemorySink:
    """Keeps events in a list: for tests and for embedding without a data directory."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def append(self, event: Mapping[str, Any]) -> int:
        with self._lock:
            self.events.append(dict(event))
            return len(self.events)

    def close(self) -> None:
        pass

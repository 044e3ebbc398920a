"""Arrow streams between the sources and the sandbox.

Every scan is read by its own producer thread into a small bounded queue, so all sources
transfer at once while DuckDB consumes; the queue bound keeps memory flat. A stream may be
consumed once: DuckDB asking for it a second time (a rescan) raises instead of silently reading
an exhausted stream.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from adapters import SourceError

_DONE = object()


class RescanRequired(Exception):
    """DuckDB wanted to read a streamed scan twice; the query is re-run over materialised scans."""


class PrefetchStream:
    """A one-shot Arrow C stream fed by a producer thread with a bounded read-ahead."""

    def __init__(
        self,
        source: str,
        reader: pa.RecordBatchReader,
        timeout_s: float,
        first: list[pa.RecordBatch] | None = None,
        depth: int = 4,
    ) -> None:
        self.source = source
        self.schema = reader.schema
        self.rows = 0
        self.bytes = 0
        self.error: BaseException | None = None
        self.rescanned = False
        self._reader = reader
        self._timeout = timeout_s
        self._first = list(first or [])
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._exported = False
        self._thread = threading.Thread(target=self._produce, name=f"scan-{source}", daemon=True)
        self._thread.start()

    def _produce(self) -> None:
        try:
            for batch in self._reader:
                if self._stop.is_set():
                    return
                self._put(batch)
        except BaseException as exc:  # surfaced to the consumer, classified there
            self._put(exc)
        finally:
            self._put(_DONE)

    def _put(self, item: object) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _batches(self) -> Iterator[pa.RecordBatch]:
        for batch in self._first:
            self.rows += batch.num_rows
            self.bytes += batch.nbytes
            yield batch
        self._first = []
        deadline_each = self._timeout
        while True:
            started = time.monotonic()
            try:
                item = self._queue.get(timeout=deadline_each)
            except queue.Empty:
                self.error = SourceError(
                    self.source, f"no data within the source timeout ({self._timeout:g} s)"
                )
                raise self.error from None
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                self.error = item
                raise item
            assert isinstance(item, pa.RecordBatch)
            self.rows += item.num_rows
            self.bytes += item.nbytes
            deadline_each = (
                max(self._timeout - (time.monotonic() - started), 0.001)
                if item.num_rows == 0
                else self._timeout
            )
            yield item

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        if self._exported:
            self.rescanned = True
            raise RescanRequired(self.source)
        self._exported = True
        reader = pa.RecordBatchReader.from_batches(self.schema, self._batches())
        return reader.__arrow_c_stream__(requested_schema)

    def __arrow_c_schema__(self) -> Any:
        return self.schema.__arrow_c_schema__()

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(Exception):
            self._reader.close()


class Opened:
    """A scan after its first read: either complete (small) or a reader with batches in hand."""

    # Scans smaller than this are read whole by the thread that opened them: no producer
    # thread, and DuckDB reads an in-memory table, which is what point lookups need.
    SMALL_BYTES = 4 * 1024 * 1024

    def __init__(self, reader: pa.RecordBatchReader) -> None:
        self.reader = reader
        self.batches: list[pa.RecordBatch] = []
        self.complete = False
        size = 0
        while size < self.SMALL_BYTES:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                self.complete = True
                break
            self.batches.append(batch)
            size += batch.nbytes

    def table(self) -> pa.Table:
        """The whole scan as a table (reads the rest when it is not complete yet)."""
        rest = [] if self.complete else list(self.reader)
        self.complete = True
        return pa.Table.from_batches([*self.batches, *rest], schema=self.reader.schema)

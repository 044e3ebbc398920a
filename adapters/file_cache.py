"""File tables loaded once into a source's private DuckDB, reused while their files are unchanged.

DuckDB re-reads (and for CSV re-sniffs) a whole file on every scan: a point lookup in a 1M-row
CSV costs ~90 ms, in a 1M-row Parquet file with 100k-row groups ~5 ms; in a DuckDB table ~0.5 ms.
So a scan loads the table once and later scans read the copy, as long as every file behind it
has the same identity and metadata as when it was loaded: path, size, mtime_ns, ctime_ns, inode
and device (``cp -p`` can restore an mtime, nothing restores a ctime; a rename brings another
inode). Answers always reflect the files as they are at the scan.

A file changed within a timestamp tick of when it was looked at could change again without its
metadata showing it (coarse kernel clocks, same size): like git's "racy" index entries, a copy
of a file modified less than ``RACY_S`` before it was looked at is used for that one scan only.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["RACY_S", "FileTableCache", "Snapshot", "snapshot"]

RACY_S = 2.0


@dataclass(frozen=True)
class Snapshot:
    """What the files behind one table looked like at one moment."""

    files: tuple[tuple[str, int, int, int, int, int], ...]  # path, size, mtime, ctime, ino, dev
    taken_at_ns: int
    # Every file was last changed at least RACY_S before the snapshot: judged when it is
    # taken, so a copy loaded from a racy snapshot stays racy however long it is cached.
    settled: bool

    @property
    def size(self) -> int:
        return sum(entry[1] for entry in self.files)

    def identity(self) -> tuple[tuple[str, int, int, int, int, int], ...]:
        return self.files


def snapshot(paths: Sequence[Path]) -> Snapshot:
    """Return the current identity of ``paths`` (stat'ed now, in order)."""
    taken_at = time.time_ns()
    files = []
    for path in paths:
        info = os.stat(path)
        files.append(
            (str(path), info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)
        )
    newest = max((max(entry[2], entry[3]) for entry in files), default=0)
    return Snapshot(tuple(files), taken_at, taken_at - newest > RACY_S * 1e9)


@dataclass
class _Entry:
    table: str  # the cached table's name in the private database
    snapshot: Snapshot
    users: int = 0  # scans between choosing this table and starting their statement
    retired: bool = False  # replaced or evicted: dropped once no scan is about to read it


class FileTableCache:
    """Which file tables are loaded, under which name, for which snapshot. Least recently used
    tables are dropped to keep the files behind the loaded ones under ``max_bytes``.

    ``drop(table)`` removes a cached table from the database. A scan that already started
    reading a dropped table keeps reading its snapshot (DuckDB's MVCC); one that chose a table
    but has not started yet holds a lease (``lease()``) that defers the drop.
    """

    def __init__(self, max_bytes: int, drop: Callable[[str], None]) -> None:
        self.max_bytes = max_bytes
        self._drop = drop
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._loading: dict[str, threading.Lock] = {}
        self._generation = 0

    @contextlib.contextmanager
    def lease(
        self, name: str, current: Snapshot, load: Callable[[str], None]
    ) -> Iterator[str | None]:
        """Yield the cached table holding ``name`` as of ``current`` — loaded with
        ``load(table_name)`` when there is none or it is stale — or None when the files do not
        fit the budget. Start the statement that reads it before leaving the block.

        A copy loaded from an unsettled snapshot serves the scan that loaded it and no other.
        """
        entry = self._acquire(name, current, load) if current.size <= self.max_bytes else None
        try:
            yield None if entry is None else entry.table
        finally:
            if entry is not None:
                with self._lock:
                    entry.users -= 1
                    drop_now = entry.retired and entry.users == 0
                if drop_now:
                    self._drop(entry.table)

    def _acquire(self, name: str, current: Snapshot, load: Callable[[str], None]) -> _Entry:
        with self._lock:
            loading = self._loading.setdefault(name, threading.Lock())
        with loading:  # one load per table at a time; the others wait and reuse it
            with self._lock:
                entry = self._entries.get(name)
                if (
                    entry is not None
                    and entry.snapshot.identity() == current.identity()
                    and entry.snapshot.settled
                ):
                    self._entries.move_to_end(name)
                    entry.users += 1
                    return entry
                self._generation += 1
                table = f"{name}@{self._generation}"
            load(table)
            fresh = _Entry(table, current, users=1)
            with self._lock:
                retired = [self._entries.pop(name)] if name in self._entries else []
                self._entries[name] = fresh
                retired += self._over_budget()
                unused = []
                for old in retired:
                    old.retired = True
                    if old.users == 0:
                        unused.append(old.table)
            for table in unused:
                self._drop(table)
            return fresh

    def _over_budget(self) -> list[_Entry]:
        evicted = []
        total = sum(entry.snapshot.size for entry in self._entries.values())
        while total > self.max_bytes and len(self._entries) > 1:
            _, entry = self._entries.popitem(last=False)
            total -= entry.snapshot.size
            evicted.append(entry)
        return evicted

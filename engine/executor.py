"""Runs a QueryPlan: opens every scan concurrently, then the federated query in the sandbox."""

from __future__ import annotations

import contextlib
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa

from adapters import ScanRequest, SourceAdapter, SourceError
from engine.catalog import Catalog
from engine.errors import FederationError, InvalidQuery, SourceUnavailable
from engine.plan import PlannedScan, QueryPlan
from engine.sandbox import Sandbox
from engine.streams import Opened, PrefetchStream, RescanRequired
from engine.watchdog import Watchdog
from policies.rewrite import GroupGuard


@dataclass
class ExecutionStats:
    """What running a plan cost, per source and in total."""

    rows_per_scan: dict[str, int] = field(default_factory=dict)
    bytes_per_source: dict[str, int] = field(default_factory=dict)
    rows_returned: int = 0
    truncated: bool = False
    suppressed_groups: int = 0
    duration_ms: float = 0.0


class Executor:
    def __init__(
        self, catalog: Catalog, sandbox: Sandbox, query_timeout_s: float, workers: int = 8
    ) -> None:
        self.catalog = catalog
        self.sandbox = sandbox
        self.query_timeout_s = query_timeout_s
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scan-open")
        self._watchdog = Watchdog()

    def run(self, plan: QueryPlan) -> tuple[pa.Table, ExecutionStats]:
        started = time.perf_counter()
        stats = ExecutionStats()
        try:
            table = self._run(plan, stats, materialize_all=False)
        except RescanRequired:
            stats = ExecutionStats()
            table = self._run(plan, stats, materialize_all=True)
        if plan.group_guard is not None:
            table, stats.suppressed_groups = _remove_small_groups(table, plan.group_guard)
        if plan.max_rows is not None and table.num_rows > plan.max_rows:
            table = table.slice(0, plan.max_rows)
            stats.truncated = True
        stats.rows_returned = table.num_rows
        stats.duration_ms = (time.perf_counter() - started) * 1000
        return table, stats

    def _run(self, plan: QueryPlan, stats: ExecutionStats, materialize_all: bool) -> pa.Table:
        opened = self._open_all(plan)
        streams: dict[str, PrefetchStream] = {}
        cursor = self.sandbox.cursor()
        ticket: int | None = None
        try:
            for scan, scan_open in zip(plan.scans, opened, strict=True):
                if scan_open.complete or materialize_all or scan.materialize:
                    data = scan_open.table()
                    stats.rows_per_scan[scan.name] = data.num_rows
                    _add(stats.bytes_per_source, scan.source, data.nbytes)
                    cursor.register(scan.name, data)
                else:
                    stream = PrefetchStream(
                        scan.source, scan_open.reader, self._timeout(scan), scan_open.batches
                    )
                    streams[scan.name] = stream
                    cursor.register(scan.name, stream)
            ticket = self._watchdog.arm(self.query_timeout_s, cursor.interrupt)
            try:
                result = cursor.execute(plan.executed_sql).to_arrow_table()
            except Exception as exc:
                # Whatever DuckDB or a driver raised, its text may quote a data value: only
                # the classification below ever reaches the user.
                if any(s.rescanned for s in streams.values()):
                    raise RescanRequired(plan.scans[0].name) from None
                raise _classify(exc, streams, self.query_timeout_s) from None
            return result
        except SourceError as exc:
            raise SourceUnavailable(_unavailable(exc)) from None
        finally:
            if ticket is not None:
                self._watchdog.disarm(ticket)
            for name, stream in streams.items():
                stats.rows_per_scan[name] = stream.rows
                _add(stats.bytes_per_source, stream.source, stream.bytes)
                stream.close()
            cursor.close()
            for scan_open in opened:
                with contextlib.suppress(Exception):
                    scan_open.reader.close()

    def _timeout(self, scan: PlannedScan) -> float:
        return self.catalog.loaded.config.sources[scan.source].timeout_s

    def _open_all(self, plan: QueryPlan) -> list[Opened]:
        futures: list[Future[Opened]] = []
        for scan in plan.scans:
            adapter = self.catalog.adapter(scan.source)
            futures.append(self._pool.submit(_open_scan, adapter, scan.request))
        readers: list[Opened] = []
        failure: FederationError | None = None
        for scan, future in zip(plan.scans, futures, strict=True):
            try:
                readers.append(future.result(timeout=self._timeout(scan)))
            except FutureTimeout:
                failure = failure or SourceUnavailable(
                    f"source {scan.source} did not answer within {self._timeout(scan):g} s"
                )
            except SourceError as exc:
                failure = failure or SourceUnavailable(_unavailable(exc))
            except Exception:
                failure = failure or SourceUnavailable(
                    f"source {scan.source} failed while starting the scan"
                )
        if failure is not None:
            for scan_open in readers:
                with contextlib.suppress(Exception):
                    scan_open.reader.close()
            raise failure
        return readers

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._watchdog.close()


def _remove_small_groups(table: pa.Table, guard: GroupGuard) -> tuple[pa.Table, int]:
    """Drop groups with too few distinct entities, and the helper columns; count the drops."""
    # count(DISTINCT …) is never NULL, so a plain vectorised comparison decides each group.
    keep = np.ones(table.num_rows, dtype=bool)
    for name, minimum in guard.columns:
        keep &= table.column(name).to_numpy() >= minimum
    kept = table.filter(pa.array(keep))
    removed = table.num_rows - kept.num_rows
    kept = kept.drop_columns([name for name, _ in guard.columns])
    start = guard.offset or 0
    if guard.limit is not None or start:
        kept = kept.slice(start, guard.limit)
    return kept, removed


def _open_scan(adapter: SourceAdapter, request: ScanRequest) -> Opened:
    return Opened(adapter.scan(request))


def _add(totals: dict[str, int], key: str, value: int) -> None:
    totals[key] = totals.get(key, 0) + value


def _unavailable(exc: SourceError) -> str:
    return f"source {exc.source} is unavailable: {exc.reason}"


def _classify(
    exc: Exception, streams: dict[str, PrefetchStream], timeout_s: float
) -> FederationError:
    """Turn a DuckDB error into a message that carries no data values (invariant 5)."""
    for stream in streams.values():
        if isinstance(stream.error, SourceError):
            return SourceUnavailable(_unavailable(stream.error))
        if stream.error is not None:
            return SourceUnavailable(f"source {stream.source} failed while reading")
    if not isinstance(exc, duckdb.Error):
        return InvalidQuery("the query failed while running")
    if isinstance(exc, duckdb.InterruptException):
        return InvalidQuery(f"the query ran longer than {timeout_s:g} s and was stopped")
    if isinstance(exc, duckdb.OutOfMemoryException):
        return InvalidQuery("the query needs more memory than a query may use; narrow it")
    if isinstance(exc, duckdb.ConversionException):
        return InvalidQuery("the query failed: a value could not be converted to the asked type")
    if isinstance(exc, duckdb.OutOfRangeException):
        return InvalidQuery("the query failed: a value is out of range for its type")
    if isinstance(exc, duckdb.BinderException):
        return InvalidQuery(f"the query is not valid: {_binder_text(str(exc))}")
    if isinstance(exc, duckdb.ParserException):
        return InvalidQuery("the query could not be parsed")
    if isinstance(exc, (duckdb.InvalidInputException, duckdb.NotImplementedException)):
        return InvalidQuery("the query failed: a function got input it cannot handle")
    return InvalidQuery(f"the query failed ({type(exc).__name__.removesuffix('Exception')})")


def _binder_text(message: str) -> str:
    # Binder messages name types and functions, never values; drop DuckDB's candidate list and
    # source position, which would show internal scan names.
    first = message.splitlines()[0]
    first = first.split("Candidate", 1)[0].split("LINE", 1)[0]
    first = first.replace("Binder Error:", "").strip().rstrip(".!") or "binding failed"
    return first

"""Sources read through a DuckDB database of their own: DuckDB files, Parquet and CSV, and
PostgreSQL through DuckDB's postgres extension.

For the file kinds DuckDB applies every filter with DuckDB's own semantics, so they take every
shape exactly (PostgreSQL brings its own dialect rules). One database per source; each scan runs
on its own ``cursor()`` (a connection to the same database, safe to use from the scanning
thread) and is interrupted when it outlives ``timeout_s``.
"""

from __future__ import annotations

import threading

import duckdb

from adapters.base import ScanRequest, SourceSettings
from adapters.dialects import SourceDialect
from adapters.pushdown import Column
from adapters.source import Execution, SqlSource
from adapters.types import plain_type
from adapters.watchdog import watchdog

__all__ = ["DuckDBScanSource"]

# Rows per Arrow batch: large enough that per-batch overhead vanishes, small enough that a scan
# holds a few MB at a time.
BATCH_ROWS = 65_536


class DuckDBScanSource(SqlSource):
    """Base for the DuckDB-read kinds; subclasses open the database and name the tables."""

    rules = SourceDialect()

    def __init__(self, settings: SourceSettings) -> None:
        super().__init__(settings)
        self._database: duckdb.DuckDBPyConnection | None = None
        self._open_lock = threading.Lock()

    def _open(self) -> duckdb.DuckDBPyConnection:
        raise NotImplementedError

    def _connection(self) -> duckdb.DuckDBPyConnection:
        with self._open_lock:
            if self._database is None:
                self._database = self._open()
            return self._database

    def _query_columns(self, relation_sql: str) -> list[Column]:
        """Return the columns DuckDB reads from a relation, as the Arrow types it produces."""
        cursor = self._connection().cursor()
        try:
            result = cursor.execute(f"SELECT * FROM {relation_sql} LIMIT 0")
            # DuckDB's own type names (VARCHAR, ENUM(…), UUID, …): a function filter is pushed
            # only over columns that reach the query with the type they have here.
            declared = [str(d[1]) for d in result.description or ()]
            schema = result.to_arrow_table().schema
        finally:
            cursor.close()
        return [
            Column(f.name, plain_type(f.type), native)
            for f, native in zip(schema, declared, strict=True)
        ]

    def _execute(self, statement: str, request: ScanRequest) -> Execution:
        cursor = self._connection().cursor()
        # DuckDB may compute for a long time before the first batch (a filter that matches
        # nothing in a large file); interrupt() stops it wherever it is.
        alarm = watchdog.after(self.settings.timeout_s, cursor.interrupt)

        def release(finished: bool) -> None:
            alarm.cancel()
            cursor.close()

        try:
            reader = cursor.execute(statement).to_arrow_reader(BATCH_ROWS)
        except BaseException:
            release(False)
            raise
        return Execution(reader, release)

    def _close(self) -> None:
        with self._open_lock:
            database, self._database = self._database, None
        if database is not None:
            database.close()

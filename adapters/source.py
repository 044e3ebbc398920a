"""What every adapter shares: the schema cache, filter verdicts, rendering, failure handling and
the stream that conforms each batch to the requested schema.

A subclass says how to list tables, read a table's declared columns, name a table in SQL and run
a statement; this class turns every driver failure into a ``SourceError`` whose message names the
source and says what went wrong in fixed words, never the driver's text (drivers quote the
statement, and with it the filter constants).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import ClassVar, NamedTuple

import pyarrow as pa
from sqlglot import exp

from adapters.base import FilterVerdict, ScanColumn, ScanRequest, SourceError, SourceSettings
from adapters.dialects import SourceDialect
from adapters.pushdown import Column
from adapters.sql_render import build_select, judge_aggregation, judge_filter, to_sql
from adapters.types import ConformError, conform

__all__ = ["Execution", "SqlSource", "describe_failure"]

log = logging.getLogger(__name__)

# Driver messages are matched only to pick one of these phrases; they are never repeated.
_FAILURE_PHRASES: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        (
            "connection refused",
            "could not connect",
            "failed to connect",
            "can't connect",
            "waiting for connection",
            "connection reset",
            "server closed the connection",
            "broken pipe",
            "no route to host",
            "could not translate host",
            "name or service not known",
            "lost connection",
            "gone away",
            "terminating connection",
            "connection timed out",
            "timeout expired",
        ),
        "cannot reach the source",
    ),
    (
        (
            "statement timeout",
            "max_statement_time",
            "max_execution_time",
            "interrupted",
            "canceling statement",
        ),
        "timed out",
    ),
    (
        ("password authentication", "access denied", "authentication failed", "pg_hba.conf"),
        "the source refused the credentials",
    ),
    (("no such file", "cannot open file", "unable to open"), "cannot open a file it reads"),
    (
        (
            "does not exist",
            "doesn't exist",
            "no such table",
            "no such column",
            "no such function",
            "unknown column",
            "unknown table",
            "unknown database",
            "not found",
        ),
        "a table, column, function or database it names does not exist",
    ),
    (
        ("permission denied", "insufficient privilege", "command denied", "readonly"),
        "the source denied permission",
    ),
    (("type mismatch",), "a column holds values of more than one type"),
)


def describe_failure(error: BaseException) -> str:
    """Return a fixed phrase for a driver failure, chosen from its message but never quoting it."""
    text = str(error).lower()
    for needles, phrase in _FAILURE_PHRASES:
        if any(needle in text for needle in needles):
            return phrase
    return f"the source reported {type(error).__name__}"


class Execution(NamedTuple):
    """A running statement: its batches, how to let go of it (``finished`` says whether it was
    read to the end), and how many leading rows are placeholders to drop."""

    batches: Iterable[pa.RecordBatch]
    release: Callable[[bool], None]
    skip_rows: int = 0


class _ReleaseOnce:
    """Runs a stream's release at most once, whichever of end, error or collection comes first."""

    def __init__(self, release: Callable[[bool], None]) -> None:
        self._release = release
        self._lock = threading.Lock()
        self._done = False

    def __call__(self, finished: bool) -> None:
        with self._lock:
            if self._done:
                return
            self._done = True
        self._release(finished)


class SqlSource:
    """Base of every adapter; subclasses fill in the five ``_`` hooks."""

    kind: ClassVar[str]
    rules: ClassVar[SourceDialect]

    def __init__(self, settings: SourceSettings) -> None:
        self.name = settings.name
        self.settings = settings
        self.dialect: str | None = self.rules.sqlglot_dialect
        self._columns: dict[str, dict[str, Column]] = {}
        self._lock = threading.Lock()

    # -- hooks -----------------------------------------------------------------------------

    def _list_tables(self) -> list[str]:
        raise NotImplementedError

    def _load_columns(self, table: str) -> list[Column]:
        """Return the table's declared columns in order, or [] when there is no such table."""
        raise NotImplementedError

    def _table_node(self, table: str) -> exp.Expr:
        raise NotImplementedError

    def _execute(self, statement: str, request: ScanRequest) -> Execution:
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError

    def _statement(self, request: ScanRequest) -> exp.Expr:
        columns = self._table_columns(request.table)  # first: an unknown table fails here, clearly
        return build_select(
            request, table=self._table_node(request.table), columns=columns, dialect=self.rules
        )

    # -- SourceAdapter -----------------------------------------------------------------------

    def tables(self) -> list[str]:
        """Return the names of the tables this source exposes."""
        with self._failures("listing tables"):
            return sorted(self._list_tables())

    def _table_columns(self, table: str) -> dict[str, Column]:
        """Return the table's columns with their declared types (read once, then cached)."""
        cached = self._columns.get(table)
        if cached is not None:
            return cached
        with self._failures(f"reading the columns of {table!r}"):
            found = self._load_columns(table)
        if not found:
            raise SourceError(self.name, f"table {table!r} does not exist")
        with self._lock:
            return self._columns.setdefault(table, {c.name: c for c in found})

    def schema(self, table: str) -> pa.Schema:
        """Return the table's columns as Arrow types (declared types, not guessed from data)."""
        return pa.schema([pa.field(c.name, c.type) for c in self._table_columns(table).values()])

    def judge_filters(self, table: str, filters: Sequence[exp.Expr]) -> list[FilterVerdict]:
        """Say for each filter whether the source applies it exactly, loosely, or not at all."""
        columns = self._table_columns(table)
        return [judge_filter(f, columns, self.rules) for f in filters]

    def judge_aggregates(
        self, table: str, columns: Sequence[ScanColumn], group_by: Sequence[exp.Expr]
    ) -> FilterVerdict:
        """Say whether the source computes these grouped aggregates exactly as DuckDB would and
        can return them as the columns' Arrow types: EXACT, or UNSUPPORTED with the reason."""
        return judge_aggregation(columns, group_by, self._table_columns(table), self.rules)

    def render(self, request: ScanRequest) -> str:
        """Return the statement ``scan`` sends, for EXPLAIN and audit."""
        return to_sql(self._statement(request), self.rules)

    def scan(self, request: ScanRequest) -> pa.RecordBatchReader:
        """Start reading; return a stream whose schema is ``request.output_schema()``."""
        statement = self.render(request)
        deadline = time.monotonic() + self.settings.timeout_s
        action = f"scanning {request.table!r}"
        with self._failures(action, deadline):
            execution = self._execute(statement, request)
        # A stream dropped before its first read never runs its generator's finally; the
        # finalizer releases the connection then.
        release = _ReleaseOnce(execution.release)
        schema = request.output_schema()
        batches = self._conformed(execution._replace(release=release), schema, action, deadline)
        weakref.finalize(batches, release, False)
        return pa.RecordBatchReader.from_batches(schema, batches)

    def close(self) -> None:
        """Release connections and files; the adapter reopens them if used again."""
        with contextlib.suppress(Exception):
            self._close()

    # -- shared machinery --------------------------------------------------------------------

    def _conformed(
        self, execution: Execution, schema: pa.Schema, action: str, deadline: float
    ) -> Iterator[pa.RecordBatch]:
        finished = False
        skip = execution.skip_rows
        try:
            with self._failures(action, deadline):
                for batch in execution.batches:
                    if time.monotonic() > deadline:
                        raise self._timed_out(action)
                    if skip:
                        dropped = min(skip, batch.num_rows)
                        batch, skip = batch.slice(dropped), skip - dropped
                    if batch.num_rows:
                        yield conform(batch, schema)
            finished = True
        finally:
            execution.release(finished)

    @contextlib.contextmanager
    def _failures(self, action: str, deadline: float | None = None) -> Iterator[None]:
        """Turn whatever a driver raises into a SourceError that carries no driver text."""
        try:
            yield
        except (SourceError, KeyboardInterrupt, SystemExit, GeneratorExit):
            raise
        except ConformError as error:
            raise SourceError(self.name, f"{action} failed: {error}") from None
        except BaseException as error:  # connectorx raises Rust panics as BaseException
            log.debug("source %s: %s failed", self.name, action, exc_info=error)
            if deadline is not None and time.monotonic() >= deadline:
                raise self._timed_out(action) from None
            raise SourceError(self.name, f"{action} failed: {describe_failure(error)}") from None

    def _timed_out(self, action: str) -> SourceError:
        return SourceError(
            self.name, f"{action} failed: timed out after {self.settings.timeout_s:g} s"
        )

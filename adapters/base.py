"""The contract between the engine and a source: what a scan asks for and what comes back.

Adapters know tables, columns and SQL dialects. They know nothing of users, grants or audit: the
engine hands them a fully shaped ``ScanRequest`` (projection expressions, filters, limit) and gets
a streaming ``pyarrow.RecordBatchReader`` back.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import pyarrow as pa
from sqlglot import exp


class Pushdown(enum.Enum):
    """How a source takes a filter (DataFusion's TableProviderFilterPushDown)."""

    EXACT = "exact"  # the source applies it with the engine's semantics; no re-check needed
    INEXACT = "inexact"  # the source returns a superset (e.g. case-insensitive collation)
    UNSUPPORTED = "unsupported"  # evaluated above the scan only


@dataclass(frozen=True)
class FilterVerdict:
    """An adapter's answer for one filter, with the reason shown in EXPLAIN."""

    pushdown: Pushdown
    reason: str = ""


@dataclass(frozen=True)
class ScanColumn:
    """One output column of a scan: ``expression`` is written over the source table's columns
    (unqualified ``exp.Column`` nodes), e.g. ``exp.column("birth_date")`` or a mask expression.
    ``type`` is the Arrow type the column must arrive as."""

    name: str
    expression: exp.Expr
    type: pa.DataType


@dataclass(frozen=True)
class ScanRequest:
    """What to read from one source table.

    ``filters`` are conjuncts over the table's own (unqualified) columns whose constants are plain
    literals; every one is applied at the source. ``limit`` is only set when it is safe to cut
    the scan (no filter was left above it).
    """

    table: str
    columns: tuple[ScanColumn, ...]
    filters: tuple[exp.Expr, ...] = ()
    limit: int | None = None
    # When set, the scan is an aggregation: one row per group of these (unqualified) columns,
    # and ``columns`` may hold aggregates (SUM, COUNT, MIN, MAX) over the table's columns.
    # Only sent after ``judge_aggregates`` said EXACT.
    group_by: tuple[exp.Expr, ...] = ()

    def output_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type) for c in self.columns])


class SourceError(Exception):
    """A source could not answer (down, timed out, refused). The message may name the source and
    the table but never carries data values."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"source {source!r}: {message}")
        self.source = source
        self.reason = message


@runtime_checkable
class SourceAdapter(Protocol):
    """One configured source (a database, a folder of files)."""

    name: str
    kind: str
    # The SQL dialect (sqlglot name) this source speaks, or None for file scans.
    dialect: str | None

    def tables(self) -> list[str]:
        """Return the names of the tables this source exposes."""
        ...

    def schema(self, table: str) -> pa.Schema:
        """Return the table's columns as Arrow types (declared types, not guessed from data)."""
        ...

    def judge_filters(self, table: str, filters: Sequence[exp.Expr]) -> list[FilterVerdict]:
        """Say for each filter whether the source applies it exactly, loosely, or not at all."""
        ...

    def judge_aggregates(
        self, table: str, columns: Sequence[ScanColumn], group_by: Sequence[exp.Expr]
    ) -> FilterVerdict:
        """Say whether the source computes these grouped aggregates exactly as DuckDB would and
        can return them as the columns' Arrow types: EXACT, or UNSUPPORTED with the reason."""
        ...

    def render(self, request: ScanRequest) -> str:
        """Return the statement (SQL or file scan) that ``scan`` sends, for EXPLAIN and audit."""
        ...

    def scan(self, request: ScanRequest) -> pa.RecordBatchReader:
        """Start reading and return a stream whose schema is ``request.output_schema()``.

        Raises SourceError when the source is unreachable or refuses the statement.
        """
        ...

    def close(self) -> None:
        """Release connections and files."""
        ...


@dataclass
class SourceSettings:
    """The adapter-facing part of a source's configuration."""

    name: str
    kind: str
    path: str | None = None
    dsn: str | None = None
    schema: str | None = None
    timeout_s: float = 30.0
    options: dict[str, object] = field(default_factory=dict)

"""Value types of access decisions. Policies know tables and columns, never adapters or DuckDB.

``Authorizer.decide`` returns one ``AccessDecision`` per (principal, table, purpose); the planner
enforces it by rewriting the query. Nothing else decides access.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TableRef:
    """A catalog table with its columns: ``columns`` are (name, SQL type) in source order."""

    source: str
    table: str
    columns: tuple[tuple[str, str], ...]

    @property
    def name(self) -> str:
        return f"{self.source}.{self.table}"

    def column_names(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.columns)

    def column_type(self, column: str) -> str | None:
        for name, sql_type in self.columns:
            if name == column:
                return sql_type
        return None


@dataclass(frozen=True)
class Principal:
    """Who is asking: the user, their agency, roles and attributes usable in row filters."""

    name: str
    agency: str
    roles: tuple[str, ...] = ()
    attributes: Mapping[str, str] = field(default_factory=dict)


class ColumnMode(enum.Enum):
    READ = "read"  # project, filter, join, group
    CONDITION = "condition"  # WHERE/ON only: never projected, grouped, ordered or aggregated
    JOIN = "join"  # only in equi-join conditions with another table's column
    MASK = "mask"  # the masked value everywhere in the query


MASK_KINDS = ("redact", "null", "first", "last", "hash", "year_only", "round")


@dataclass(frozen=True)
class ColumnRule:
    """How one column may be used. ``mask`` is e.g. ``"year_only"``, ``"first:1"``,
    ``"round:-3"`` (kind, then an optional integer parameter after a colon)."""

    mode: ColumnMode
    mask: str | None = None

    @property
    def projectable(self) -> bool:
        return self.mode in (ColumnMode.READ, ColumnMode.MASK)

    @property
    def mask_kind(self) -> str | None:
        return None if self.mask is None else self.mask.split(":", 1)[0]

    @property
    def mask_parameter(self) -> int | None:
        if self.mask is None or ":" not in self.mask:
            return None
        return int(self.mask.split(":", 1)[1])


@dataclass(frozen=True)
class RequiredCondition:
    """The query must pin ``column`` (``=`` or ``IN`` with at most ``max_values`` constants, in a
    top-level AND of WHERE/ON, directly or through an equi-join to a pinned column)."""

    column: str
    max_values: int = 1


@dataclass(frozen=True)
class AggregateRule:
    """Only aggregates may be read; groups with fewer than ``min_group`` distinct ``entity``
    values are removed (and counted)."""

    min_group: int
    entity: str


@dataclass(frozen=True)
class AccessDecision:
    """What one principal may do with one table for one purpose, and why.

    ``columns`` holds only the permitted columns; a column not in it is not granted.
    ``row_filter`` is SQL (DuckDB dialect) over the table's own columns with principal attributes
    already substituted as quoted literals, e.g. ``district = '大安區'``.
    """

    table: TableRef
    allowed: bool
    columns: Mapping[str, ColumnRule] = field(default_factory=dict)
    row_filter: str | None = None
    required: tuple[RequiredCondition, ...] = ()
    aggregate_only: AggregateRule | None = None
    max_rows: int | None = None
    purposes: tuple[str, ...] = ()
    valid_until: dt.date | None = None
    grants: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    # Whether the principal may learn that the table exists (some grant names it). When False a
    # refusal must read exactly like "no such table" (DESIGN.md invariant 5).
    visible: bool = False
    # First day of the governing grant's validity window (``valid_until`` is the last).
    valid_from: dt.date | None = None

    def projectable_columns(self) -> tuple[str, ...]:
        return tuple(
            c
            for c in self.table.column_names()
            if c in self.columns and self.columns[c].projectable
        )

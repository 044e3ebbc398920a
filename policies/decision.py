"""Value types of access decisions. Policies know tables and columns, never adapters or DuckDB."""

from __future__ import annotations

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


@dataclass(frozen=True)
class Principal:
    """Who is asking: the user, their agency, roles and attributes usable in row filters."""

    name: str
    agency: str
    roles: tuple[str, ...] = ()
    attributes: Mapping[str, str] = field(default_factory=dict)


class ColumnMode(enum.Enum):
    READ = "read"  # project, filter, join, group
    CONDITION = "condition"  # WHERE/ON only
    JOIN = "join"  # equi-join conditions only
    MASK = "mask"  # the masked value everywhere


@dataclass(frozen=True)
class ColumnRule:
    mode: ColumnMode
    mask: str | None = None  # e.g. "year_only", "first:1"

    @property
    def projectable(self) -> bool:
        return self.mode in (ColumnMode.READ, ColumnMode.MASK)


@dataclass(frozen=True)
class AccessDecision:
    """What one user may do with one table for one purpose, and why.

    ``columns`` holds only the permitted columns; a column not in it is not granted.
    """

    table: TableRef
    allowed: bool
    columns: Mapping[str, ColumnRule] = field(default_factory=dict)
    row_filter: str | None = None
    max_rows: int | None = None
    grants: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    # Whether the principal may learn that the table exists (some grant names it). When False a
    # refusal must read exactly like "no such table" (DESIGN.md invariant 5).
    visible: bool = False

    def projectable_columns(self) -> tuple[str, ...]:
        return tuple(
            c
            for c in self.table.column_names()
            if c in self.columns and self.columns[c].projectable
        )

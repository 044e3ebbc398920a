"""The immutable plan the planner hands to the executor and the audit log; str() is EXPLAIN."""

from __future__ import annotations

from dataclasses import dataclass

from adapters import ScanRequest
from policies.rewrite import GroupGuard


@dataclass(frozen=True)
class FilterNote:
    """A predicate offered to a source and what became of it."""

    sql: str
    verdict: str  # "exact" | "inexact" | "unsupported"
    reason: str = ""
    derived: bool = False  # carried across an equi-join from a pin on another table
    policy: bool = False  # the grant's row filter, always applied at the source


@dataclass(frozen=True)
class PlannedScan:
    """One read from one source table, registered in DuckDB under ``name``."""

    name: str
    source: str
    kind: str
    table: str
    alias: str
    request: ScanRequest
    statement: str
    filters: tuple[FilterNote, ...]
    materialize: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.request.columns)


@dataclass(frozen=True)
class TableAccess:
    """What the query reads from one table, for audit and policy reporting."""

    table: str
    columns: tuple[str, ...]
    grants: tuple[str, ...]


@dataclass(frozen=True)
class QueryPlan:
    sql: str
    user: str
    purpose: str
    executed_sql: str
    scans: tuple[PlannedScan, ...]
    tables: tuple[TableAccess, ...]
    max_rows: int | None
    policy_version: int
    group_guard: GroupGuard | None = None

    def __str__(self) -> str:
        lines = [f"QUERY PLAN for {self.user} (purpose {self.purpose})"]
        if self.max_rows is not None:
            lines.append(f"  row cap: {self.max_rows}")
        if self.group_guard is not None:
            minimum = max(m for _, m in self.group_guard.columns)
            lines.append(f"  aggregate-only: groups with fewer than {minimum} persons removed")
        for scan in self.scans:
            lines.append("")
            lines.append(
                f"  scan {scan.name}: {scan.source}.{scan.table} AS {scan.alias} ({scan.kind})"
            )
            lines.append(f"    columns: {', '.join(scan.columns)}")
            lines.append(f"    sent: {scan.statement}")
            for note in scan.filters:
                origin = " [carried over a join]" if note.derived else ""
                if note.policy:
                    where = "applied at the source (grant)"
                elif note.verdict == "exact":
                    where = "pushed"
                elif note.verdict == "inexact":
                    where = "pushed, re-checked above"
                else:
                    where = "kept above"
                reason = f" — {note.reason}" if note.reason else ""
                lines.append(f"    filter {note.sql}: {where}{origin}{reason}")
            if scan.request.limit is not None:
                lines.append(f"    limit: {scan.request.limit} (pushed)")
            if scan.materialize:
                lines.append("    materialized: read once, then rescanned (recursive CTE)")
        lines.append("")
        lines.append("  federated query (DuckDB):")
        lines.append(f"    {self.executed_sql}")
        return "\n".join(lines)

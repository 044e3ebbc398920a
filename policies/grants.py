"""Grants: what a data owner (or an agency manager, by delegation) approved, validated once.

A grant comes from ``civicfed.toml`` (policy as code) or from the metadata store (the
governance API); both are read by ``grant_from_spec`` from the same keys (DESIGN.md §4), so a
grant means the same wherever it was written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from policies.column_rules import ColumnRuleError, parse_column_rule
from policies.decision import (
    AggregateRule,
    ColumnRule,
    RequiredCondition,
    TableRef,
)
from policies.row_filter import RowFilter, RowFilterError

_TABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.([A-Za-z_][A-Za-z0-9_]*|\*)$")
_COLUMN = re.compile(r"^[^\s.|\"'`]+$")
SPEC_KEYS = (
    "user",
    "agency",
    "table",
    "columns",
    "row_filter",
    "require",
    "aggregate_only",
    "max_rows",
    "purposes",
    "valid_from",
    "valid_until",
)

AllColumns = Literal["*"]


class GrantError(ValueError):
    """A grant that cannot be used; ``key`` names the offending key."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


@dataclass(frozen=True, eq=False)
class Grant:
    """A validated grant. ``columns`` is ``"*"`` or {column: rule}; ``parent`` is the agency
    grant a delegated user grant narrows; ``lineage`` is this grant's id followed by the ids of
    the grants it was intersected with (its parents, or equally specific grants)."""

    id: str
    table: str  # "source.table" or "source.*"
    columns: AllColumns | Mapping[str, ColumnRule]
    user: str | None = None
    agency: str | None = None
    row_filter: RowFilter | None = None
    require: tuple[RequiredCondition, ...] = ()
    aggregate_only: AggregateRule | None = None
    max_rows: int | None = None
    purposes: tuple[str, ...] = ()
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    parent: str | None = None
    # The agency whose grant this one derives from (its own agency, or its parent's): the
    # Casbin domain its policies live in. None for a user grant given directly by an owner.
    domain: str | None = None
    lineage: tuple[str, ...] = ()
    # Why the grant cannot be applied (e.g. two grants' aggregation rules disagree); a grant
    # with a defect still governs its table — and denies — so it can never be bypassed.
    defect: str | None = None
    issued_by: str | None = None
    issued_at: dt.datetime | None = None

    @property
    def source(self) -> str:
        return self.table.split(".", 1)[0]

    @property
    def table_name(self) -> str:
        """The table part: a name, or ``*``."""
        return self.table.split(".", 1)[1]

    @property
    def subject(self) -> str:
        """``user:<name>`` or ``agency:<code>``: who holds the grant."""
        return f"user:{self.user}" if self.user is not None else f"agency:{self.agency}"

    @property
    def ids(self) -> tuple[str, ...]:
        return self.lineage or (self.id,)

    def covers(self, table: TableRef) -> bool:
        return self.source == table.source and self.table_name in ("*", table.table)

    def valid_on(self, day: dt.date) -> bool:
        if self.valid_from is not None and day < self.valid_from:
            return False
        return self.valid_until is None or day <= self.valid_until


def grant_from_spec(
    spec: Mapping[str, Any],
    grant_id: str,
    *,
    parent: str | None = None,
    issued_by: str | None = None,
    issued_at: dt.datetime | None = None,
) -> Grant:
    """Return the grant ``spec`` describes (DESIGN.md §4 keys), or raise ``GrantError``."""
    unknown = sorted(set(spec) - set(SPEC_KEYS))
    if unknown:
        raise GrantError(unknown[0], f"unknown key; grants use {', '.join(SPEC_KEYS)}")
    user, agency = spec.get("user"), spec.get("agency")
    if (user is None) == (agency is None):
        raise GrantError("user", 'a grant names exactly one of user = "…" or agency = "…"')
    for key, value in (("user", user), ("agency", agency)):
        if value is not None and (not isinstance(value, str) or not value):
            raise GrantError(key, "must be a non-empty name")
    table = spec.get("table")
    if not isinstance(table, str) or not _TABLE.match(table):
        raise GrantError("table", 'write "source.table" or "source.*"')
    purposes = _purposes(spec.get("purposes"))
    valid_from = _date(spec, "valid_from")
    valid_until = _date(spec, "valid_until")
    if valid_from and valid_until and valid_until < valid_from:
        raise GrantError("valid_until", f"{valid_until} is before valid_from {valid_from}")
    max_rows = spec.get("max_rows")
    if max_rows is not None and (type(max_rows) is not int or max_rows < 1):
        raise GrantError("max_rows", "must be a whole number ≥ 1 (or left out: no cap)")
    return Grant(
        id=grant_id,
        table=table,
        columns=_columns(spec.get("columns")),
        user=user,
        agency=agency,
        row_filter=_row_filter(spec.get("row_filter")),
        require=_require(spec.get("require")),
        aggregate_only=_aggregate(spec.get("aggregate_only")),
        max_rows=max_rows,
        purposes=purposes,
        valid_from=valid_from,
        valid_until=valid_until,
        parent=parent,
        domain=agency,
        issued_by=issued_by,
        issued_at=issued_at,
    )


def _columns(value: Any) -> AllColumns | dict[str, ColumnRule]:
    if value == "*":
        return "*"
    if not isinstance(value, Mapping) or not value:
        raise GrantError("columns", 'write "*" or a table of column = "mode"')
    rules: dict[str, ColumnRule] = {}
    for column, text in value.items():
        if not isinstance(column, str) or not _COLUMN.match(column):
            raise GrantError("columns", f"{column!r} is not a column name")
        try:
            rules[column] = parse_column_rule(text)
        except ColumnRuleError as exc:
            raise GrantError(f"columns.{column}", str(exc)) from None
    return rules


def _row_filter(value: Any) -> RowFilter | None:
    if value is None:
        return None
    try:
        return RowFilter.parse(value)
    except RowFilterError as exc:
        raise GrantError("row_filter", str(exc)) from None


def _require(value: Any) -> tuple[RequiredCondition, ...]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise GrantError("require", "write a list: [{ column = …, max_values = … }]")
    out: list[RequiredCondition] = []
    for i, item in enumerate(value):
        if isinstance(item, RequiredCondition):
            out.append(item)
            continue
        if not isinstance(item, Mapping) or set(item) - {"column", "max_values"}:
            raise GrantError(f"require.{i}", "each entry has column and optional max_values")
        column, max_values = item.get("column"), item.get("max_values", 1)
        if not isinstance(column, str) or not column:
            raise GrantError(f"require.{i}.column", "name the column the query must pin")
        if type(max_values) is not int or not 1 <= max_values <= 1000:
            raise GrantError(f"require.{i}.max_values", "must be a whole number from 1 to 1000")
        out.append(RequiredCondition(column, max_values))
    return tuple(out)


def _aggregate(value: Any) -> AggregateRule | None:
    if value is None or isinstance(value, AggregateRule):
        return value
    if not isinstance(value, Mapping) or set(value) != {"min_group", "entity"}:
        raise GrantError("aggregate_only", 'write { min_group = N, entity = "column" }')
    min_group, entity = value["min_group"], value["entity"]
    if type(min_group) is not int or min_group < 2:
        raise GrantError("aggregate_only.min_group", "must be a whole number ≥ 2")
    if not isinstance(entity, str) or not entity:
        raise GrantError("aggregate_only.entity", "name the column that identifies a person")
    return AggregateRule(min_group, entity)


def _purposes(value: Any) -> tuple[str, ...]:
    # DESIGN.md §4 makes the key optional, but invariant 1 refuses a purpose no grant names: a
    # grant without purposes loads and allows no purpose (decisions say so).
    if value is None:
        return ()
    if not isinstance(value, list | tuple) or not all(isinstance(p, str) and p for p in value):
        raise GrantError("purposes", 'write a list of codes from [[purposes]], e.g. ["statistics"]')
    return tuple(dict.fromkeys(value))


def _date(spec: Mapping[str, Any], key: str) -> dt.date | None:
    value = spec.get(key)
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise GrantError(key, "write a date as YYYY-MM-DD")

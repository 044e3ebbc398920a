"""Whether two answers to one query are the same answer: the differential check.

Rows are compared as multisets (so ties under ORDER BY, and queries without one, may come in
any order), then the actual rows are checked to follow the query's top-level ORDER BY. Exact
equality for integers, decimals, strings and dates; floating-point columns (e.g. ``avg`` over
decimals, summed in a different order) within a tight relative tolerance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import sqlglot
from sqlglot import exp

REL_TOL = 1e-9


def answer_difference(
    actual: pa.Table, expected: pa.Table, sql: str, rel_tol: float = REL_TOL
) -> str | None:
    """Return the first way ``actual`` differs from ``expected`` as answers to ``sql``, or None
    when they are the same answer."""
    if actual.column_names != expected.column_names:
        return f"columns {actual.column_names} != expected {expected.column_names}"
    for name, got, want in zip(
        actual.column_names, actual.schema.types, expected.schema.types, strict=True
    ):
        if _kind(got) != _kind(want):
            return f"column {name}: type {got} is not like the expected {want}"
    if actual.num_rows != expected.num_rows:
        return f"{actual.num_rows} rows, expected {expected.num_rows}"
    floats = [pa.types.is_floating(t) for t in expected.schema.types]
    got_rows, want_rows = _rows(actual), _rows(expected)
    for i, (got_row, want_row) in enumerate(
        zip(_sorted(got_rows, floats), _sorted(want_rows, floats), strict=True)
    ):
        if not all(_same(a, b, rel_tol) for a, b in zip(got_row, want_row, strict=True)):
            return f"rows differ (sorted row {i}): {got_row!r} != expected {want_row!r}"
    keys = _order_keys(sql, actual.column_names)
    for i in range(1, len(got_rows)):
        if _out_of_order(got_rows[i - 1], got_rows[i], keys, rel_tol):
            return f"row {i} breaks the ORDER BY: {got_rows[i]!r} after {got_rows[i - 1]!r}"
    return None


def _kind(t: pa.DataType) -> str:
    """The type family that must match: widths may differ (a SQLite INTEGER is 64-bit), but a
    decimal must not come back as a double, nor a date as text."""
    if pa.types.is_integer(t):
        return "integer"
    if pa.types.is_decimal(t):
        return f"decimal scale {t.scale}"
    if pa.types.is_floating(t):
        return "float"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "string"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_timestamp(t):
        return f"timestamp tz={t.tz}"
    return str(t)


def _rows(table: pa.Table) -> list[tuple[Any, ...]]:
    columns = [column.to_pylist() for column in table.columns]
    return list(zip(*columns, strict=True)) if columns else []


def _sorted(rows: list[tuple[Any, ...]], floats: Sequence[bool]) -> list[tuple[Any, ...]]:
    def key(row: tuple[Any, ...]) -> tuple[Any, ...]:
        # Floats sort by a rounded value so that last-digit differences cannot reorder rows.
        return tuple(
            (1, 0) if v is None else (0, float(f"{v:.6e}") if is_float else v)
            for v, is_float in zip(row, floats, strict=True)
        )

    return sorted(rows, key=key)


def _same(a: Any, b: Any, rel_tol: float) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=rel_tol, abs_tol=1e-12)
    return type(a) is type(b) and a == b


def _order_keys(sql: str, names: Sequence[str]) -> list[tuple[int, bool]]:
    """Return (output column index, descending) for the leading ORDER BY items that name an
    output column (by name or position); the check stops at the first that does not."""
    tree = sqlglot.parse_one(sql, dialect="duckdb")
    order = tree.args.get("order")
    if order is None:
        return []
    lowered = [n.lower() for n in names]
    keys = []
    for item in order.expressions:
        target = item.this if isinstance(item, exp.Ordered) else item
        if isinstance(target, exp.Column) and target.name.lower() in lowered:
            index = lowered.index(target.name.lower())
        elif isinstance(target, exp.Literal) and target.is_int:
            index = int(target.name) - 1
        else:
            break
        keys.append((index, bool(item.args.get("desc"))))
    return keys


def _out_of_order(
    before: tuple[Any, ...], after: tuple[Any, ...], keys: list[tuple[int, bool]], rel_tol: float
) -> bool:
    for index, descending in keys:
        a, b = before[index], after[index]
        if a is None or b is None:  # DuckDB sorts NULLs last either way
            if a is None and b is not None:
                return True
            if a is not None and b is None:
                return False
            continue
        if _same(a, b, rel_tol) or a == b:
            continue
        return (a < b) if descending else (a > b)
    return False

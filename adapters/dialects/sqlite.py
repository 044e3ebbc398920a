"""SQLite: byte-order text, ISO-text dates, DECIMAL stored as REAL, one storage class per value."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import ClassVar

import pyarrow as pa
from sqlglot import exp

from adapters.aggregates import Aggregate, computes_aggregate
from adapters.base import FilterVerdict, Pushdown, ScanColumn
from adapters.dialects.base import (
    CASE_MAPPING,
    DATE_PARTS,
    LENGTHS,
    ONLY_YEAR_RANGES,
    SourceDialect,
    reasons_for,
)
from adapters.pushdown import Column, ColumnComparison, FunctionFilter, Leaf, Value, family

__all__ = ["SqliteDialect", "storage_class"]


class SqliteDialect(SourceDialect):
    """SQLite: text compares in byte order (forced with COLLATE BINARY), LIKE ignores ASCII case,
    dates are ISO text, DECIMAL is REAL, timestamps are text in no single format."""

    sqlglot_dialect = "sqlite"
    exact_reason = "applied by SQLite"
    label = "SQLite"
    function_reasons: ClassVar[Mapping[str, str]] = {
        **reasons_for(CASE_MAPPING, "its case mapping is ASCII-only"),
        **reasons_for(LENGTHS, "its length() stops at the first NUL character"),
        **reasons_for(DATE_PARTS, f"dates are ISO text there; {ONLY_YEAR_RANGES}"),
    }
    # Up to 15 significant digits a decimal survives the trip through a double and back, so
    # distinct decimals stay distinct doubles and comparisons keep their answer.
    _REAL_DIGITS = 15

    def leaf_verdict(self, leaf: Leaf) -> FilterVerdict:
        kind = leaf.column.type
        if leaf.op == "isnull":
            return FilterVerdict(Pushdown.EXACT, self.exact_reason)
        if leaf.op == "like":
            return FilterVerdict(
                Pushdown.INEXACT, "SQLite LIKE ignores ASCII case: re-checked above"
            )
        if pa.types.is_timestamp(kind):
            return FilterVerdict(Pushdown.UNSUPPORTED, "SQLite keeps timestamps as free-form text")
        if pa.types.is_date(kind) and any(isinstance(v, dt.datetime) for v in leaf.values):
            return FilterVerdict(Pushdown.UNSUPPORTED, "a date compared with a timestamp")
        wide_column = pa.types.is_decimal(kind) and kind.precision > self._REAL_DIGITS
        # SQLite reads a decimal constant as a double; against a float column DuckDB does too.
        wide_constant = not pa.types.is_floating(kind) and any(
            self._rounded_by_sqlite(v) for v in leaf.values
        )
        if wide_column or wide_constant:
            return FilterVerdict(
                Pushdown.UNSUPPORTED, "more than 15 digits do not survive SQLite's REAL"
            )
        return FilterVerdict(Pushdown.EXACT, self.exact_reason)

    def function_verdict(self, condition: FunctionFilter) -> FilterVerdict:
        return self.refuse_function(condition, self.function_reasons)

    def finite(self, column: exp.Expr) -> exp.Expr:
        # ISO-text dates have no infinity: true for every value, NULL for NULL.
        return exp.EQ(this=column, expression=column.copy())

    def pair_verdict(self, pair: ColumnComparison) -> FilterVerdict:
        verdict = super().pair_verdict(pair)
        if verdict.pushdown is not Pushdown.EXACT:
            return verdict
        kind = family(pair.left)
        if kind == "timestamp":
            return FilterVerdict(Pushdown.UNSUPPORTED, "SQLite keeps timestamps as free-form text")
        if kind == "boolean":
            return FilterVerdict(
                Pushdown.UNSUPPORTED, "booleans are stored as integers: 2 and 1 are both true"
            )
        if kind == "number" and not self._same_number_storage(pair.left.type, pair.right.type):
            return FilterVerdict(
                Pushdown.UNSUPPORTED,
                "SQLite compares INTEGER and REAL exactly, DuckDB through DOUBLE or DECIMAL",
            )
        return verdict

    def _same_number_storage(self, left: pa.DataType, right: pa.DataType) -> bool:
        if pa.types.is_integer(left) and pa.types.is_integer(right):
            return True
        if pa.types.is_floating(left) and pa.types.is_floating(right):
            return True
        # Up to 15 digits distinct decimals stay distinct, ordered doubles (see leaf_verdict).
        return all(
            pa.types.is_decimal(t) and t.precision <= self._REAL_DIGITS for t in (left, right)
        )

    def pair_ref(self, pair: ColumnComparison) -> exp.Expr:
        column = exp.column(pair.left.name)
        if family(pair.left) == "text":
            return exp.Collate(this=column, expression=exp.var("BINARY"))
        return column

    def _rounded_by_sqlite(self, value: Value) -> bool:
        if isinstance(value, Decimal):
            return len(value.normalize().as_tuple().digits) > self._REAL_DIGITS
        if isinstance(value, int) and not isinstance(value, bool):
            return not -(2**63) <= value < 2**63  # beyond INTEGER SQLite falls back to REAL
        return False

    def column_ref(self, leaf: Leaf) -> exp.Expr:
        column = exp.column(leaf.column.name)
        if pa.types.is_string(leaf.column.type) and leaf.op != "like":
            # A column declared COLLATE NOCASE would otherwise make '=' case-insensitive.
            return exp.Collate(this=column, expression=exp.var("BINARY"))
        return column

    def literal(self, value: Value) -> exp.Expr:
        if isinstance(value, bool):
            return exp.Literal.number(int(value))  # booleans are stored as 0/1
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            # Dates are stored as ISO text; CAST('…' AS DATE) would be the number 1998 to SQLite.
            return exp.Literal.string(value.isoformat())
        return super().literal(value)

    aggregate_reason = "computed by SQLite (integer arithmetic)"

    def aggregate_verdict(self, aggregate: Aggregate) -> FilterVerdict:
        column = aggregate.column
        if aggregate.function == "count" and (aggregate.argument is None or column is not None):
            return FilterVerdict(Pushdown.EXACT, self.aggregate_reason)
        if column is not None and pa.types.is_integer(column.type):
            # SUM of integers stays an integer (or fails on overflow); MIN/MAX compare numbers.
            return FilterVerdict(Pushdown.EXACT, self.aggregate_reason)
        return FilterVerdict(
            Pushdown.UNSUPPORTED,
            "SQLite stores DECIMAL as REAL and turns integer overflow in arithmetic into REAL",
        )

    def key_verdict(self, key: Column) -> FilterVerdict:
        kind = key.type
        if pa.types.is_integer(kind) or pa.types.is_string(kind) or pa.types.is_date(kind):
            return FilterVerdict(Pushdown.EXACT, self.aggregate_reason)
        return FilterVerdict(
            Pushdown.UNSUPPORTED, f"SQLite stores {kind} values in more than one form"
        )

    def group_key(self, key: Column) -> exp.Expr:
        column = exp.column(key.name)
        if pa.types.is_string(key.type):
            # A column declared COLLATE NOCASE would otherwise group 'abc' with 'ABC'.
            return exp.Collate(this=column, expression=exp.var("BINARY"))
        return column

    def storage(self, column: ScanColumn) -> str | None:
        """Return the storage class ``column`` is read as (aggregates: INTEGER, see above)."""
        if computes_aggregate(column.expression):
            return "INTEGER"
        return storage_class(column.type)

    def project(self, column: ScanColumn, columns: Mapping[str, Column]) -> exp.Expr:
        expression = column.expression.copy()
        storage = self.storage(column)
        if isinstance(expression, exp.Column) and expression.name in columns:
            source = columns[expression.name].type
            if source.equals(column.type) and storage != "REAL":
                return expression
        # SQLite values carry their own storage class row by row (NUMERIC affinity keeps 5.00 as
        # INTEGER and 5.25 as REAL); ADBC fixes a column's Arrow type from its first rows, so
        # every projected value is cast to one class.
        return exp.cast(expression, storage) if storage else expression


def storage_class(data_type: pa.DataType) -> str | None:
    """Return the SQLite storage class a value of ``data_type`` is read from."""
    if pa.types.is_integer(data_type) or pa.types.is_boolean(data_type):
        return "INTEGER"
    if pa.types.is_floating(data_type) or pa.types.is_decimal(data_type):
        return "REAL"
    if pa.types.is_binary(data_type):
        return "BLOB"
    if pa.types.is_null(data_type):
        return None
    return "TEXT"  # text, and dates and times kept as ISO text

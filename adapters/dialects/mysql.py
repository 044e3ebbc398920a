"""MySQL/MariaDB: case- and trailing-space-insensitive text, exact DECIMAL arithmetic, and values
beyond what connectorx carries sent as text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import ClassVar

import pyarrow as pa
from sqlglot import exp

from adapters.aggregates import Aggregate
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

__all__ = ["MySQLDialect"]


class MySQLDialect(SourceDialect):
    """MySQL/MariaDB: default collations ignore case and trailing spaces, so text equality is a
    superset and text order is not DuckDB's."""

    sqlglot_dialect = "mysql"
    exact_reason = "applied by MySQL"
    label = "MySQL"
    function_reasons: ClassVar[Mapping[str, str]] = {
        **reasons_for(CASE_MAPPING, "its case mapping follows the column's collation"),
        **reasons_for(LENGTHS, "its LENGTH() counts bytes"),
        **reasons_for(DATE_PARTS, ONLY_YEAR_RANGES),
    }

    def function_verdict(self, condition: FunctionFilter) -> FilterVerdict:
        return self.refuse_function(condition, self.function_reasons)

    def finite(self, column: exp.Expr) -> exp.Expr:
        # MySQL dates have no infinity: true for every value, NULL for NULL.
        return exp.EQ(this=column, expression=column.copy())

    def leaf_verdict(self, leaf: Leaf) -> FilterVerdict:
        if leaf.op == "isnull" or not pa.types.is_string(leaf.column.type):
            return FilterVerdict(Pushdown.EXACT, self.exact_reason)
        if any("\\" in str(v) for v in leaf.values):
            return FilterVerdict(
                Pushdown.UNSUPPORTED, "backslash is an escape in MySQL strings and LIKE"
            )
        if leaf.op in {"=", "in"}:
            return FilterVerdict(
                Pushdown.EXACT,
                "compared byte for byte (BINARY), the collation match keeps the index",
            )
        if leaf.op == "like":
            return FilterVerdict(Pushdown.INEXACT, "case-insensitive collation: re-checked above")
        return FilterVerdict(
            Pushdown.UNSUPPORTED, "case-insensitive collation orders and negates text differently"
        )

    def render_leaf(self, leaf: Leaf) -> exp.Expr:
        """Text equality as ``col = 'x' AND CAST(col AS BINARY) = 'x'``: the first term can use
        the index under any collation (it finds a superset), the second makes the result exact —
        byte-wise, no case folding, no PAD SPACE — as DuckDB compares. Row filters need this."""
        rendered = super().render_leaf(leaf)
        if leaf.op not in {"=", "in"} or not pa.types.is_string(leaf.column.type):
            return rendered
        as_bytes = exp.cast(self.column_ref(leaf), exp.DataType.build("BINARY", dialect="mysql"))
        exact = rendered.copy()
        exact.set("this", as_bytes)
        return exp.Paren(this=exp.And(this=rendered, expression=exact))

    def pair_verdict(self, pair: ColumnComparison) -> FilterVerdict:
        verdict = super().pair_verdict(pair)
        if verdict.pushdown is not Pushdown.EXACT:
            return verdict
        if family(pair.left) == "text":
            return FilterVerdict(
                Pushdown.UNSUPPORTED, "case-insensitive collation compares text differently"
            )
        if family(pair.left) == "boolean":
            return FilterVerdict(
                Pushdown.UNSUPPORTED, "BOOLEAN is TINYINT: 2 and 1 are both true but not equal"
            )
        return verdict

    aggregate_reason = "computed by MySQL (DECIMAL arithmetic is exact to 65 digits)"

    def aggregate_verdict(self, aggregate: Aggregate) -> FilterVerdict:
        if aggregate.function == "count":
            return FilterVerdict(Pushdown.EXACT, self.aggregate_reason)
        if any(family(c) == "number" and pa.types.is_floating(c.type) for c in aggregate.reads):
            return FilterVerdict(
                Pushdown.UNSUPPORTED, "a DOUBLE sum depends on the order of addition"
            )
        if aggregate.function == "sum":
            return FilterVerdict(Pushdown.EXACT, self.aggregate_reason)
        column = aggregate.column
        assert column is not None  # MIN and MAX read one plain column
        return self._comparable(column)

    def key_verdict(self, key: Column) -> FilterVerdict:
        return self._comparable(key)

    def _comparable(self, column: Column) -> FilterVerdict:
        """Whether MySQL orders and groups this column's values as DuckDB does."""
        kind = family(column)
        if kind == "text":
            return FilterVerdict(
                Pushdown.UNSUPPORTED, "a case-insensitive collation orders and groups text"
            )
        if kind == "boolean":
            return FilterVerdict(
                Pushdown.UNSUPPORTED, "BOOLEAN is TINYINT: 2 and 1 are both true but not equal"
            )
        if kind in {"date", "timestamp"} or (
            kind == "number" and not pa.types.is_floating(column.type)
        ):
            return FilterVerdict(Pushdown.EXACT, self.aggregate_reason)
        return FilterVerdict(Pushdown.UNSUPPORTED, f"{column.type} values are compared above")

    def project(self, column: ScanColumn, columns: Mapping[str, Column]) -> exp.Expr:
        # connectorx reads DECIMAL through rust_decimal rescaled to scale 10: digits past the
        # tenth decimal place are dropped without a word, and more than 18 integer digits fail.
        # Such values travel as their exact text, which conform() parses.
        expression = column.expression.copy()
        if _beyond_rust_decimal(column.type) or _wider_than_arrow(expression, columns):
            return exp.cast(expression, "CHAR")
        return expression

    def literal(self, value: Value) -> exp.Expr:
        # Typed literals (DATE '…') compare as dates; sqlglot would write CAST(… AS DATE).
        # isoformat() yields only digits, '-', ':', '.' and ' ', so the text is safe to inline.
        if isinstance(value, dt.datetime):
            return exp.var(f"TIMESTAMP '{value.isoformat(sep=' ')}'")
        if isinstance(value, dt.date):
            return exp.var(f"DATE '{value.isoformat()}'")
        return super().literal(value)


def _beyond_rust_decimal(data_type: pa.DataType) -> bool:
    """Whether connectorx could not carry every value of a decimal of this type exactly."""
    return pa.types.is_decimal(data_type) and (
        data_type.scale > 10 or data_type.precision - data_type.scale > 18
    )


def _wider_than_arrow(expression: exp.Expr, columns: Mapping[str, Column]) -> bool:
    """Whether ``expression`` is a DECIMAL column wider than 38 digits (read as DOUBLE)."""
    source = columns.get(expression.name) if isinstance(expression, exp.Column) else None
    return (
        source is not None
        and source.declared.startswith(("decimal", "numeric"))
        and pa.types.is_floating(source.type)
    )

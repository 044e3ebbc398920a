"""The DuckDB dialect every other one narrows: what DuckDB, Parquet and CSV sources apply."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from sqlglot import exp

from adapters.aggregates import Aggregate
from adapters.base import FilterVerdict, Pushdown, ScanColumn
from adapters.pushdown import Column, ColumnComparison, Comparison, Leaf, Value, family

__all__ = ["BINARY_OPS", "RANGES", "SourceDialect"]

RANGES = {"<", "<=", ">", ">=", "between"}
BINARY_OPS: dict[str, type[exp.Binary]] = {
    "=": exp.EQ,
    "<>": exp.NEQ,
    "<": exp.LT,
    "<=": exp.LTE,
    ">": exp.GT,
    ">=": exp.GTE,
}


class SourceDialect:
    """DuckDB semantics: every filter ``parse_filter`` accepts is applied exactly, and two
    columns are compared when they hold the same kind of value (a mixed comparison could raise
    a conversion error, which must happen above the scan)."""

    sqlglot_dialect = "duckdb"
    exact_reason = "applied by the source"

    def verdict(self, comparison: Comparison) -> FilterVerdict:
        """Return how the source takes one comparison (with a constant or between columns)."""
        if isinstance(comparison, ColumnComparison):
            return self.pair_verdict(comparison)
        return self.leaf_verdict(comparison)

    def leaf_verdict(self, leaf: Leaf) -> FilterVerdict:
        return FilterVerdict(Pushdown.EXACT, self.exact_reason)

    def pair_verdict(self, pair: ColumnComparison) -> FilterVerdict:
        left, right = family(pair.left), family(pair.right)
        if left is None or left != right:
            return FilterVerdict(
                Pushdown.UNSUPPORTED,
                f"compares a {pair.left.type} column with a {pair.right.type} column",
            )
        return FilterVerdict(Pushdown.EXACT, self.exact_reason)

    def render_pair(self, pair: ColumnComparison) -> exp.Expr:
        """Return the comparison of two columns as this source should receive it."""
        return BINARY_OPS[pair.op](this=self.pair_ref(pair), expression=exp.column(pair.right.name))

    def pair_ref(self, pair: ColumnComparison) -> exp.Expr:
        return exp.column(pair.left.name)

    def render_leaf(self, leaf: Leaf) -> exp.Expr:
        """Return the comparison as this source should receive it."""
        column = self.column_ref(leaf)
        values = [self.literal(v) for v in leaf.values]
        if leaf.op in BINARY_OPS:
            return BINARY_OPS[leaf.op](this=column, expression=values[0])
        if leaf.op == "in":
            return exp.In(this=column, expressions=values)
        if leaf.op == "between":
            return exp.Between(this=column, low=values[0], high=values[1])
        if leaf.op == "isnull":
            return exp.Is(this=column, expression=exp.Null())
        if leaf.op == "like":
            return exp.Like(this=column, expression=values[0])
        raise ValueError(f"unknown comparison {leaf.op!r}")

    def column_ref(self, leaf: Leaf) -> exp.Expr:
        return exp.column(leaf.column.name)

    def literal(self, value: Value) -> exp.Expr:
        if value is None:
            return exp.Null()
        if isinstance(value, bool):
            return exp.Boolean(this=value)
        if isinstance(value, int):
            return exp.Literal.number(value)
        if isinstance(value, Decimal):
            return exp.Literal.number(format(value, "f"))
        if isinstance(value, float):
            return exp.Literal.number(repr(value))
        if isinstance(value, str):
            return exp.Literal.string(value)
        if isinstance(value, dt.datetime):
            return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "TIMESTAMP")
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")

    def project(self, column: ScanColumn, columns: Mapping[str, Column]) -> exp.Expr:
        """Return the select-list expression for one output column."""
        return column.expression.copy()

    # -- aggregates (adapters/aggregates.py parses them and types them as DuckDB does) -------

    aggregate_reason = "computed by the source"

    def aggregate_verdict(self, aggregate: Aggregate) -> FilterVerdict:
        """Return whether the source computes one aggregate exactly as DuckDB does."""
        return FilterVerdict(Pushdown.EXACT, self.aggregate_reason)

    def key_verdict(self, key: Column) -> FilterVerdict:
        """Return whether the source groups by ``key`` exactly as DuckDB does."""
        return FilterVerdict(Pushdown.EXACT, self.aggregate_reason)

    def group_key(self, key: Column) -> exp.Expr:
        """Return the GROUP BY expression for one key."""
        return exp.column(key.name)

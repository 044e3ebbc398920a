"""The DuckDB dialect every other one narrows: what DuckDB, Parquet and CSV sources apply."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

import pyarrow as pa
from sqlglot import exp

from adapters.aggregates import Aggregate
from adapters.base import FilterVerdict, Pushdown, ScanColumn
from adapters.function_filters import why_not_exact
from adapters.pushdown import (
    Column,
    ColumnComparison,
    Comparison,
    FunctionFilter,
    Leaf,
    Value,
    family,
)

__all__ = [
    "BINARY_OPS",
    "CASE_MAPPING",
    "DATE_PARTS",
    "LENGTHS",
    "ONLY_YEAR_RANGES",
    "RANGES",
    "SourceDialect",
    "duckdb_type",
    "reasons_for",
]

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
    # How EXPLAIN names the kind when it says what the kind does not take.
    label = "DuckDB"

    def verdict(self, comparison: Comparison) -> FilterVerdict:
        """Return how the source takes one comparison (with a constant or between columns)."""
        if isinstance(comparison, ColumnComparison):
            return self.pair_verdict(comparison)
        if isinstance(comparison, FunctionFilter):
            return self.function_verdict(comparison)
        return self.leaf_verdict(comparison)

    def function_verdict(self, condition: FunctionFilter) -> FilterVerdict:
        """DuckDB reads the source, so a scalar, deterministic DuckDB expression means the same
        there as in the query, provided every column it reads arrives with the type the source
        holds (an ENUM or UUID column arrives as VARCHAR, a HUGEINT as DECIMAL)."""
        for column in condition.columns:
            arrives_as = duckdb_type(column.type)
            if arrives_as is None or arrives_as != column.declared.upper():
                held = column.declared or str(column.type)
                return FilterVerdict(
                    Pushdown.UNSUPPORTED,
                    f"column {column.name!r} is {held} at the source but reaches the query as "
                    f"{arrives_as or column.type}: a function could see another value",
                )
        names = frozenset(c.name for c in condition.columns)
        reason = why_not_exact(condition.expression.sql(dialect="duckdb", identify=True), names)
        if reason is not None:
            return FilterVerdict(Pushdown.UNSUPPORTED, reason)
        return FilterVerdict(
            Pushdown.EXACT, f"{self.exact_reason} (DuckDB evaluates {condition.describe()})"
        )

    def refuse_function(
        self, condition: FunctionFilter, reasons: Mapping[str, str]
    ) -> FilterVerdict:
        """UNSUPPORTED, naming the first function ``condition`` calls and why this kind does
        not take it (``reasons`` by function name, else the general reason)."""
        what = condition.describe()
        why = reasons.get(what.removesuffix("()"), _NOT_DUCKDB)
        return FilterVerdict(Pushdown.UNSUPPORTED, f"{what} is not pushed to {self.label}: {why}")

    def render_function(self, condition: FunctionFilter) -> exp.Expr:
        """Return the function filter as this source should receive it (DuckDB SQL)."""
        return condition.expression.copy()

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
        if leaf.function == "abs":
            column = exp.Abs(this=column)
        values = [self.literal(v) for v in leaf.values]
        if leaf.op == "finite":
            return self.finite(column)
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

    def finite(self, column: exp.Expr) -> exp.Expr:
        """``isfinite(column)``: NULL for NULL, false for ±infinity, true otherwise."""
        return exp.Anonymous(this="isfinite", expressions=[column])

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


_NOT_DUCKDB = "only the sources DuckDB reads evaluate DuckDB's functions exactly"
CASE_MAPPING = frozenset({"lower", "upper", "lcase", "ucase"})
LENGTHS = frozenset({"length", "len", "char_length", "character_length", "strlen"})
DATE_PARTS = frozenset(
    {
        "year",
        "month",
        "day",
        "quarter",
        "week",
        "extract",
        "date_part",
        "datepart",
        "dayofweek",
        "day_of_week",
        "dayofmonth",
        "day_of_month",
        "dayofyear",
        "day_of_year",
        "weekofyear",
        "week_of_year",
        "yearweek",
        "isodow",
        "isoyear",
        "weekday",
        "hour",
        "minute",
        "second",
        "date_trunc",
        "datetrunc",
        "timestamp_trunc",
    }
)
ONLY_YEAR_RANGES = "only year(column) compared with integers is sent, rewritten as a date range"


def reasons_for(names: frozenset[str], reason: str) -> dict[str, str]:
    """``{name: reason}`` for every name (to build a dialect's function reasons)."""
    return dict.fromkeys(names, reason)


_DUCKDB_INTEGERS = {
    (8, True): "TINYINT",
    (16, True): "SMALLINT",
    (32, True): "INTEGER",
    (64, True): "BIGINT",
    (8, False): "UTINYINT",
    (16, False): "USMALLINT",
    (32, False): "UINTEGER",
    (64, False): "UBIGINT",
}
_DUCKDB_TIMESTAMPS = {
    "s": "TIMESTAMP_S",
    "ms": "TIMESTAMP_MS",
    "us": "TIMESTAMP",
    "ns": "TIMESTAMP_NS",
}


def duckdb_type(data_type: pa.DataType) -> str | None:
    """The DuckDB type a column of this Arrow type has in the query, or None for the types a
    function filter is not trusted with (time zones, nested, binary, …)."""
    if pa.types.is_boolean(data_type):
        return "BOOLEAN"
    if pa.types.is_integer(data_type):
        return _DUCKDB_INTEGERS[(data_type.bit_width, pa.types.is_signed_integer(data_type))]
    if pa.types.is_decimal(data_type):
        return f"DECIMAL({data_type.precision},{data_type.scale})"
    if pa.types.is_float32(data_type):
        return "FLOAT"
    if pa.types.is_float64(data_type):
        return "DOUBLE"
    if pa.types.is_string(data_type):
        return "VARCHAR"
    if pa.types.is_date32(data_type):
        return "DATE"
    if pa.types.is_timestamp(data_type) and data_type.tz is None:
        return _DUCKDB_TIMESTAMPS[data_type.unit]
    return None

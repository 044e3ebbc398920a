"""What each source kind does with a pushed comparison: exact, a superset, or not at all, and how
its literals and column references are written so that the source means what DuckDB means.

The truth is DuckDB on local copies (DESIGN invariant 8). DuckDB, Parquet and CSV sources are
read by DuckDB itself, so ``SourceDialect`` (the base) is exact for every shape ``parse_filter``
accepts. The server and SQLite dialects narrow it where their semantics differ.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

import pyarrow as pa
from sqlglot import exp

from adapters.base import FilterVerdict, Pushdown, ScanColumn
from adapters.pushdown import Column, Leaf, Value

__all__ = ["MySQLDialect", "PostgresDialect", "SourceDialect", "SqliteDialect"]

_RANGES = {"<", "<=", ">", ">=", "between"}
_BINARY_OPS: dict[str, type[exp.Binary]] = {
    "=": exp.EQ,
    "<>": exp.NEQ,
    "<": exp.LT,
    "<=": exp.LTE,
    ">": exp.GT,
    ">=": exp.GTE,
}


class SourceDialect:
    """DuckDB semantics: every filter ``parse_filter`` accepts is applied exactly."""

    sqlglot_dialect = "duckdb"
    exact_reason = "applied by the source"

    def leaf_verdict(self, leaf: Leaf) -> FilterVerdict:
        return FilterVerdict(Pushdown.EXACT, self.exact_reason)

    def render_leaf(self, leaf: Leaf) -> exp.Expr:
        """Return the comparison as this source should receive it."""
        column = self.column_ref(leaf)
        values = [self.literal(v) for v in leaf.values]
        if leaf.op in _BINARY_OPS:
            return _BINARY_OPS[leaf.op](this=column, expression=values[0])
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


class PostgresDialect(SourceDialect):
    """PostgreSQL: exact, with text ranges compared in byte order like DuckDB."""

    sqlglot_dialect = "postgres"
    exact_reason = "applied by PostgreSQL"

    def leaf_verdict(self, leaf: Leaf) -> FilterVerdict:
        column = leaf.column
        if leaf.op == "isnull":
            return FilterVerdict(Pushdown.EXACT, self.exact_reason)
        if leaf.op == "like" and "\\" in str(leaf.values[0]):
            return FilterVerdict(
                Pushdown.UNSUPPORTED, "backslash escapes in PostgreSQL LIKE, not in DuckDB"
            )
        if column.declared in {"character", "bpchar", "char"}:
            # Blank-padded CHAR compares without its padding, which DuckDB's copy keeps.
            if leaf.op in {"=", "in"}:
                return FilterVerdict(
                    Pushdown.INEXACT, "blank-padded CHAR ignores trailing spaces: re-checked above"
                )
            return FilterVerdict(Pushdown.UNSUPPORTED, "blank-padded CHAR compares differently")
        if column.declared in {"real", "float4"}:
            return FilterVerdict(
                Pushdown.UNSUPPORTED, "single-precision column: PostgreSQL compares in float4"
            )
        if pa.types.is_string(column.type) and leaf.op in _RANGES:
            return FilterVerdict(Pushdown.EXACT, 'compared with COLLATE "C" (byte order)')
        return FilterVerdict(Pushdown.EXACT, self.exact_reason)

    def column_ref(self, leaf: Leaf) -> exp.Expr:
        column = exp.column(leaf.column.name)
        if pa.types.is_string(leaf.column.type) and leaf.op in _RANGES:
            # The column's collation may sort by locale; "C" sorts by bytes, as DuckDB does.
            return exp.Collate(this=column, expression=exp.Identifier(this="C", quoted=True))
        return column


class MySQLDialect(SourceDialect):
    """MySQL/MariaDB: default collations ignore case and trailing spaces, so text equality is a
    superset and text order is not DuckDB's."""

    sqlglot_dialect = "mysql"
    exact_reason = "applied by MySQL"

    def leaf_verdict(self, leaf: Leaf) -> FilterVerdict:
        if leaf.op == "isnull" or not pa.types.is_string(leaf.column.type):
            return FilterVerdict(Pushdown.EXACT, self.exact_reason)
        if any("\\" in str(v) for v in leaf.values):
            return FilterVerdict(
                Pushdown.UNSUPPORTED, "backslash is an escape in MySQL strings and LIKE"
            )
        if leaf.op in {"=", "in", "like"}:
            return FilterVerdict(Pushdown.INEXACT, "case-insensitive collation: re-checked above")
        return FilterVerdict(
            Pushdown.UNSUPPORTED, "case-insensitive collation orders and negates text differently"
        )

    def literal(self, value: Value) -> exp.Expr:
        # Typed literals (DATE '…') compare as dates; sqlglot would write CAST(… AS DATE).
        # isoformat() yields only digits, '-', ':', '.' and ' ', so the text is safe to inline.
        if isinstance(value, dt.datetime):
            return exp.var(f"TIMESTAMP '{value.isoformat(sep=' ')}'")
        if isinstance(value, dt.date):
            return exp.var(f"DATE '{value.isoformat()}'")
        return super().literal(value)


class SqliteDialect(SourceDialect):
    """SQLite: text compares in byte order (forced with COLLATE BINARY), LIKE ignores ASCII case,
    dates are ISO text, DECIMAL is REAL, timestamps are text in no single format."""

    sqlglot_dialect = "sqlite"
    exact_reason = "applied by SQLite"
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

    def project(self, column: ScanColumn, columns: Mapping[str, Column]) -> exp.Expr:
        expression = column.expression.copy()
        storage = storage_class(column.type)
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

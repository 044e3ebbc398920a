"""PostgreSQL: exact comparisons, text ordered with COLLATE "C", numeric aggregates cast back to
the precision asked for."""

from __future__ import annotations

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
    RANGES,
    SourceDialect,
    reasons_for,
)
from adapters.pushdown import Column, ColumnComparison, FunctionFilter, Leaf, family

__all__ = ["PostgresDialect"]

# PostgreSQL's plain text types; citext, enums and uuid are strings in Arrow but compare otherwise.
_PLAIN_TEXT = {"text", "character varying"}
_C_COLLATION = exp.Identifier(this="C", quoted=True)


class PostgresDialect(SourceDialect):
    """PostgreSQL: exact, with text ranges compared in byte order like DuckDB."""

    sqlglot_dialect = "postgres"
    exact_reason = "applied by PostgreSQL"
    label = "PostgreSQL"
    function_reasons: ClassVar[Mapping[str, str]] = {
        **reasons_for(CASE_MAPPING, "its case mapping follows the database's locale"),
        **reasons_for(LENGTHS, "it counts in the database's encoding and drops CHAR padding"),
        **reasons_for(DATE_PARTS, ONLY_YEAR_RANGES),
    }

    def function_verdict(self, condition: FunctionFilter) -> FilterVerdict:
        return self.refuse_function(condition, self.function_reasons)

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
        if pa.types.is_string(column.type) and leaf.op in RANGES:
            return FilterVerdict(Pushdown.EXACT, 'compared with COLLATE "C" (byte order)')
        return FilterVerdict(Pushdown.EXACT, self.exact_reason)

    def column_ref(self, leaf: Leaf) -> exp.Expr:
        column = exp.column(leaf.column.name)
        if pa.types.is_string(leaf.column.type) and leaf.op in RANGES:
            # The column's collation may sort by locale; "C" sorts by bytes, as DuckDB does.
            return exp.Collate(this=column, expression=_C_COLLATION.copy())
        return column

    def pair_verdict(self, pair: ColumnComparison) -> FilterVerdict:
        verdict = super().pair_verdict(pair)
        if verdict.pushdown is not Pushdown.EXACT:
            return verdict
        declared = {pair.left.declared, pair.right.declared}
        if declared & {"character", "bpchar", "char"}:
            return FilterVerdict(Pushdown.UNSUPPORTED, "blank-padded CHAR compares differently")
        if declared & {"real", "float4"}:
            return FilterVerdict(
                Pushdown.UNSUPPORTED, "single-precision column: PostgreSQL may compare in float4"
            )
        if family(pair.left) == "text":
            if not declared <= _PLAIN_TEXT:
                return FilterVerdict(
                    Pushdown.UNSUPPORTED, "citext, enums and uuids compare by their own rules"
                )
            return FilterVerdict(Pushdown.EXACT, 'compared with COLLATE "C" (byte order)')
        return verdict

    def pair_ref(self, pair: ColumnComparison) -> exp.Expr:
        column = exp.column(pair.left.name)
        if family(pair.left) == "text":
            # An explicit collation on one side decides the comparison: bytes, as DuckDB.
            return exp.Collate(this=column, expression=_C_COLLATION.copy())
        return column

    aggregate_reason = "computed by PostgreSQL (numeric arithmetic is exact)"

    def aggregate_verdict(self, aggregate: Aggregate) -> FilterVerdict:
        if aggregate.function == "count":
            return FilterVerdict(Pushdown.EXACT, self.aggregate_reason)
        if any(_pg_float(c) for c in aggregate.reads):
            return FilterVerdict(
                Pushdown.UNSUPPORTED, "a floating-point sum depends on the order of addition"
            )
        if aggregate.function == "sum":
            return FilterVerdict(Pushdown.EXACT, self.aggregate_reason)
        column = aggregate.column
        assert column is not None  # MIN and MAX read one plain column
        return self._comparable(column)

    def key_verdict(self, key: Column) -> FilterVerdict:
        if _pg_float(key):
            return FilterVerdict(Pushdown.UNSUPPORTED, "floating-point group keys are kept above")
        if family(key) == "boolean":
            return FilterVerdict(Pushdown.EXACT, self.aggregate_reason)
        return self._comparable(key)

    def _comparable(self, column: Column) -> FilterVerdict:
        """Whether PostgreSQL orders and groups this column's values as DuckDB does."""
        kind = family(column)
        if column.declared in {"character", "bpchar", "char"}:
            return FilterVerdict(Pushdown.UNSUPPORTED, "blank-padded CHAR compares differently")
        if kind == "text":
            if column.declared not in _PLAIN_TEXT:
                return FilterVerdict(
                    Pushdown.UNSUPPORTED, "citext, enums and uuids compare by their own rules"
                )
            return FilterVerdict(Pushdown.EXACT, 'text ordered with COLLATE "C" (byte order)')
        if kind in {"number", "date", "timestamp"}:
            return FilterVerdict(Pushdown.EXACT, self.aggregate_reason)
        return FilterVerdict(Pushdown.UNSUPPORTED, f"{column.type} values are compared above")

    def project(self, column: ScanColumn, columns: Mapping[str, Column]) -> exp.Expr:
        expression = column.expression.copy()
        # A subquery's columns belong to its own FROM (see sql_render._check_columns).
        nodes = expression.walk(prune=lambda node: isinstance(node, exp.Select | exp.Subquery))
        for extreme in [node for node in nodes if isinstance(node, exp.Min | exp.Max)]:
            argument = extreme.this
            source = columns.get(argument.name) if isinstance(argument, exp.Column) else None
            if source is not None and pa.types.is_string(source.type):
                # MIN/MAX of text by bytes, as DuckDB orders it.
                extreme.set("this", exp.Collate(this=argument, expression=_C_COLLATION.copy()))
        source = columns.get(expression.name) if isinstance(expression, exp.Column) else None
        if pa.types.is_decimal(column.type) and not (source and source.type.equals(column.type)):
            # A computed numeric (a SUM, a MIN, a rounding mask) has no declared precision, and
            # DuckDB's scanner reads such a numeric as DOUBLE: name the precision asked for.
            precision, scale = column.type.precision, column.type.scale
            return exp.cast(expression, exp.DataType.build(f"DECIMAL({precision}, {scale})"))
        return expression


def _pg_float(column: Column) -> bool:
    return pa.types.is_floating(column.type) or column.declared in {"real", "float4"}

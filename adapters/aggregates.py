"""Aggregates a source may compute for the engine: SUM, COUNT, MIN and MAX over the scanned table's
columns, grouped by plain columns, with the result types DuckDB itself would produce.

``parse_aggregation`` reads a request's columns and group keys into ``Aggregate`` and key
``Column`` values, working out on the way the type DuckDB gives each aggregate (SUM of
DECIMAL(p,s) → DECIMAL(38,s), of DECIMAL × DECIMAL → DECIMAL(38, s1+s2), of integers → HUGEINT,
which Arrow carries as decimal128(38,0); COUNT → BIGINT; MIN/MAX → the column's type). A request
whose column types differ from those is not one a source can answer exactly. Which aggregates
and keys a source computes as DuckDB would is the dialect's call (``SourceDialect``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pyarrow as pa
from sqlglot import exp

from adapters.base import ScanColumn, ScanRequest
from adapters.pushdown import Column, Unsupported

__all__ = ["Aggregate", "Aggregation", "computes_aggregate", "is_aggregation", "parse_aggregation"]

_FUNCTIONS: dict[type[exp.Expr], str] = {
    exp.Sum: "sum",
    exp.Count: "count",
    exp.Min: "min",
    exp.Max: "max",
}
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul)
_INTEGER = re.compile(r"\d+", re.ASCII)
_DECIMAL = re.compile(r"\d*\.(\d*)", re.ASCII)
# DuckDB's decimals hold at most 38 digits, as Arrow's decimal128 does.
_MAX_SCALE = 38


@dataclass(frozen=True)
class Aggregate:
    """One aggregate output column.

    ``argument`` is None for COUNT(*); ``reads`` are the table columns the argument names;
    ``arithmetic`` says whether it computes (+ - *) rather than reads one column.
    """

    name: str
    function: str  # sum | count | min | max
    argument: exp.Expr | None
    reads: tuple[Column, ...]
    arithmetic: bool
    type: pa.DataType  # the type DuckDB produces

    @property
    def column(self) -> Column | None:
        """The one column a MIN, MAX, SUM or COUNT reads as is, or None."""
        return self.reads[0] if len(self.reads) == 1 and not self.arithmetic else None


@dataclass(frozen=True)
class Aggregation:
    aggregates: tuple[Aggregate, ...]
    keys: tuple[Column, ...]


def is_aggregation(request: ScanRequest) -> bool:
    """Whether the request asks for grouped or global aggregates (an aggregate inside a
    subquery of a projection belongs to that subquery)."""
    return bool(request.group_by) or any(computes_aggregate(c.expression) for c in request.columns)


def computes_aggregate(expression: exp.Expr) -> bool:
    """Whether ``expression`` aggregates over the scanned rows."""
    nodes = expression.walk(prune=lambda node: isinstance(node, exp.Select | exp.Subquery))
    return any(isinstance(node, exp.AggFunc) for node in nodes)


def parse_aggregation(
    scan_columns: Sequence[ScanColumn],
    group_by: Sequence[exp.Expr],
    columns: Mapping[str, Column],
) -> Aggregation:
    """Return the aggregates and group keys, or raise Unsupported with the EXPLAIN reason."""
    keys = tuple(_plain_column(node, columns, "a group key") for node in group_by)
    key_names = {key.name for key in keys}
    aggregates = []
    for scan_column in scan_columns:
        node = scan_column.expression
        if isinstance(node, exp.Column):
            column = _plain_column(node, columns, "an output column")
            if column.name not in key_names:
                raise Unsupported(f"{column.name!r} is neither grouped nor aggregated")
            if not scan_column.type.equals(column.type):
                raise Unsupported(f"group key {column.name!r} asked for as {scan_column.type}")
            continue
        aggregate = _aggregate(scan_column.name, node, columns)
        if not scan_column.type.equals(aggregate.type):
            raise Unsupported(
                f"{aggregate.function.upper()} gives {aggregate.type}, not {scan_column.type}"
            )
        aggregates.append(aggregate)
    return Aggregation(tuple(aggregates), keys)


def _plain_column(node: exp.Expr, columns: Mapping[str, Column], role: str) -> Column:
    if not isinstance(node, exp.Column) or node.table:
        raise Unsupported(f"{role} must be a plain column of the scanned table")
    column = columns.get(node.name)
    if column is None:
        raise Unsupported(f"column {node.name!r} is not a column of the scanned table")
    return column


def _aggregate(name: str, node: exp.Expr, columns: Mapping[str, Column]) -> Aggregate:
    function = _FUNCTIONS.get(type(node))
    if function is None or node.args.get("distinct") or isinstance(node.this, exp.Distinct):
        raise Unsupported("only SUM, COUNT, MIN and MAX (without DISTINCT) are computed at sources")
    argument = node.this
    if function == "count" and isinstance(argument, exp.Star):
        return Aggregate(name, function, None, (), False, pa.int64())
    reads = tuple(
        _plain_column(c, columns, "an aggregated column") for c in argument.find_all(exp.Column)
    )
    arithmetic = not isinstance(argument, exp.Column)
    if function in {"min", "max"}:
        if arithmetic:
            raise Unsupported("MIN and MAX are computed at sources over a plain column only")
        return Aggregate(name, function, argument, reads, False, reads[0].type)
    if function == "count":
        if arithmetic:
            _number_kind(argument, columns)  # the shape: + - * of numbers
        return Aggregate(name, function, argument, reads, arithmetic, pa.int64())
    return Aggregate(
        name, function, argument, reads, arithmetic, _sum_type(_number_kind(argument, columns))
    )


def _number_kind(node: exp.Expr, columns: Mapping[str, Column]) -> tuple[str, int]:
    """Return ("int" | "decimal" | "float", scale) for a column or + - * of columns and number
    literals, as DuckDB types it; anything else is Unsupported."""
    if isinstance(node, exp.Paren | exp.Neg):
        return _number_kind(node.this, columns)
    if isinstance(node, exp.Column):
        kind = _plain_column(node, columns, "an aggregated column").type
        if pa.types.is_integer(kind):
            return ("int", 0)
        if pa.types.is_decimal(kind):
            return ("decimal", kind.scale)
        if pa.types.is_floating(kind):
            return ("float", 0)
        raise Unsupported(f"only numbers are summed at sources, not {kind}")
    if isinstance(node, exp.Literal) and not node.is_string:
        text = str(node.this)
        if _INTEGER.fullmatch(text):
            return ("int", 0)
        match = _DECIMAL.fullmatch(text)
        if match:
            return ("decimal", len(match.group(1)))
        return ("float", 0)
    if isinstance(node, _ARITHMETIC):
        (left, left_scale), (right, right_scale) = (
            _number_kind(node.this, columns),
            _number_kind(node.expression, columns),
        )
        if "float" in (left, right):
            return ("float", 0)
        if "decimal" not in (left, right):
            return ("int", 0)
        if isinstance(node, exp.Mul):
            scale = left_scale + right_scale
        else:
            scale = max(left_scale, right_scale)
        if scale > _MAX_SCALE:
            raise Unsupported("a product with more than 38 decimal places")
        return ("decimal", scale)
    raise Unsupported("aggregates are computed at sources over columns, numbers and + - * only")


def _sum_type(kind: tuple[str, int]) -> pa.DataType:
    name, scale = kind
    if name == "float":
        return pa.float64()
    return pa.decimal128(38, scale)

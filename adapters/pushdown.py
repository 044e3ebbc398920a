"""Filter shapes a source may take, read into a small predicate tree, and the verdict rules that
combine per-comparison answers (DataFusion's Exact / Inexact / Unsupported).

The planner offers comparisons of one of the table's own columns with literals, and of two of
its columns with each other (``l_commitdate < l_receiptdate``), combined by AND / OR / NOT.
``parse_filter`` checks that shape and types every literal against its column (a string
compared with a date column becomes a ``datetime.date``). Two functions are part of the shape:
``abs(col)`` compared with constants (every kind computes it alike) and ``isfinite(col)`` (the
guard of a rewritten ``year(col)`` range). Any other expression over the table's own columns is a
``FunctionFilter``: DuckDB SQL that only the sources DuckDB reads take. Anything else is
``Unsupported`` and stays above the scan.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import pyarrow as pa
from sqlglot import exp

from adapters.base import FilterVerdict, Pushdown

__all__ = [
    "Column",
    "ColumnComparison",
    "Comparison",
    "FunctionFilter",
    "Junction",
    "Leaf",
    "Negation",
    "Predicate",
    "Unsupported",
    "Value",
    "family",
    "judge",
    "parse_filter",
]

Value = None | bool | int | float | Decimal | str | dt.date | dt.datetime


@dataclass(frozen=True)
class Column:
    """One source column: its Arrow type and the type the source declares (lower case)."""

    name: str
    type: pa.DataType
    declared: str = ""


@dataclass(frozen=True)
class Leaf:
    """``column <op> values``; op is one of = <> < <= > >= in between isnull like finite.
    ``function`` ("abs" or "") is applied to the column before comparing; "finite" is
    ``isfinite(column)`` (NULL for NULL, false for ±infinity)."""

    column: Column
    op: str
    values: tuple[Value, ...] = ()
    function: str = ""


@dataclass(frozen=True)
class ColumnComparison:
    """``left <op> right`` between two columns of the scanned table; op is = <> < <= > >=."""

    left: Column
    op: str
    right: Column


@dataclass(frozen=True)
class FunctionFilter:
    """A condition that calls functions (or operators) over the table's own columns, kept as
    the DuckDB SQL the query wrote: ``lower(name) = 'x'``, ``month(born) = 3``, ``id + 1 = 2``.
    """

    expression: exp.Expr  # over unqualified columns
    columns: tuple[Column, ...]  # the columns it reads

    def describe(self) -> str:
        """Name the first function or operator it calls, for EXPLAIN."""
        for node in self.expression.walk():
            if isinstance(node, exp.Anonymous):
                return f"{node.name.lower()}()"
            if isinstance(node, exp.Cast):
                return "TRY_CAST" if isinstance(node, exp.TryCast) else "CAST"
            if isinstance(node, exp.Func):
                return f"{type(node).sql_names()[0].lower()}()"
            if isinstance(node, exp.Escape):
                return "LIKE … ESCAPE"
            if isinstance(node, exp.ILike):
                return "ILIKE"
            if isinstance(node, exp.NullSafeEQ | exp.NullSafeNEQ):
                return "IS [NOT] DISTINCT FROM"
            if isinstance(node, exp.Binary) and not isinstance(node, exp.Connector | exp.Predicate):
                return "arithmetic"
        return "this filter"


@dataclass(frozen=True)
class Negation:
    operand: Predicate


@dataclass(frozen=True)
class Junction:
    """AND or OR of two or more predicates."""

    kind: str  # "and" | "or"
    operands: tuple[Predicate, ...]


Comparison = Leaf | ColumnComparison | FunctionFilter
Predicate = Leaf | ColumnComparison | FunctionFilter | Negation | Junction


class Unsupported(Exception):
    """The filter is not one a source can take; the message is the EXPLAIN reason."""


_COMPARISONS: dict[type[exp.Expr], str] = {
    exp.EQ: "=",
    exp.NEQ: "<>",
    exp.LT: "<",
    exp.LTE: "<=",
    exp.GT: ">",
    exp.GTE: ">=",
}
_MIRRORED = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_INTEGER = re.compile(r"\d+", re.ASCII)
_DECIMAL = re.compile(r"\d+\.\d*|\.\d+", re.ASCII)
_FLOAT = re.compile(r"(\d+\.?\d*|\.\d+)[eE][+-]?\d+", re.ASCII)
# DuckDB's dialect reads TIMESTAMP as TIMESTAMPNTZ; all three mean a time without a zone.
_NAIVE_TIMESTAMPS = (
    exp.DataType.Type.TIMESTAMP,
    exp.DataType.Type.TIMESTAMPNTZ,
    exp.DataType.Type.DATETIME,
)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_ISO_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?", re.ASCII)


def parse_filter(node: exp.Expr, columns: Mapping[str, Column]) -> Predicate:
    """Return the predicate tree of ``node`` or raise Unsupported with the reason."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And | exp.Or):
        kind = "and" if isinstance(node, exp.And) else "or"
        return Junction(kind, tuple(parse_filter(part, columns) for part in node.flatten()))
    if isinstance(node, exp.Not):
        return Negation(parse_filter(node.this, columns))
    if type(node) in _COMPARISONS:
        if _plain(node.this) and _plain(node.expression):
            return _comparison(node, _COMPARISONS[type(node)], columns)
        return _absolute(node, _COMPARISONS[type(node)], columns) or _function(node, columns)
    if isinstance(node, exp.In):
        if any(node.args.get(key) for key in ("query", "unnest", "field")) or not node.expressions:
            raise Unsupported("only IN over a list of constants is pushed")
        if not _plain(node.this) or not all(_plain(v) for v in node.expressions):
            return _function(node, columns)
        column = _column(node.this, columns)
        return Leaf(column, "in", tuple(_typed(v, column) for v in node.expressions))
    if isinstance(node, exp.Between):
        bounds_plain = _plain(node.args["low"]) and _plain(node.args["high"])
        if node.args.get("symmetric") or not _plain(node.this) or not bounds_plain:
            return _function(node, columns)
        column = _column(node.this, columns)
        bounds = (_typed(node.args["low"], column), _typed(node.args["high"], column))
        return Leaf(column, "between", bounds)
    if isinstance(node, exp.Is):
        if not isinstance(node.expression, exp.Null) or not _plain(node.this):
            return _function(node, columns)
        leaf = Leaf(_column(node.this, columns), "isnull")
        return Negation(leaf) if node.args.get("negate") else leaf
    if isinstance(node, exp.Like) and not node.args.get("escape"):
        if not _plain(node.this) or not _plain(node.expression):
            return _function(node, columns)
        column = _column(node.this, columns)
        pattern = _literal(node.expression)
        if not pa.types.is_string(column.type) or not isinstance(pattern, str):
            raise Unsupported("LIKE is pushed only for a text column and a text pattern")
        leaf = Leaf(column, "like", (pattern,))
        return Negation(leaf) if node.args.get("negate") else leaf
    finite = _finite(node, columns)
    if finite is not None:
        return finite
    return _function(node, columns)


def judge(
    predicate: Predicate, leaf_verdict: Callable[[Comparison], FilterVerdict]
) -> FilterVerdict:
    """Return the verdict for a whole predicate from the source's verdict on each comparison.

    AND / OR take the weakest part: the OR of supersets is a superset of the OR. NOT keeps an
    exact part exact, but the complement of a superset is a subset, so NOT over anything
    inexact cannot be pushed.
    """
    if isinstance(predicate, Leaf | ColumnComparison | FunctionFilter):
        return leaf_verdict(predicate)
    if isinstance(predicate, Negation):
        inner = judge(predicate.operand, leaf_verdict)
        if inner.pushdown is Pushdown.INEXACT:
            return FilterVerdict(
                Pushdown.UNSUPPORTED, f"NOT over an inexact filter ({inner.reason})"
            )
        return inner
    verdicts = [judge(part, leaf_verdict) for part in predicate.operands]
    rank = [Pushdown.EXACT, Pushdown.INEXACT, Pushdown.UNSUPPORTED]
    return max(verdicts, key=lambda v: rank.index(v.pushdown))


def _comparison(node: exp.Expr, op: str, columns: Mapping[str, Column]) -> Comparison:
    left, right = node.this, node.expression
    if isinstance(left, exp.Column) and isinstance(right, exp.Column):
        return ColumnComparison(_column(left, columns), op, _column(right, columns))
    if isinstance(right, exp.Column):
        left, right, op = right, left, _MIRRORED[op]  # 5 < x  ≡  x > 5
    column = _column(left, columns)
    return Leaf(column, op, (_typed(right, column),))


def _plain(node: exp.Expr) -> bool:
    """Whether ``node`` is a column reference or a constant ``_literal`` reads."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Column):
        return True
    try:
        _literal(node)
    except Unsupported:
        return False
    return True


_SIGNED_NUMBERS = (pa.types.is_signed_integer, pa.types.is_decimal, pa.types.is_floating)


def _absolute(node: exp.Expr, op: str, columns: Mapping[str, Column]) -> Leaf | None:
    """``abs(col) <op> constant`` over a signed number column, else None."""
    left, right = node.this, node.expression
    if not isinstance(left, exp.Abs):
        left, right, op = right, left, _MIRRORED[op]
    if not (isinstance(left, exp.Abs) and isinstance(left.this, exp.Column) and _plain(right)):
        return None
    if isinstance(right, exp.Column) or any(v for k, v in left.args.items() if k != "this"):
        return None
    column = _column(left.this, columns)
    if not any(test(column.type) for test in _SIGNED_NUMBERS):
        return None
    return Leaf(column, op, (_typed(right, column),), function="abs")


def _finite(node: exp.Expr, columns: Mapping[str, Column]) -> Leaf | None:
    """``isfinite(col)`` over a date or timestamp column, else None."""
    if not (
        isinstance(node, exp.Anonymous)
        and node.name.lower() == "isfinite"
        and len(node.expressions) == 1
        and isinstance(node.expressions[0], exp.Column)
    ):
        return None
    column = _column(node.expressions[0], columns)
    if family(column) not in ("date", "timestamp"):
        return None
    return Leaf(column, "finite")


# Nodes a function filter may not hold: they read other rows or tables, or name things the
# source does not have (the planner checks the same before offering a filter).
NOT_SCALAR = (
    exp.Subquery,
    exp.Select,
    exp.AggFunc,
    exp.Window,
    exp.Star,
    exp.Placeholder,
    exp.Parameter,
    exp.Lambda,
    exp.Unnest,
)


def _function(node: exp.Expr, columns: Mapping[str, Column]) -> FunctionFilter:
    read: dict[str, Column] = {}
    for sub in node.walk():
        if isinstance(sub, NOT_SCALAR):
            raise Unsupported(f"{sub.key.upper()} in a filter is evaluated above the scan")
        if isinstance(sub, exp.Column):
            column = _column(sub, columns)
            read[column.name] = column
    return FunctionFilter(node, tuple(read.values()))


def family(column: Column) -> str | None:
    """Return the kind of values a column holds as DuckDB compares them: number, text, date,
    timestamp or boolean; None for kinds whose comparison no source is trusted with."""
    kind = column.type
    if pa.types.is_integer(kind) or pa.types.is_decimal(kind) or pa.types.is_floating(kind):
        return "number"
    if pa.types.is_string(kind):
        return "text"
    if pa.types.is_date(kind):
        return "date"
    if pa.types.is_timestamp(kind) and kind.tz is None:
        return "timestamp"
    if pa.types.is_boolean(kind):
        return "boolean"
    return None


def _column(node: exp.Expr, columns: Mapping[str, Column]) -> Column:
    if not isinstance(node, exp.Column) or node.table:
        raise Unsupported("only filters on a plain column of the scanned table are pushed")
    column = columns.get(node.name)
    if column is None:
        raise Unsupported(f"column {node.name!r} is not a column of the scanned table")
    return column


def _typed(node: exp.Expr, column: Column) -> Value:
    """Return the literal as a Python value of the column's kind, as DuckDB would coerce it."""
    value = _literal(node)
    kind = column.type
    if value is None:
        return None
    numeric = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        if numeric:
            return value
    elif pa.types.is_string(kind):
        if isinstance(value, str):
            return value
    elif pa.types.is_boolean(kind):
        if isinstance(value, bool):
            return value
    elif pa.types.is_date(kind):
        if isinstance(value, str) and _ISO_DATE.fullmatch(value):
            return _date(value)
        if isinstance(value, dt.date):  # a datetime too: DuckDB then compares as timestamps
            return value
    elif pa.types.is_timestamp(kind):
        if kind.tz is not None:
            raise Unsupported("comparisons on time-zone-aware columns depend on session time zones")
        if isinstance(value, str):
            return _timestamp(value)
        if isinstance(value, dt.datetime):
            return value
        if isinstance(value, dt.date):
            return dt.datetime(value.year, value.month, value.day)
    else:
        raise Unsupported(f"comparisons on {kind} columns are not pushed")
    raise Unsupported(f"a {type(value).__name__} constant compared with a {kind} column")


def _literal(node: exp.Expr) -> Value:
    if isinstance(node, exp.Paren):
        return _literal(node.this)
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal):
        number = _number(node.this)
        return -number
    if isinstance(node, exp.Literal):
        return str(node.this) if node.is_string else _number(node)
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and node.this.is_string:
        text = str(node.this.this)
        to = node.to
        if to.is_type(exp.DataType.Type.DATE) and _ISO_DATE.fullmatch(text):
            return _date(text)
        if to.is_type(*_NAIVE_TIMESTAMPS):
            return _timestamp(text)
        if to.is_type(exp.DataType.Type.DECIMAL):
            return _cast_decimal(text, to)
    raise Unsupported("only literal constants are pushed")


def _number(node: exp.Literal) -> int | float | Decimal:
    text = str(node.this)
    if node.is_string:
        raise Unsupported("only literal constants are pushed")
    if _INTEGER.fullmatch(text):
        return int(text)
    if _DECIMAL.fullmatch(text):
        return Decimal(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    raise Unsupported("only decimal number literals are pushed")


def _cast_decimal(text: str, to: exp.DataType) -> Decimal:
    params = [int(str(p.this.this)) for p in to.expressions if isinstance(p.this, exp.Literal)]
    scale = params[1] if len(params) > 1 else 0
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise Unsupported("a DECIMAL constant that is not a number") from None
    exponent = value.as_tuple().exponent
    if not value.is_finite() or (isinstance(exponent, int) and -exponent > scale):
        # CAST would round it; which way a source rounds is not ours to guess.
        raise Unsupported("a DECIMAL constant with more digits than its scale")
    return value


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise Unsupported("a date constant that is not a valid date") from None


def _timestamp(text: str) -> dt.datetime:
    if not _ISO_TIMESTAMP.fullmatch(text.strip()):
        raise Unsupported("a timestamp constant not in ISO form (YYYY-MM-DD HH:MM:SS)")
    try:
        return dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise Unsupported("a timestamp constant that is not a valid time") from None

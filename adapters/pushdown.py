"""Filter shapes a source may take, read into a small predicate tree, and the verdict rules that
combine per-comparison answers (DataFusion's Exact / Inexact / Unsupported).

The planner offers comparisons of one of the table's own columns with literals, and of two of
its columns with each other (``l_commitdate < l_receiptdate``), combined by AND / OR / NOT.
``parse_filter`` checks that shape and types every literal against its column (a string
compared with a date column becomes a ``datetime.date``); anything else is ``Unsupported`` and
stays above the scan.
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
    """``column <op> values``; op is one of = <> < <= > >= in between isnull like."""

    column: Column
    op: str
    values: tuple[Value, ...] = ()


@dataclass(frozen=True)
class ColumnComparison:
    """``left <op> right`` between two columns of the scanned table; op is = <> < <= > >=."""

    left: Column
    op: str
    right: Column


@dataclass(frozen=True)
class Negation:
    operand: Predicate


@dataclass(frozen=True)
class Junction:
    """AND or OR of two or more predicates."""

    kind: str  # "and" | "or"
    operands: tuple[Predicate, ...]


Comparison = Leaf | ColumnComparison
Predicate = Leaf | ColumnComparison | Negation | Junction


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
        return _comparison(node, _COMPARISONS[type(node)], columns)
    if isinstance(node, exp.In):
        if any(node.args.get(key) for key in ("query", "unnest", "field")) or not node.expressions:
            raise Unsupported("only IN over a list of constants is pushed")
        column = _column(node.this, columns)
        return Leaf(column, "in", tuple(_typed(v, column) for v in node.expressions))
    if isinstance(node, exp.Between):
        if node.args.get("symmetric"):
            raise Unsupported("BETWEEN SYMMETRIC is not pushed")
        column = _column(node.this, columns)
        bounds = (_typed(node.args["low"], column), _typed(node.args["high"], column))
        return Leaf(column, "between", bounds)
    if isinstance(node, exp.Is):
        if not isinstance(node.expression, exp.Null):
            raise Unsupported("only IS [NOT] NULL is pushed")
        leaf = Leaf(_column(node.this, columns), "isnull")
        return Negation(leaf) if node.args.get("negate") else leaf
    if isinstance(node, exp.Like):
        column = _column(node.this, columns)
        pattern = _literal(node.expression)
        if not pa.types.is_string(column.type) or not isinstance(pattern, str):
            raise Unsupported("LIKE is pushed only for a text column and a text pattern")
        leaf = Leaf(column, "like", (pattern,))
        return Negation(leaf) if node.args.get("negate") else leaf
    raise Unsupported(f"{node.key.upper()} filters are not pushed to sources")


def judge(
    predicate: Predicate, leaf_verdict: Callable[[Comparison], FilterVerdict]
) -> FilterVerdict:
    """Return the verdict for a whole predicate from the source's verdict on each comparison.

    AND / OR take the weakest part: the OR of supersets is a superset of the OR. NOT keeps an
    exact part exact, but the complement of a superset is a subset, so NOT over anything
    inexact cannot be pushed.
    """
    if isinstance(predicate, Leaf | ColumnComparison):
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

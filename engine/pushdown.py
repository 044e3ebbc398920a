"""Which predicates can be sent to a source, in what form.

A candidate is a conjunct that reads one table only, in a shape every source understands (column
compared with constants), whose constants are folded to literals by DuckDB so every source sees
the same value the query means. Pins (``col = v`` / ``col IN (…)``) are carried across equi-joins
so each side of a point lookup gets its own indexable filter. Every predicate also stays in the
query DuckDB runs: pushing is only ever a narrowing of what is read, never a change of meaning.
"""

from __future__ import annotations

import datetime as dt
import decimal
import threading
from collections.abc import Iterable
from dataclasses import dataclass

import duckdb
from sqlglot import exp

from engine.output_names import HELPER_CONFIG
from engine.sql import DIALECT

_MAX_FOLD_CHARS = 10_000
_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)
_FLIPPED: dict[type[exp.Expr], type[exp.Expr]] = {
    exp.GT: exp.LT,
    exp.GTE: exp.LTE,
    exp.LT: exp.GT,
    exp.LTE: exp.GTE,
    exp.EQ: exp.EQ,
    exp.NEQ: exp.NEQ,
}
_VOLATILE = {
    "random",
    "uuid",
    "gen_random_uuid",
    "now",
    "today",
    "current_date",
    "current_time",
    "current_timestamp",
    "get_current_timestamp",
    "get_current_time",
    "transaction_timestamp",
    "localtimestamp",
    "localtime",
    "current_localtimestamp",
    "current_localtime",
    "epoch_ms",
    "setseed",
    "nextval",
}
_VOLATILE_CLASSES = tuple(
    getattr(exp, n)
    for n in (
        "Rand",
        "Uuid",
        "CurrentDate",
        "CurrentTime",
        "CurrentTimestamp",
        "CurrentDatetime",
        "UnixSeconds",
    )
    if hasattr(exp, n)
)


@dataclass(frozen=True)
class Candidate:
    """A predicate over one table's own columns (unqualified, source names), ready to offer."""

    use_index: int
    expression: exp.Expr
    derived: bool  # carried over a join from a pin on another table


class ConstantFolder:
    """Evaluates constant SQL expressions with DuckDB, so sources get the value DuckDB means."""

    def __init__(self) -> None:
        self._conn = duckdb.connect(config=HELPER_CONFIG)
        self._conn.execute("SET lock_configuration = true")
        self._lock = threading.Lock()

    def literal(self, expression: exp.Expr) -> exp.Expr | None:
        """Return a literal equal to ``expression``, or None if it is not a foldable constant."""
        if _is_literal(expression):
            return expression
        if not _is_constant(expression) or len(expression.sql(DIALECT)) > _MAX_FOLD_CHARS:
            return None
        try:
            with self._lock:
                cursor = self._conn.cursor()
                try:
                    rel = cursor.execute(f"SELECT {expression.sql(DIALECT)} AS v")
                    row = rel.fetchone()
                    type_name = str(rel.description[0][1]) if rel.description else ""
                finally:
                    cursor.close()
        except duckdb.Error:
            return None
        if row is None:
            return None
        return to_literal(row[0], type_name)

    def close(self) -> None:
        self._conn.close()


def to_literal(value: object, type_name: str = "") -> exp.Expr | None:
    """Return a sqlglot literal for a Python value coming out of DuckDB."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, decimal.Decimal):
        return exp.Literal.number(format(value, "f"))
    if isinstance(value, float):
        return (
            exp.Literal.number(repr(value))
            if value == value and abs(value) != float("inf")
            else None
        )
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            return None
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), exp.DataType.Type.TIMESTAMP)
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.Type.DATE)
    return None


def _is_literal(node: exp.Expr) -> bool:
    if isinstance(node, (exp.Literal, exp.Boolean, exp.Null)):
        return True
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal):
        return not node.this.is_string
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and node.this.is_string:
        return node.to.this in (exp.DataType.Type.DATE, exp.DataType.Type.TIMESTAMP)
    return False


def _is_constant(node: exp.Expr) -> bool:
    for sub in node.walk():
        if isinstance(
            sub,
            (
                exp.Column,
                exp.Subquery,
                exp.Select,
                exp.AggFunc,
                exp.Window,
                exp.Star,
                exp.Placeholder,
                exp.Lambda,
            ),
        ):
            return False
        if isinstance(sub, _VOLATILE_CLASSES):
            return False
        if isinstance(sub, exp.Anonymous) and sub.name.lower() in _VOLATILE:
            return False
    return True


def conjuncts(condition: exp.Expr | None) -> list[exp.Expr]:
    if condition is None:
        return []
    if isinstance(condition, exp.Paren):
        return conjuncts(condition.this)
    if isinstance(condition, exp.And):
        return conjuncts(condition.left) + conjuncts(condition.right)
    return [condition]


def shape(predicate: exp.Expr, alias: str, folder: ConstantFolder) -> exp.Expr | None:
    """Return the predicate rewritten over unqualified columns of ``alias`` with literal
    constants, or None when it is not a shape sources take."""
    node = predicate.unnest() if isinstance(predicate, exp.Paren) else predicate
    if _has_unknown_args(node):
        return None  # a modifier we would drop (e.g. BETWEEN SYMMETRIC) changes the meaning
    if isinstance(node, exp.Like) and node.args.get("negate"):
        inner = shape(exp.Like(this=node.this, expression=node.expression), alias, folder)
        return None if inner is None else exp.Not(this=inner)
    if isinstance(node, (exp.And, exp.Or)):
        left = shape(node.left, alias, folder)
        right = shape(node.right, alias, folder)
        if left is None or right is None:
            return None
        return type(node)(this=left, expression=right)
    if isinstance(node, exp.Not):
        inner = shape(node.this, alias, folder)
        return None if inner is None else exp.Not(this=inner)
    if isinstance(node, _COMPARISONS):
        left, right = node.left, node.right
        if _own_column(left, alias) and _own_column(right, alias):
            return type(node)(this=_bare(left), expression=_bare(right))
        if _own_column(left, alias):
            lit = folder.literal(right)
            return None if lit is None else type(node)(this=_bare(left), expression=lit)
        if _own_column(right, alias):
            lit = folder.literal(left)
            return None if lit is None else _FLIPPED[type(node)](this=_bare(right), expression=lit)
        return None
    if isinstance(node, exp.In) and _own_column(node.this, alias) and not node.args.get("query"):
        values = [folder.literal(v) for v in node.expressions]
        if not values or any(v is None for v in values):
            return None
        return exp.In(this=_bare(node.this), expressions=values)
    if isinstance(node, exp.Between) and _own_column(node.this, alias):
        low, high = folder.literal(node.args["low"]), folder.literal(node.args["high"])
        if low is None or high is None:
            return None
        return exp.Between(this=_bare(node.this), low=low, high=high)
    if (
        isinstance(node, exp.Is)
        and _own_column(node.this, alias)
        and isinstance(node.expression, exp.Null)
    ):
        return exp.Is(this=_bare(node.this), expression=exp.Null())
    if isinstance(node, exp.Like) and _own_column(node.this, alias) and not node.args.get("escape"):
        pattern = folder.literal(node.expression)
        if isinstance(pattern, exp.Literal) and pattern.is_string:
            return exp.Like(this=_bare(node.this), expression=pattern)
    return None


_KNOWN_ARGS: dict[type[exp.Expr], frozenset[str]] = {
    exp.Like: frozenset({"this", "expression", "negate"}),
    exp.In: frozenset({"this", "expressions"}),
    exp.Between: frozenset({"this", "low", "high"}),
    exp.Is: frozenset({"this", "expression"}),
}


def _has_unknown_args(node: exp.Expr) -> bool:
    known = _KNOWN_ARGS.get(type(node))
    if known is None:
        return False
    return any(value for key, value in node.args.items() if key not in known)


def null_rejecting(predicate: exp.Expr) -> bool:
    """True when a NULL in the column makes the predicate not true (safe below an outer join)."""
    for node in predicate.walk():
        if isinstance(node, exp.Is) and not isinstance(node.parent, exp.Not):
            return False
        if isinstance(node, exp.Not) and isinstance(node.this, (exp.And, exp.Or, exp.Not)):
            return False
    return True


def _own_column(node: exp.Expr, alias: str) -> bool:
    return (
        isinstance(node, exp.Column) and node.table == alias and not isinstance(node.this, exp.Star)
    )


def _bare(column: exp.Expr) -> exp.Column:
    assert isinstance(column, exp.Column)
    return exp.column(column.name, quoted=True)


def pin_values(predicate: exp.Expr) -> tuple[str, list[exp.Expr]] | None:
    """For a shaped ``col = lit`` / ``col IN (lits)``: the column and its values."""
    if isinstance(predicate, exp.EQ) and isinstance(predicate.this, exp.Column):
        if isinstance(predicate.expression, exp.Null):
            return None
        return predicate.this.name, [predicate.expression]
    if isinstance(predicate, exp.In) and isinstance(predicate.this, exp.Column):
        return predicate.this.name, list(predicate.expressions)
    return None


def equi_join_pairs(
    condition: Iterable[exp.Expr],
) -> list[tuple[exp.Column, exp.Column]]:
    """Column = column conjuncts between two different tables."""
    pairs = []
    for node in condition:
        if (
            isinstance(node, exp.EQ)
            and isinstance(node.left, exp.Column)
            and isinstance(node.right, exp.Column)
            and node.left.table
            and node.right.table
            and node.left.table != node.right.table
        ):
            pairs.append((node.left, node.right))
    return pairs


def same_family(left: str, right: str) -> bool:
    """Whether two SQL types compare without an implicit cast that could change a pin."""
    return _family(left) == _family(right) and _family(left) != "other"


def _family(sql_type: str) -> str:
    t = sql_type.upper()
    if t in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT") or t.startswith("UINT"):
        return "integer"
    if t.startswith("DECIMAL"):
        return "decimal"
    if t == "VARCHAR":
        return "string"
    if t in ("DATE",):
        return "date"
    return "other"

"""Which predicates can be sent to a source, in what form.

A candidate is a conjunct that reads one table only, in a shape every source understands (column
compared with constants), whose constants are folded to literals by DuckDB so every source sees
the same value the query means. Pins (``col = v`` / ``col IN (…)``) are carried across equi-joins
so each side of a point lookup gets its own indexable filter. Every predicate also stays in the
query DuckDB runs: pushing is only ever a narrowing of what is read, never a change of meaning.

A predicate that calls a function is a candidate too. ``year(col) <op> N`` over a DATE or
TIMESTAMP column becomes a range of ``col`` (plain comparisons, so every kind takes it, can use
an index, and it may go below a row filter). Any other deterministic, allowlisted expression is
offered as written, in DuckDB SQL: the sources DuckDB reads take it exactly, the others say why
not, and EXPLAIN lists it either way. What is not offered (volatile, a subquery, …) is reported
with its reason through ``shape_predicate``. Below a grant's row filter only ``leakproof``
predicates go (DESIGN invariant 3): the planner keeps every other one above.
"""

from __future__ import annotations

import datetime as dt
import decimal
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import duckdb
from sqlglot import exp

from adapters.pushdown import NOT_SCALAR
from engine.errors import InvalidQuery
from engine.output_names import HELPER_CONFIG
from engine.sql import DIALECT, check_query

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
    "uuidv4",
    "uuidv7",
    "ago",
    "txid_current",
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
        "Localtime",
        "Localtimestamp",
        "CurrentUser",
        "CurrentSchema",
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


@dataclass(frozen=True)
class Shaped:
    """A predicate written over the table's own unqualified columns, ready to offer."""

    expression: exp.Expr
    # The predicate compared a date part with integers and became column ranges.
    rewritten: bool = False


class Declined(str):
    """Why a predicate over one table is not offered to its source (shown in EXPLAIN)."""


def shape(
    predicate: exp.Expr,
    alias: str,
    folder: ConstantFolder,
    types: Mapping[str, str] | None = None,
) -> exp.Expr | None:
    """Return the predicate rewritten over unqualified columns of ``alias`` with literal
    constants, or None when it is not a shape sources take."""
    shaped = shape_predicate(predicate, alias, folder, types)
    return shaped.expression if isinstance(shaped, Shaped) else None


def shape_predicate(
    predicate: exp.Expr,
    alias: str,
    folder: ConstantFolder,
    types: Mapping[str, str] | None = None,
) -> Shaped | Declined:
    """Return the predicate as it is offered to the source of ``alias``, or why it is not.

    Comparisons of a column with constants (and of two columns) are offered with their
    constants folded to literals. ``year(col) <op> N`` over a DATE or TIMESTAMP column (named in
    ``types``, column → DuckDB type) becomes a range of ``col`` that every source takes and can
    index. Anything else over the table's own columns that is deterministic and allowlisted is
    offered as it is written (DuckDB SQL): the sources DuckDB reads take it exactly, the others
    say why not.
    """
    shaper = _Shaper(alias, folder, types or {})
    result = shaper.shape(predicate, positive=True)
    if result is None:
        return Declined(shaper.why or "sources take only comparisons with constants")
    return Shaped(result, shaper.rewritten)


# DuckDB spellings of the year part (date_part('yr', d), EXTRACT(YEARS FROM d), …).
_YEAR_PARTS = frozenset({"year", "years", "y", "yr", "yrs"})
# Years whose 1 January every source writes and orders as a 4-digit ISO date.
_MIN_YEAR, _MAX_YEAR = 1000, 9998
_DATE_TYPES = {"DATE": exp.DataType.Type.DATE, "TIMESTAMP": exp.DataType.Type.TIMESTAMP}
_COMPLEMENT: dict[type[exp.Expr], type[exp.Expr]] = {
    exp.EQ: exp.NEQ,
    exp.NEQ: exp.EQ,
    exp.LT: exp.GTE,
    exp.GTE: exp.LT,
    exp.GT: exp.LTE,
    exp.LTE: exp.GT,
}


class _Shaper:
    def __init__(self, alias: str, folder: ConstantFolder, types: Mapping[str, str]) -> None:
        self.alias = alias
        self.folder = folder
        self.types = {name.lower(): sql_type.upper() for name, sql_type in types.items()}
        self.rewritten = False
        self.why = ""

    def shape(self, predicate: exp.Expr, *, positive: bool) -> exp.Expr | None:
        """``positive``: the predicate is under an even number of NOTs, so a NULL and a FALSE
        of it both drop the row."""
        node = predicate.unnest() if isinstance(predicate, exp.Paren) else predicate
        if isinstance(node, (exp.And, exp.Or)):
            left = self.shape(node.left, positive=positive)
            right = self.shape(node.right, positive=positive)
            if left is None or right is None:
                return None
            return type(node)(this=_grouped(left), expression=_grouped(right))
        if isinstance(node, exp.Not):
            inner = node.this.unnest() if isinstance(node.this, exp.Paren) else node.this
            complement = self._year_range(inner, negate=True) if positive else None
            if complement is not None:
                return complement
            shaped = self.shape(inner, positive=not positive)
            return None if shaped is None else exp.Not(this=_grouped(shaped))
        if positive:
            ranged = self._year_range(node, negate=False)
            if ranged is not None:
                return ranged
        plain = self._plain(node) if not _has_unknown_args(node) else None
        if plain is not None:
            return plain
        return self._function(node)

    def _plain(self, node: exp.Expr) -> exp.Expr | None:
        alias, folder = self.alias, self.folder
        if isinstance(node, exp.Like) and node.args.get("negate"):
            inner = self._plain(exp.Like(this=node.this, expression=node.expression))
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
                if lit is None:
                    return None
                return _FLIPPED[type(node)](this=_bare(right), expression=lit)
            return None
        if (
            isinstance(node, exp.In)
            and _own_column(node.this, alias)
            and not node.args.get("query")
        ):
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
        if (
            isinstance(node, exp.Like)
            and _own_column(node.this, alias)
            and not node.args.get("escape")
        ):
            pattern = folder.literal(node.expression)
            if isinstance(pattern, exp.Literal) and pattern.is_string:
                return exp.Like(this=_bare(node.this), expression=pattern)
        return None

    def _function(self, node: exp.Expr) -> exp.Expr | None:
        """The predicate as written, over bare columns, when every source that reads it with
        DuckDB computes it exactly as the query would: scalar, deterministic, allowlisted."""
        for sub in node.walk():
            if isinstance(sub, NOT_SCALAR):
                self.why = f"{sub.key.upper()} is evaluated above the scan"
                return None
            if isinstance(sub, exp.Column) and sub.table != self.alias:
                self.why = "it reads more than the scanned table"
                return None
            volatile = _volatile_name(sub)
            if volatile is not None:
                self.why = f"{volatile}() is volatile: it is evaluated once, above the scan"
                return None
        try:
            check_query(node)  # the guard's allowlist, again: row filters never went through it
        except InvalidQuery as refused:
            self.why = refused.message
            return None
        own = self.alias

        def bare(sub: exp.Expr) -> exp.Expr:
            return _bare(sub) if _own_column(sub, own) else sub

        return node.copy().transform(bare)

    # -- year(col) <op> N → a range of col ----------------------------------------------------

    def _year_range(self, node: exp.Expr, *, negate: bool) -> exp.Expr | None:
        """``year(col) <op> N`` (also IN, BETWEEN) over a DATE/TIMESTAMP column with integer N,
        as a range of ``col``; ``negate`` gives the complement (for NOT).

        Exact under three-valued logic where it is used (never under a NOT that survives): a
        NULL ``col`` makes both forms NULL. DuckDB and PostgreSQL also have ±infinity, whose
        year() is NULL: a bounded range is FALSE there (the row is dropped either way), and an
        open one is guarded by ``isfinite(col)``.
        """
        if isinstance(node, exp.Binary) and type(node) in _COMPLEMENT:
            op: type[exp.Expr] = type(node)
            column, constant = self._year_column(node.left), node.right
            if column is None:
                column, constant, op = self._year_column(node.right), node.left, _FLIPPED[op]
            year = None if column is None else self._year(constant)
            if column is None or year is None:
                return None
            return self._ranged(column, _COMPLEMENT[op] if negate else op, [year])
        if isinstance(node, exp.In) and not _has_unknown_args(node) and not node.args.get("query"):
            column = self._year_column(node.this)
            years = [self._year(v) for v in node.expressions]
            if column is None or not years or any(y is None for y in years):
                return None
            known = [y for y in years if y is not None]
            return self._ranged(column, exp.NEQ if negate else exp.EQ, known)
        if isinstance(node, exp.Between) and not _has_unknown_args(node):
            column = self._year_column(node.this)
            low, high = self._year(node.args["low"]), self._year(node.args["high"])
            if column is None or low is None or high is None:
                return None
            first, after = self._bound(column, low), self._bound(column, high + 1)
            if negate:
                outside = exp.or_(
                    exp.LT(this=_bare(column), expression=first),
                    exp.GTE(this=_bare(column), expression=after),
                )
                return self._done(exp.and_(exp.paren(outside), _finite(column)))
            return self._done(
                exp.and_(
                    exp.GTE(this=_bare(column), expression=first),
                    exp.LT(this=_bare(column), expression=after),
                )
            )
        return None

    def _ranged(self, column: exp.Column, op: type[exp.Expr], years: list[int]) -> exp.Expr:
        """``year(column) <op> years`` (one year unless op is = or <>) as a range."""

        def at_least(year: int) -> exp.Expr:
            return exp.GTE(this=_bare(column), expression=self._bound(column, year))

        def before(year: int) -> exp.Expr:
            return exp.LT(this=_bare(column), expression=self._bound(column, year))

        distinct = sorted(set(years))
        if op is exp.EQ:
            ranges = [exp.and_(at_least(y), before(y + 1)) for y in distinct]
            if len(ranges) == 1:
                return self._done(ranges[0])
            return self._done(exp.or_(*[exp.paren(r) for r in ranges]))
        if op is exp.NEQ:
            outside = [exp.paren(exp.or_(before(y), at_least(y + 1))) for y in distinct]
            return self._done(exp.and_(*outside, _finite(column)))
        (year,) = distinct
        if op is exp.LT:
            compare = before(year)
        elif op is exp.LTE:
            compare = before(year + 1)
        elif op is exp.GT:
            compare = at_least(year + 1)
        else:
            compare = at_least(year)
        return self._done(exp.and_(compare, _finite(column)))

    def _done(self, expression: exp.Expr) -> exp.Expr:
        self.rewritten = True
        return expression

    def _year_column(self, node: exp.Expr) -> exp.Column | None:
        """The column of ``year(col)`` / ``date_part('year', col)`` / ``EXTRACT(YEAR FROM col)``
        when it is one of the table's DATE or TIMESTAMP columns."""
        column: exp.Expr | None = None
        if isinstance(node, exp.Year):
            column = node.this
        elif isinstance(node, exp.Extract):
            part = node.this
            if (
                isinstance(part, exp.Var | exp.Literal | exp.Column)
                and part.name.lower() in _YEAR_PARTS
            ):
                column = node.expression
        elif (
            isinstance(node, exp.Anonymous)
            and node.name.lower() in ("date_part", "datepart")
            and len(node.expressions) == 2
        ):
            part, column = node.expressions
            if not (isinstance(part, exp.Literal) and part.is_string):
                return None
            if part.name.lower() not in _YEAR_PARTS:
                return None
        if column is None or not _own_column(column, self.alias):
            return None
        assert isinstance(column, exp.Column)
        if self.types.get(column.name.lower()) not in _DATE_TYPES:
            return None
        return column

    def _year(self, node: exp.Expr) -> int | None:
        literal = self.folder.literal(node)
        if not isinstance(literal, exp.Literal) or literal.is_string:
            return None
        text = str(literal.this)
        if not text.isdigit():
            return None
        year = int(text)
        return year if _MIN_YEAR <= year <= _MAX_YEAR else None

    def _bound(self, column: exp.Column, year: int) -> exp.Expr:
        """1 January of ``year`` as a literal of the column's type."""
        kind = _DATE_TYPES[self.types[column.name.lower()]]
        text = (
            f"{year:04d}-01-01" if kind is exp.DataType.Type.DATE else f"{year:04d}-01-01 00:00:00"
        )
        return exp.cast(exp.Literal.string(text), kind)


def _grouped(expression: exp.Expr) -> exp.Expr:
    """Parenthesise AND/OR so that the SQL text (EXPLAIN, DuckDB sources) keeps the grouping."""
    return (
        exp.paren(expression, copy=False) if isinstance(expression, exp.Connector) else expression
    )


def _finite(column: exp.Column) -> exp.Expr:
    return exp.Anonymous(this="isfinite", expressions=[_bare(column)])


def _volatile_name(node: exp.Expr) -> str | None:
    """The name of a function whose value may differ between two evaluations, or None."""
    if isinstance(node, _VOLATILE_CLASSES):
        return node.key
    if isinstance(node, exp.Anonymous):
        name = node.name.lower()
        if name in _VOLATILE or (name == "age" and len(node.expressions) == 1):
            return name
    return None


def leakproof(expression: exp.Expr) -> bool:
    """Whether a shaped predicate only compares columns with constants (DESIGN invariant 3):
    nothing in it can fail, whatever the row. The ISFINITE guard of a year rewrite counts as a
    comparison (it cannot fail either)."""
    for node in expression.walk():
        if isinstance(node, exp.Cast):
            if not _is_literal(node):
                return False
        elif isinstance(node, exp.Anonymous):
            if not (
                node.name.lower() == "isfinite"
                and len(node.expressions) == 1
                and isinstance(node.expressions[0], exp.Column)
            ):
                return False
        elif not isinstance(node, _LEAKPROOF):
            return False
    return True


_LEAKPROOF = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Boolean,
    exp.Null,
    exp.Neg,
    exp.DataType,
    exp.DataTypeParam,
    exp.Paren,
    exp.And,
    exp.Or,
    exp.Not,
    exp.In,
    exp.Between,
    exp.Is,
    exp.Like,
    *_COMPARISONS,
)


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
        if not isinstance(node, _STRICT) or (
            isinstance(node, exp.Anonymous) and node.name.lower() not in _STRICT_NAMES
        ):
            return False  # COALESCE, CASE, concat(), IS DISTINCT FROM, … can turn NULL into true
    return True


# Nodes whose value is NULL when a column they read is NULL (for null_rejecting).
_STRICT = (
    *_LEAKPROOF,
    exp.ILike,
    exp.Var,
    exp.Cast,
    exp.TryCast,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.IntDiv,
    exp.Mod,
    exp.DPipe,
    exp.Lower,
    exp.Upper,
    exp.Abs,
    exp.Length,
    exp.Year,
    exp.Month,
    exp.Day,
    exp.Extract,
    exp.Anonymous,  # only the names below
)
_STRICT_NAMES = frozenset({"isfinite", "date_part", "datepart", "lcase", "ucase", "strlen"})


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

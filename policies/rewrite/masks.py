"""Masks: the value a masked column holds everywhere in the query, computed at the source.

Each mask is a SQL expression over the raw column, written for the dialect of the source that
computes it (DESIGN.md invariant 2: raw values never leave the source). ``None`` means the
source cannot compute it, and the query is refused rather than masked late.

    redact      '***'
    null        NULL of the column's type
    first:N     the first N characters, then '***'
    last:N      '***', then the last N characters
    hash        hex SHA-256 of a deployment key and the value (stable, not reversible)
    year_only   the date truncated to 1 January of its year (still a DATE)
    round:N     the number rounded to N decimal places (negative N: tens, hundreds, …)
"""

from __future__ import annotations

from sqlglot import exp

from policies.decision import ColumnRule

STRING_RESULT = {"redact", "first", "last", "hash"}


def result_type(rule: ColumnRule, column_type: str) -> str:
    """The SQL type the masked column has in the query."""
    return "VARCHAR" if rule.mask_kind in STRING_RESULT else column_type


def expression(
    rule: ColumnRule, column: str, column_type: str, dialect: str | None, key: str
) -> exp.Expr | None:
    """The mask for ``column`` in ``dialect`` (None: DuckDB), or None if it cannot be computed
    there."""
    kind, n = rule.mask_kind, rule.mask_parameter
    col = exp.column(column, quoted=True)
    if kind == "redact":
        return exp.Literal.string("***")
    if kind == "null":
        return exp.cast(exp.Null(), exp.DataType.build(column_type))
    if kind in ("first", "last"):
        count = n if n is not None else 1
        text = exp.cast(col, exp.DataType.Type.VARCHAR)
        if kind == "first":
            head = exp.Substring(
                this=text, start=exp.Literal.number(1), length=exp.Literal.number(count)
            )
            return _concat(dialect, head, exp.Literal.string("***"))
        part: exp.Expr = exp.Right(this=text, expression=exp.Literal.number(count))
        if dialect == "sqlite":
            part = exp.Substring(this=text, start=exp.Literal.number(-count))
        return _concat(dialect, exp.Literal.string("***"), part)
    if kind == "hash":
        return _hash(dialect, col, key)
    if kind == "year_only":
        return _year_start(dialect, col)
    if kind == "round":
        return exp.Round(this=col, decimals=exp.Literal.number(n if n is not None else 0))
    return None


def _concat(dialect: str | None, left: exp.Expr, right: exp.Expr) -> exp.Expr:
    if dialect == "mysql":
        return exp.Anonymous(this="CONCAT", expressions=[left, right])
    return exp.DPipe(this=left, expression=right)


def _hash(dialect: str | None, col: exp.Expr, key: str) -> exp.Expr | None:
    salted = _concat(dialect, exp.Literal.string(key), exp.cast(col, exp.DataType.Type.VARCHAR))
    if dialect is None or dialect == "duckdb":
        return exp.Anonymous(this="sha256", expressions=[salted])
    if dialect == "postgres":
        digest = exp.Anonymous(
            this="sha256",
            expressions=[
                exp.Anonymous(this="convert_to", expressions=[salted, exp.Literal.string("UTF8")])
            ],
        )
        return exp.Anonymous(this="encode", expressions=[digest, exp.Literal.string("hex")])
    if dialect == "mysql":
        return exp.Anonymous(this="SHA2", expressions=[salted, exp.Literal.number(256)])
    return None  # SQLite has no hash function: refuse rather than hash outside the source


def _year_start(dialect: str | None, col: exp.Expr) -> exp.Expr | None:
    if dialect is None or dialect == "duckdb":
        return exp.cast(
            exp.Anonymous(this="date_trunc", expressions=[exp.Literal.string("year"), col]),
            exp.DataType.Type.DATE,
        )
    if dialect == "postgres":
        return exp.cast(
            exp.Anonymous(this="date_trunc", expressions=[exp.Literal.string("year"), col]),
            exp.DataType.Type.DATE,
        )
    if dialect == "mysql":
        return exp.Anonymous(
            this="MAKEDATE",
            expressions=[exp.Anonymous(this="YEAR", expressions=[col]), exp.Literal.number(1)],
        )
    if dialect == "sqlite":
        return exp.Anonymous(this="strftime", expressions=[exp.Literal.string("%Y-01-01"), col])
    return None

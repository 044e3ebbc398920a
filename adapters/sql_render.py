"""A ScanRequest as one SELECT in the source's dialect, built with sqlglot.

Every identifier is quoted, every filter is re-written from its parsed predicate tree (so each
literal takes the source's form: ``DATE '…'`` for MySQL, plain ISO text for SQLite) and every NOT
operand is parenthesised, which keeps MySQL's HIGH_NOT_PRECEDENCE mode from regrouping it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlglot import exp

from adapters.aggregates import is_aggregation, parse_aggregation
from adapters.base import FilterVerdict, Pushdown, ScanColumn, ScanRequest
from adapters.dialects import SourceDialect
from adapters.pushdown import (
    Column,
    ColumnComparison,
    FunctionFilter,
    Leaf,
    Negation,
    Predicate,
    Unsupported,
    parse_filter,
)
from adapters.pushdown import judge as judge_predicate

__all__ = ["build_select", "judge_aggregation", "judge_filter", "render_predicate", "to_sql"]


def judge_filter(
    node: exp.Expr, columns: Mapping[str, Column], dialect: SourceDialect
) -> FilterVerdict:
    """Return how the source takes one filter, with the reason EXPLAIN shows."""
    try:
        predicate = parse_filter(node, columns)
    except Unsupported as why:
        return FilterVerdict(Pushdown.UNSUPPORTED, str(why))
    return judge_predicate(predicate, dialect.verdict)


def judge_aggregation(
    scan_columns: Sequence[ScanColumn],
    group_by: Sequence[exp.Expr],
    columns: Mapping[str, Column],
    dialect: SourceDialect,
) -> FilterVerdict:
    """Return whether the source computes these aggregates and groups exactly as DuckDB does:
    EXACT, or UNSUPPORTED with the first reason it does not."""
    try:
        aggregation = parse_aggregation(scan_columns, group_by, columns)
    except Unsupported as why:
        return FilterVerdict(Pushdown.UNSUPPORTED, str(why))
    verdicts = [dialect.key_verdict(key) for key in aggregation.keys]
    verdicts += [dialect.aggregate_verdict(a) for a in aggregation.aggregates]
    for verdict in verdicts:
        if verdict.pushdown is not Pushdown.EXACT:
            return FilterVerdict(Pushdown.UNSUPPORTED, verdict.reason)
    return FilterVerdict(Pushdown.EXACT, dialect.aggregate_reason)


def render_predicate(predicate: Predicate, dialect: SourceDialect) -> exp.Expr:
    """Return the predicate written for the source."""
    if isinstance(predicate, Leaf):
        return dialect.render_leaf(predicate)
    if isinstance(predicate, ColumnComparison):
        return dialect.render_pair(predicate)
    if isinstance(predicate, FunctionFilter):
        return _grouped(dialect.render_function(predicate))
    if isinstance(predicate, Negation):
        return exp.Not(this=exp.Paren(this=render_predicate(predicate.operand, dialect)))
    parts = [_grouped(render_predicate(p, dialect)) for p in predicate.operands]
    connector = exp.And if predicate.kind == "and" else exp.Or
    combined = parts[0]
    for part in parts[1:]:
        combined = connector(this=combined, expression=part)
    return combined


def build_select(
    request: ScanRequest,
    *,
    table: exp.Expr,
    columns: Mapping[str, Column],
    dialect: SourceDialect,
) -> exp.Select:
    """Return the SELECT for ``request`` against ``table`` (a table name or a table function).

    Raises ValueError when the request names a column the table lacks, carries a filter the
    source cannot take or an aggregation it cannot compute exactly; the planner asks
    ``judge_filters`` and ``judge_aggregates`` first, so each is a planner bug.
    """
    aggregating = is_aggregation(request)
    if aggregating:
        verdict = judge_aggregation(request.columns, request.group_by, columns, dialect)
        if verdict.pushdown is not Pushdown.EXACT:
            raise ValueError(f"aggregation on {request.table!r} cannot be pushed: {verdict.reason}")
    projections: list[exp.Expr] = []
    for scan_column in request.columns:
        _check_columns(scan_column.expression, columns, request.table)
        expression = dialect.project(scan_column, columns)
        if not (isinstance(expression, exp.Column) and expression.name == scan_column.name):
            expression = exp.alias_(expression, scan_column.name)
        projections.append(expression)
    if not projections:
        # A scan for count(*) needs rows, not columns; the stream drops this placeholder.
        projections.append(exp.alias_(exp.Literal.number(1), "_row"))

    select = exp.select(*projections).from_(table)
    conditions = [
        _grouped(
            render_predicate(
                _pushable(f, i, columns, dialect, request.table, exact=aggregating), dialect
            )
        )
        for i, f in enumerate(request.filters)
    ]
    if conditions:
        where = conditions[0]
        for condition in conditions[1:]:
            where = exp.And(this=where, expression=condition)
        select = select.where(where, copy=False)
    if request.group_by:
        keys = [dialect.group_key(columns[key.name]) for key in request.group_by]
        select = select.group_by(*keys, copy=False)
    if request.limit is not None:
        select = select.limit(request.limit, copy=False)
    return select


def to_sql(statement: exp.Expr, dialect: SourceDialect) -> str:
    """Return the statement text in the source's dialect, every identifier quoted."""
    return statement.sql(dialect=dialect.sqlglot_dialect, identify=True)


def _pushable(
    node: exp.Expr,
    index: int,
    columns: Mapping[str, Column],
    dialect: SourceDialect,
    table: str,
    *,
    exact: bool,
) -> Predicate:
    try:
        predicate = parse_filter(node, columns)
    except Unsupported as why:
        raise ValueError(f"filter {index} on {table!r} cannot be pushed: {why}") from None
    verdict = judge_predicate(predicate, dialect.verdict)
    if verdict.pushdown is Pushdown.UNSUPPORTED:
        raise ValueError(f"filter {index} on {table!r} cannot be pushed: {verdict.reason}")
    if exact and verdict.pushdown is Pushdown.INEXACT:
        # The extra rows of a superset would be aggregated in before anyone could drop them.
        raise ValueError(f"filter {index} on {table!r} is inexact and the scan aggregates")
    return predicate


def _check_columns(expression: exp.Expr, columns: Mapping[str, Column], table: str) -> None:
    # A subquery's columns belong to its own FROM, not to the scanned table: do not descend.
    nodes = expression.walk(prune=lambda node: isinstance(node, exp.Select | exp.Subquery))
    for node in nodes:
        if isinstance(node, exp.Column) and (node.table or node.name not in columns):
            raise ValueError(f"table {table!r} has no column {node.name!r}")


def _grouped(expression: exp.Expr) -> exp.Expr:
    if isinstance(expression, exp.And | exp.Or):
        return exp.Paren(this=expression)
    return expression

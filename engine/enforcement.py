"""Runs the policy rewrites (policies.rewrite) over a bound query and maps violations to errors.

The planner calls ``enforce`` after binding and before pushdown: by then every column reference
is bound to its table reference, which is what the rules need.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from engine.binding import TableUse
from engine.errors import AccessDenied, InvalidQuery
from policies import ColumnMode
from policies.rewrite import (
    ColumnUse,
    GroupGuard,
    PolicyViolation,
    TableScope,
    aggregation_guard,
    column_modes,
    required_conditions,
)


@dataclass(frozen=True)
class Enforcement:
    guard: GroupGuard | None


def enforce(tree: exp.Query, uses: list[TableUse]) -> Enforcement:
    """Check every rule; add the aggregation guard's entity counts to ``tree``."""
    column_uses = [
        ColumnUse(node, use.alias, index, use.decision)
        for index, use in enumerate(uses)
        for nodes in use.columns.values()
        for node in nodes
    ]
    scopes = [
        TableScope(
            use_id=index,
            alias=use.alias,
            select=use.scope.expression
            if use.scope is not None and isinstance(use.scope.expression, exp.Select)
            else None,
            table_name=use.ref.name,
            required=tuple((r.column, r.max_values) for r in use.decision.required),
            aggregate_only=use.decision.aggregate_only,
        )
        for index, use in enumerate(uses)
    ]
    try:
        column_modes.check(column_uses)
        required_conditions.check(scopes, column_uses)
        guard = aggregation_guard.apply(tree, scopes, column_uses)
    except PolicyViolation as violation:
        if violation.denied:
            raise AccessDenied(violation.message) from None
        raise InvalidQuery(violation.message) from None
    if guard is not None:
        _bind_guard_columns(tree, uses)
    return Enforcement(guard)


def _bind_guard_columns(tree: exp.Query, uses: list[TableUse]) -> None:
    """The guard's count(DISTINCT entity) reads the entity column: make its scan fetch it."""
    by_alias = {u.alias: u for u in uses if u.decision.aggregate_only is not None}
    for select_expression in tree.expressions if isinstance(tree, exp.Select) else []:
        if not select_expression.alias_or_name.startswith(aggregation_guard.GUARD_PREFIX):
            continue
        for column in select_expression.find_all(exp.Column):
            use = by_alias.get(column.table)
            if use is not None:
                use.columns.setdefault(column.name, []).append(column)


def is_masked(use: TableUse, column: str) -> bool:
    rule = use.decision.columns.get(column)
    return rule is not None and rule.mode is ColumnMode.MASK

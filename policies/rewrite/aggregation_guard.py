"""Aggregate-only tables: statistics that never expose a person.

A table whose grant has ``aggregate_only = {min_group, entity}`` may be read only by the
outermost SELECT of the query, which must aggregate; its columns appear only as group keys
(``read`` or masked columns, or expressions of them) or as the bare argument of count, sum, avg,
stddev or variance (no FILTER, no CASE inside); no ROLLUP/CUBE/GROUPING SETS, no windows. The
guard adds ``count(DISTINCT entity)`` per such table to the outermost SELECT; the executor drops
groups below ``min_group`` and reports how many it dropped.

>>> # SELECT district, count(*) FROM household.persons GROUP BY district   → allowed, guarded
>>> # SELECT max(monthly_amount) FROM welfare.recipients                    → refused
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlglot import exp

from policies.decision import ColumnMode
from policies.rewrite.required_conditions import TableScope
from policies.rewrite.usage import Clause, ColumnUse, PolicyViolation

ALLOWED = (
    exp.Count,
    exp.Sum,
    exp.Avg,
    exp.Stddev,
    exp.StddevSamp,
    exp.StddevPop,
    exp.Variance,
    exp.VariancePop,
)
GUARD_PREFIX = "__civicfed_entities_"


@dataclass(frozen=True)
class GroupGuard:
    """Output columns the executor checks: groups where any is below its minimum are removed."""

    columns: tuple[tuple[str, int], ...]  # (helper column name, min_group)
    limit: int | None  # the outermost LIMIT, applied after removing groups
    offset: int | None


def apply(
    root: exp.Query, tables: Sequence[TableScope], uses: Sequence[ColumnUse]
) -> GroupGuard | None:
    """Check the aggregate-only rules and add the entity counts; None when no table needs it."""
    guarded = [t for t in tables if t.aggregate_only is not None]
    if not guarded:
        return None
    if not isinstance(root, exp.Select):
        raise PolicyViolation(
            _name(guarded[0]) + " may only be read by a single aggregating SELECT (no UNION)"
        )
    for table in guarded:
        if table.select is not root:
            raise PolicyViolation(
                f"{_name(table)} may only be aggregated in the outermost "
                "SELECT, not in a subquery or CTE"
            )
    _check_shape(root, guarded)
    guarded_ids = {t.use_id for t in guarded}
    for use in uses:
        if use.use_id in guarded_ids:
            if use.node.find_ancestor(exp.Select) is not root:
                # A correlated subquery would aggregate (or list) raw values per group.
                raise PolicyViolation(
                    f"{use.name} may only be used in the outermost SELECT of a query over "
                    f"{use.decision.table.name}, not inside a subquery"
                )
            _check_use(use)
    columns = []
    for i, table in enumerate(guarded, start=1):
        rule = table.aggregate_only
        assert rule is not None
        name = f"{GUARD_PREFIX}{i}"
        entity = exp.column(rule.entity, table=table.alias, quoted=True)
        counter = exp.Count(this=exp.Distinct(expressions=[entity]))
        root.append("expressions", exp.alias_(counter, name, quoted=True))
        columns.append((name, rule.min_group))
    limit, offset = _take_limit(root)
    return GroupGuard(tuple(columns), limit, offset)


def _name(table: TableScope) -> str:
    return table.table_name


def _check_shape(root: exp.Select, guarded: Sequence[TableScope]) -> None:
    group = root.args.get("group")
    if group is not None and (
        any(group.args.get(k) for k in ("rollup", "cube", "grouping_sets", "totals"))
        or group.find(exp.Rollup, exp.Cube, exp.GroupingSets) is not None
    ):
        raise PolicyViolation(
            f"ROLLUP, CUBE and GROUPING SETS are not allowed on {_name(guarded[0])}"
        )
    if group is not None and group.args.get("all"):
        raise PolicyViolation(
            "GROUP BY ALL is not allowed on aggregate-only tables; list the group keys"
        )
    if root.find(exp.Window) is not None:
        raise PolicyViolation(f"window functions are not allowed on {_name(guarded[0])}")
    has_aggregate = any(e.find(exp.AggFunc) for e in root.expressions)
    if not has_aggregate and group is None:
        raise PolicyViolation(
            f"{_name(guarded[0])} may only be read as aggregates "
            "(count, sum, avg, stddev, variance) with GROUP BY"
        )
    for aggregate in root.find_all(exp.AggFunc):
        if aggregate.find_ancestor(exp.Select) is not root:
            continue
        if not isinstance(aggregate, ALLOWED):
            name = type(aggregate).__name__.lower()
            raise PolicyViolation(
                f"{name} is not allowed on aggregate-only tables; use count, "
                "sum, avg, stddev or variance"
            )
        if isinstance(aggregate.parent, exp.Filter):
            raise PolicyViolation("FILTER clauses are not allowed on aggregate-only tables")
        argument = aggregate.this
        if isinstance(argument, exp.Distinct):
            inner = argument.expressions
            argument = inner[0] if len(inner) == 1 else None
        if argument is not None and not isinstance(argument, (exp.Column, exp.Star)):
            raise PolicyViolation("aggregates over aggregate-only tables take a bare column")


def _check_use(use: ColumnUse) -> None:
    rule = use.decision.columns.get(use.name)
    if rule is None:
        raise PolicyViolation(f"{use.name} is not granted")
    if use.in_window:
        raise PolicyViolation(f"window functions are not allowed on {use.decision.table.name}")
    if use.in_aggregate or rule.mode in (ColumnMode.CONDITION, ColumnMode.JOIN):
        return  # aggregate arguments were checked above; modes by column_modes
    if use.clause in (Clause.WHERE, Clause.ON):
        return
    if use.clause is Clause.GROUP:
        return
    # Projected / ordered / HAVING outside an aggregate: must be a group key of the SELECT.
    select = use.node.find_ancestor(exp.Select)
    group = select.args.get("group") if select is not None else None
    keys = {k.sql() for k in (group.expressions if group is not None else [])}
    if use.node.sql() not in keys and not _inside_group_key_expression(use.node, keys):
        raise PolicyViolation(
            f"{use.name} may only appear as a group key or inside count, "
            "sum, avg, stddev or variance"
        )


def _inside_group_key_expression(node: exp.Expr, keys: set[str]) -> bool:
    parent = node.parent
    while parent is not None and not isinstance(parent, exp.Select):
        if parent.sql() in keys:
            return True
        parent = parent.parent
    return False


def _take_limit(root: exp.Select) -> tuple[int | None, int | None]:
    """Move the outermost LIMIT/OFFSET after group removal (so LIMIT 5 still gives 5 groups)."""
    limit_node, offset_node = root.args.get("limit"), root.args.get("offset")
    limit = offset = None
    if limit_node is not None:
        value = limit_node.expression
        if not (isinstance(value, exp.Literal) and not value.is_string):
            raise PolicyViolation("LIMIT on aggregate-only tables must be a number")
        limit = int(value.this)
        root.set("limit", None)
    if offset_node is not None:
        value = offset_node.expression
        if not (isinstance(value, exp.Literal) and not value.is_string):
            raise PolicyViolation("OFFSET on aggregate-only tables must be a number")
        offset = int(value.this)
        root.set("offset", None)
    return limit, offset

"""The intersection of two grants: what a delegated user grant really allows (child ∩ parent),
and what several equally specific grants allow together.

Every dimension takes the stricter side, so the result never allows more than either grant:
columns both name, each with the stricter mode; row filters ANDed; required conditions unioned
(the smaller ``max_values`` where both pin a column); the smaller row cap; purposes both allow;
the overlap of the validity windows; aggregation if either asks for it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from policies.column_rules import intersect_rules
from policies.decision import AggregateRule, ColumnRule, RequiredCondition
from policies.grants import AllColumns, Grant
from policies.row_filter import RowFilter


class DelegationError(ValueError):
    """A child grant that reaches outside its parent."""


def intersect(first: Grant, second: Grant) -> Grant:
    """Return a grant allowing only what both allow; it keeps ``first``'s id and holder.

    Two grants that cannot be reconciled (different aggregation entities) give a grant with a
    ``defect``: it still governs the table, and the decision denies.
    """
    defect = first.defect or second.defect
    aggregate = first.aggregate_only or second.aggregate_only
    if first.aggregate_only and second.aggregate_only:
        if first.aggregate_only.entity != second.aggregate_only.entity:
            defect = defect or (
                f"grants {first.id} and {second.id} count groups by different entities"
            )
        aggregate = AggregateRule(
            max(first.aggregate_only.min_group, second.aggregate_only.min_group),
            first.aggregate_only.entity,
        )
    return dataclasses.replace(
        first,
        table=first.table if first.table_name != "*" else second.table,
        columns=_columns(first, second),
        row_filter=RowFilter.all_of((first.row_filter, second.row_filter)),
        require=_require(first.require, second.require),
        aggregate_only=aggregate,
        max_rows=_smaller(first.max_rows, second.max_rows),
        purposes=tuple(p for p in first.purposes if p in second.purposes),
        valid_from=_later(first.valid_from, second.valid_from),
        valid_until=_earlier(first.valid_until, second.valid_until),
        domain=first.domain or second.domain,
        lineage=tuple(dict.fromkeys(first.ids + second.ids)),
        defect=defect,
    )


def intersect_all(grants: Sequence[Grant]) -> Grant:
    """Fold ``intersect`` over one or more grants."""
    result = grants[0]
    for other in grants[1:]:
        result = intersect(result, other)
    return result


def check_child(child: Grant, parent: Grant) -> None:
    """Raise ``DelegationError`` unless ``child`` asks only for what ``parent`` allows.

    The effective grant is the intersection anyway; refusing a wider request up front tells the
    agency manager what they cannot hand on instead of silently trimming it.
    """
    if parent.agency is None or parent.parent is not None:
        raise DelegationError(f"grant {parent.id} is not an agency grant; only those delegate")
    if child.user is None:
        raise DelegationError("a delegated grant names a user")
    if child.source != parent.source or parent.table_name not in ("*", child.table_name):
        raise DelegationError(f"{child.table} is outside the parent grant's {parent.table}")
    if parent.columns != "*":
        if child.columns == "*":
            raise DelegationError('the parent grant does not allow columns = "*"; list them')
        for column, rule in child.columns.items():
            allowed = parent.columns.get(column)
            if allowed is None:
                raise DelegationError(f"column {column} is not in the parent grant")
            if intersect_rules(rule, allowed) != rule:
                raise DelegationError(f"column {column} is looser than the parent grant allows")
    extra = [p for p in child.purposes if p not in parent.purposes]
    if extra:
        raise DelegationError(f"purpose {extra[0]} is not in the parent grant")


def _columns(first: Grant, second: Grant) -> AllColumns | dict[str, ColumnRule]:
    if first.columns == "*":
        return second.columns if second.columns == "*" else dict(second.columns)
    if second.columns == "*":
        return dict(first.columns)
    out: dict[str, ColumnRule] = {}
    for column, rule in first.columns.items():
        other = second.columns.get(column)
        if other is None:
            continue
        stricter = intersect_rules(rule, other)
        if stricter is not None:
            out[column] = stricter
    return out


def _require(
    first: tuple[RequiredCondition, ...], second: tuple[RequiredCondition, ...]
) -> tuple[RequiredCondition, ...]:
    merged: dict[str, int] = {}
    for condition in first + second:
        known = merged.get(condition.column)
        merged[condition.column] = (
            condition.max_values if known is None else min(known, condition.max_values)
        )
    return tuple(RequiredCondition(c, n) for c, n in merged.items())


def _smaller(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def _later(a: dt.date | None, b: dt.date | None) -> dt.date | None:
    return b if a is None else a if b is None else max(a, b)


def _earlier(a: dt.date | None, b: dt.date | None) -> dt.date | None:
    return b if a is None else a if b is None else min(a, b)

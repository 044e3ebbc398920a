"""A governing grant applied to one table for one principal: the AccessDecision.

The grant constrains (columns and modes, masks, row filter, pins, aggregation, row cap) and
Casbin decides each column's action; an explicit denial lowers a column's mode
(``read`` → ``condition`` → ``join``) or removes it. A masked column is removed rather than
lowered: ``condition`` and ``join`` work on the raw value the mask hides.
"""

from __future__ import annotations

from collections import defaultdict

from policies.casbin_gate import TableCheck, gate_action
from policies.decision import (
    AccessDecision,
    ColumnMode,
    ColumnRule,
    Principal,
    RequiredCondition,
    TableRef,
)
from policies.grants import Grant
from policies.row_filter import MissingAttribute, UnknownColumn

# Where a column may fall when Casbin refuses its action (an unmasked rule only).
_LOWER = {
    "select": ("condition", "join"),
    "aggregate": ("condition", "join"),
    "condition": ("join",),
    "join": (),
}


def denied(table: TableRef, reason: str, visible: bool = True) -> AccessDecision:
    return AccessDecision(table, False, reasons=(reason,), visible=visible)


def resolve(
    grant: Grant, principal: Principal, table: TableRef, check: TableCheck
) -> AccessDecision:
    """Return the decision ``grant`` gives ``principal`` on ``table`` (Casbin consulted)."""
    if grant.defect:
        return denied(table, grant.defect)
    spelling = {c.lower(): c for c in table.column_names()}
    wanted: dict[str, ColumnRule] = {}
    if grant.columns == "*":
        wanted = {c: ColumnRule(ColumnMode.READ) for c in table.column_names()}
    else:
        for column, rule in grant.columns.items():
            actual = spelling.get(column.lower())
            if actual is None:
                return denied(table, f"the grant names column {column}, which the table lacks")
            wanted[actual] = rule
    required: list[RequiredCondition] = []
    for condition in grant.require:
        actual = spelling.get(condition.column.lower())
        if actual is None:
            return denied(table, f"the grant pins column {condition.column}, which the table lacks")
        required.append(RequiredCondition(actual, condition.max_values))
    aggregate = grant.aggregate_only
    if aggregate is not None:
        entity = spelling.get(aggregate.entity.lower())
        if entity is None:
            return denied(table, "the grant's aggregation entity is not a column of the table")
        aggregate = type(aggregate)(aggregate.min_group, entity)
    row_filter = None
    if grant.row_filter is not None:
        try:
            row_filter = grant.row_filter.render(principal.attributes, table.column_names())
        except MissingAttribute as missing:
            return denied(
                table,
                f"the grant's row filter needs your {missing.attribute}, which your account "
                "does not have; ask the platform administrator",
            )
        except UnknownColumn:
            return denied(table, "the grant's row filter names a column the table lacks")
    columns, reasons = _casbin_columns(wanted, aggregate is not None, table, check)
    if not columns:
        return denied(table, "every column of the grant is denied: " + "; ".join(reasons))
    ordered = {c: columns[c] for c in table.column_names() if c in columns}
    holder = f"user {grant.user}" if grant.user else f"agency {grant.agency}"
    return AccessDecision(
        table=table,
        allowed=True,
        columns=ordered,
        row_filter=row_filter,
        required=tuple(required),
        aggregate_only=aggregate,
        max_rows=grant.max_rows,
        purposes=grant.purposes,
        valid_until=grant.valid_until,
        valid_from=grant.valid_from,
        grants=grant.ids,
        reasons=(f"grant {' ∩ '.join(grant.ids)} ({holder}, {grant.table}) governs", *reasons),
        visible=True,
    )


def _casbin_columns(
    wanted: dict[str, ColumnRule], aggregate_only: bool, table: TableRef, check: TableCheck
) -> tuple[dict[str, ColumnRule], list[str]]:
    """Ask Casbin once per action for all the columns that need it, and column by column only
    when that is refused (an explicit denial, or rules split across objects)."""
    by_action: dict[str, list[str]] = defaultdict(list)
    for column, rule in wanted.items():
        by_action[gate_action(rule, aggregate_only)].append(column)
    allowed: dict[str, ColumnRule] = {}
    reasons: list[str] = []
    for action, columns in by_action.items():
        verdict = check.check(table, columns, action)
        if verdict.allowed:
            allowed.update({c: wanted[c] for c in columns})
            reasons.append(f"{action} on {', '.join(columns)}: allowed by {verdict.explain()}")
            continue
        for column in columns:
            kept, why = _one_column(column, wanted[column], action, table, check)
            if kept is not None:
                allowed[column] = kept
            reasons.append(why)
    return allowed, reasons


def _one_column(
    column: str, rule: ColumnRule, action: str, table: TableRef, check: TableCheck
) -> tuple[ColumnRule | None, str]:
    verdict = check.check(table, [column], action)
    if verdict.allowed:
        return rule, f"{action} on {column}: allowed by {verdict.explain()}"
    refused = f"{action} on {column}: denied by {verdict.explain()}"
    if rule.mode is ColumnMode.MASK:
        return None, refused
    for lower in _LOWER[action]:
        lowered = check.check(table, [column], lower)
        if lowered.allowed:
            return ColumnRule(ColumnMode(lower)), f"{refused}; {lower} only"
    return None, refused

"""Narrowing a grant spec: what an owner approves within an application, or what a manager
hands a user within the agency grant.

Follows ``policies.delegation.check_child`` and goes further, so a wider request is refused up
front instead of silently trimmed: columns only those listed, each with a mode at least as
strict; purposes a subset; a row cap no larger; an end date no later; an aggregation rule kept
(same entity, groups at least as large). Row filters are ANDed and required conditions unioned,
which can only narrow.

>>> narrow({"table": "s.t", "columns": {"a": "read", "b": "read"}, "purposes": ["p"]},
...        {"columns": {"a": "condition"}}, "the application")["columns"]
{'a': 'condition'}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.governance.calendar_rules import parse_date
from api.governance.errors import GovernanceError
from policies.column_rules import ColumnRuleError, describe, intersect_rules, parse_column_rule

NARROWABLE = (
    "columns",
    "row_filter",
    "require",
    "aggregate_only",
    "max_rows",
    "purposes",
    "valid_until",
)


def narrow(base: Mapping[str, Any], narrower: Mapping[str, Any], within: str) -> dict[str, Any]:
    """Return ``base`` with ``narrower`` applied, or raise ``GovernanceError`` naming the key
    of ``narrower`` that reaches outside ``within`` (e.g. "the application")."""
    unknown = sorted(set(narrower) - set(NARROWABLE))
    if unknown:
        raise GovernanceError(
            f"{unknown[0]}: cannot be changed here; you may narrow {', '.join(NARROWABLE)}"
        )
    result = dict(base)
    given = {k: v for k, v in narrower.items() if v is not None}
    if "columns" in given:
        result["columns"] = _columns(base.get("columns"), given["columns"], within)
    if "purposes" in given:
        result["purposes"] = _purposes(base.get("purposes") or [], given["purposes"], within)
    if "max_rows" in given:
        cap = base.get("max_rows")
        if cap is not None and _int(given["max_rows"], "max_rows") > cap:
            raise GovernanceError(f"max_rows: {within} caps rows at {cap}; ask for {cap} or fewer")
        result["max_rows"] = given["max_rows"]
    if "valid_until" in given:
        end = base.get("valid_until")
        wanted = parse_date(given["valid_until"], "valid_until")
        if end is not None and wanted > parse_date(end, "valid_until"):
            raise GovernanceError(
                f"valid_until: {within} ends on {end}; choose that day or earlier"
            )
        result["valid_until"] = given["valid_until"]
    if "aggregate_only" in given:
        result["aggregate_only"] = _aggregate(base.get("aggregate_only"), given, within)
    if "row_filter" in given:
        result["row_filter"] = _and(base.get("row_filter"), given["row_filter"])
    if "require" in given:
        result["require"] = _require(base.get("require") or [], given["require"])
    return result


def _columns(have: Any, want: Any, within: str) -> Any:
    if have == "*":
        return want
    if want == "*":
        raise GovernanceError(f'columns: {within} lists its columns; list those to keep, not "*"')
    if not isinstance(want, Mapping) or not want:
        raise GovernanceError('columns: write a table of column = "mode"')
    for column, text in want.items():
        if column not in have:
            raise GovernanceError(
                f"columns.{column}: not in {within}; keep only its columns: {', '.join(have)}"
            )
        try:
            rule, allowed = parse_column_rule(text), parse_column_rule(have[column])
        except ColumnRuleError as exc:
            raise GovernanceError(f"columns.{column}: {exc}") from None
        if intersect_rules(rule, allowed) != rule:
            raise GovernanceError(
                f"columns.{column}: {text} is looser than {within}'s {describe(allowed)}; "
                "use that mode or a stricter one"
            )
    return dict(want)


def _purposes(have: list[str], want: Any, within: str) -> list[str]:
    if not isinstance(want, list | tuple) or not want:
        raise GovernanceError("purposes: list at least one purpose code")
    extra = [p for p in want if p not in have]
    if extra:
        raise GovernanceError(
            f"purposes: {extra[0]} is not in {within}; choose from {', '.join(have)}"
        )
    return list(want)


def _aggregate(have: Any, given: Mapping[str, Any], within: str) -> Any:
    want = given["aggregate_only"]
    if have is None:
        return want
    if not isinstance(want, Mapping) or want.get("entity") != have.get("entity"):
        raise GovernanceError(
            f"aggregate_only: {within} counts groups by {have.get('entity')}; keep that entity"
        )
    if _int(want.get("min_group"), "aggregate_only.min_group") < have["min_group"]:
        raise GovernanceError(
            f"aggregate_only.min_group: {within} needs groups of at least {have['min_group']}"
        )
    return dict(want)


def _and(first: str | None, second: str) -> str:
    return second if not first else f"({first}) AND ({second})"


def _require(have: list[Any], want: Any) -> list[dict[str, Any]]:
    if not isinstance(want, list | tuple):
        raise GovernanceError("require: write a list: [{column = …, max_values = …}]")
    merged: dict[str, int] = {}
    for entry in [*have, *want]:
        if not isinstance(entry, Mapping) or "column" not in entry:
            raise GovernanceError("require: each entry has a column and optional max_values")
        column, limit = entry["column"], _int(entry.get("max_values", 1), "require.max_values")
        merged[column] = min(limit, merged.get(column, limit))
    return [{"column": c, "max_values": n} for c, n in merged.items()]


def _int(value: Any, key: str) -> int:
    if type(value) is not int:
        raise GovernanceError(f"{key}: must be a whole number")
    return value

"""Required conditions: a table whose grant says ``require = [{column, max_values}]`` may only
be read when the query pins that column in its own SELECT — ``col = constant`` or
``col IN (≤ max_values constants)`` as a top-level AND term of WHERE or of an ON — directly or
through ``col = other.col`` to a pinned column. ORs, tautologies and pins hidden in subqueries
do not count.

>>> # persons p JOIN recipients r ON r.national_id = p.national_id
>>> #   WHERE p.national_id = 'A123456789'     → both tables pinned
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlglot import exp

from policies.decision import AggregateRule
from policies.rewrite.usage import ColumnUse, PolicyViolation, is_constant, top_conjuncts


@dataclass(frozen=True)
class TableScope:
    """One table reference: its alias, the SELECT it is read in, and its requirements."""

    use_id: int
    alias: str
    select: exp.Select | None
    table_name: str
    required: tuple[tuple[str, int], ...]  # (column, max_values)
    aggregate_only: AggregateRule | None = None


def check(tables: Sequence[TableScope], uses: Sequence[ColumnUse]) -> None:
    """Raise PolicyViolation when a required column is not pinned."""
    by_node = {id(u.node): u for u in uses}
    for table in tables:
        if not table.required:
            continue
        if table.select is None:
            raise PolicyViolation(
                f"{table.table_name} must be queried with its required conditions in a plain SELECT"
            )
        pinned = _pinned(table.select, by_node)
        for column, max_values in table.required:
            count = pinned.get((table.use_id, column))
            if count is None:
                raise PolicyViolation(
                    f"{table.table_name} requires {column} to be pinned: add "
                    f"{column} = '…' or {column} IN (…) (at most {max_values} values) to WHERE"
                )
            if count > max_values:
                raise PolicyViolation(
                    f"{column} may be pinned to at most {max_values} values in one query"
                )


def _pinned(select: exp.Select, by_node: dict[int, ColumnUse]) -> dict[tuple[int, str], int]:
    """(table use, column) → number of values it is pinned to, in this SELECT."""
    terms = top_conjuncts(select.args.get("where"))
    for join in select.args.get("joins") or []:
        terms += top_conjuncts(join.args.get("on"))
    pins: dict[tuple[int, str], int] = {}
    edges: list[tuple[tuple[int, str], tuple[int, str]]] = []
    for term in terms:
        node = term.unnest() if isinstance(term, exp.Paren) else term
        if isinstance(node, exp.EQ):
            left, right = _column(node.left, by_node), _column(node.right, by_node)
            if left and right:
                edges.append((left, right))
            elif left and is_constant(node.right):
                _pin(pins, left, 1)
            elif right and is_constant(node.left):
                _pin(pins, right, 1)
        elif isinstance(node, exp.In) and not node.args.get("query"):
            column = _column(node.this, by_node)
            values = node.expressions
            if column and values and all(is_constant(v) for v in values):
                _pin(pins, column, len({v.sql() for v in values}))
    changed = True
    while changed:
        changed = False
        for a, b in edges:
            for source, target in ((a, b), (b, a)):
                if source in pins and (target not in pins or pins[target] > pins[source]):
                    pins[target] = pins[source]
                    changed = True
    return pins


def _pin(pins: dict[tuple[int, str], int], key: tuple[int, str], count: int) -> None:
    pins[key] = min(count, pins.get(key, count))


def _column(node: exp.Expr, by_node: dict[int, ColumnUse]) -> tuple[int, str] | None:
    while isinstance(node, exp.Paren):
        node = node.this
    use = by_node.get(id(node)) if isinstance(node, exp.Column) else None
    return (use.use_id, use.name) if use else None

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
from policies.rewrite.usage import ColumnUse, PolicyViolation, top_conjuncts


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
    """Raise PolicyViolation when a required column is not pinned, or pinned to too many values
    across the whole query (every reference to the same table counts together)."""
    by_node = {id(u.node): u for u in uses}
    pinned: dict[tuple[int, str], frozenset[str]] = {}
    for select in {id(t.select): t.select for t in tables if t.select is not None}.values():
        pinned.update(_pinned(select, by_node))
    values_per_table: dict[tuple[str, str], set[str]] = {}
    for table in tables:
        if not table.required:
            continue
        if table.select is None:
            raise PolicyViolation(
                f"{table.table_name} must be queried with its required conditions in a plain SELECT"
            )
        for column, max_values in table.required:
            values = pinned.get((table.use_id, column))
            if values is None:
                raise PolicyViolation(
                    f"{table.table_name} requires {column} to be pinned: add "
                    f"{column} = '…' or {column} IN (…) (at most {max_values} values) to WHERE"
                )
            seen = values_per_table.setdefault((table.table_name, column), set())
            seen.update(values)
            if len(seen) > max_values:
                raise PolicyViolation(
                    f"{column} may be pinned to at most {max_values} values in one query"
                )


def _pinned(
    select: exp.Select, by_node: dict[int, ColumnUse]
) -> dict[tuple[int, str], frozenset[str]]:
    """(table use, column) → the values it is pinned to in this SELECT.

    WHERE terms and inner-join ON terms pin and link both ways. An outer join's ON restricts
    only which rows of the null-supplying side match: there a pin counts for that side alone,
    and a link carries a pin only from the preserved side to it. Other joins pin nothing.
    """
    pins: dict[tuple[int, str], frozenset[str]] = {}
    edges: list[tuple[tuple[int, str], tuple[int, str]]] = []  # directed: source → target
    _collect(top_conjuncts(select.args.get("where")), by_node, None, pins, edges, both=True)
    preserved: set[str] = set()
    from_ = select.args.get("from_")
    if from_ is not None:
        preserved.add(from_.this.alias_or_name)
    for join in select.args.get("joins") or []:
        alias = join.this.alias_or_name
        side, kind = (join.side or "").upper(), (join.kind or "").upper()
        on = top_conjuncts(join.args.get("on"))
        if not side and kind in ("", "INNER", "CROSS"):
            _collect(on, by_node, None, pins, edges, both=True)
        elif side == "LEFT" and not kind:
            _collect(on, by_node, {alias}, pins, edges, both=False)
        elif side == "RIGHT" and not kind:
            _collect(on, by_node, set(preserved), pins, edges, both=False)
        preserved.add(alias)
    changed = True
    while changed:
        changed = False
        for source, target in edges:
            if source in pins and (target not in pins or len(pins[target]) > len(pins[source])):
                pins[target] = pins[source]
                changed = True
    return pins


def _collect(
    terms: list[exp.Expr],
    by_node: dict[int, ColumnUse],
    restricted: set[str] | None,
    pins: dict[tuple[int, str], frozenset[str]],
    edges: list[tuple[tuple[int, str], tuple[int, str]]],
    both: bool,
) -> None:
    """Pins and links from ``terms``; with ``restricted``, only for those (null-supplying)
    aliases, and links only point into them."""

    def allowed(use: ColumnUse) -> bool:
        return restricted is None or use.alias in restricted

    for term in terms:
        node = term.unnest() if isinstance(term, exp.Paren) else term
        if isinstance(node, exp.EQ):
            left, right = _use(node.left, by_node), _use(node.right, by_node)
            if left and right:
                if both:
                    edges += [(_key(left), _key(right)), (_key(right), _key(left))]
                else:
                    edges += [
                        (_key(a), _key(b))
                        for a, b in ((left, right), (right, left))
                        if allowed(b) and not allowed(a)
                    ]
            elif left and allowed(left) and _scalar(node.right):
                _pin(pins, _key(left), {node.right.sql()})
            elif right and allowed(right) and _scalar(node.left):
                _pin(pins, _key(right), {node.left.sql()})
        elif isinstance(node, exp.In) and not node.args.get("query"):
            column = _use(node.this, by_node)
            values = node.expressions
            if column and allowed(column) and values and all(_scalar(v) for v in values):
                _pin(pins, _key(column), {v.sql() for v in values})


def _pin(
    pins: dict[tuple[int, str], frozenset[str]], key: tuple[int, str], values: set[str]
) -> None:
    current = pins.get(key)
    if current is None or len(values) < len(current):
        pins[key] = frozenset(values)


def _scalar(node: exp.Expr) -> bool:
    """A single literal value: never a list, ANY(…), CASE or function result."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Literal):
        return True
    if isinstance(node, exp.Neg):
        return isinstance(node.this, exp.Literal) and not node.this.is_string
    if isinstance(node, exp.Cast):
        return isinstance(node.this, exp.Literal)
    return False


def _key(use: ColumnUse) -> tuple[int, str]:
    return (use.use_id, use.name)


def _use(node: exp.Expr, by_node: dict[int, ColumnUse]) -> ColumnUse | None:
    while isinstance(node, exp.Paren):
        node = node.this
    return by_node.get(id(node)) if isinstance(node, exp.Column) else None

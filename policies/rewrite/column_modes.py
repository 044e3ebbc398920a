"""Column modes, checked on every reference in the whole query.

``read`` anywhere; ``mask`` anywhere (the value is already masked at the source); ``condition``
only in WHERE/ON, never inside an aggregate or window; ``join`` only as one side of an equality
with another table's column in WHERE/ON.

>>> # SELECT phone FROM household.persons           → "phone is not granted"
>>> # SELECT name FROM persons ORDER BY national_id → "national_id may only be used in conditions"
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from policies.decision import ColumnMode
from policies.rewrite.usage import Clause, ColumnUse, PolicyViolation


def check(uses: Sequence[ColumnUse], typed: dict[int, str] | None = None) -> None:
    """Raise PolicyViolation for the first column used beyond its grant."""
    by_node = {id(u.node): u for u in uses}
    for use in uses:
        rule = use.decision.columns.get(use.name)
        if rule is None:
            raise PolicyViolation(f"{use.name} is not granted")
        if rule.mode is ColumnMode.CONDITION:
            if use.clause not in (Clause.WHERE, Clause.ON) or use.in_aggregate or use.in_window:
                raise PolicyViolation(f"{use.name} may only be used in WHERE or ON conditions")
        elif rule.mode is ColumnMode.JOIN and not _in_equi_join(use, by_node):
            raise PolicyViolation(
                f"{use.name} may only be used in joins (column = another table's column)"
            )


def _in_equi_join(use: ColumnUse, by_node: dict[int, ColumnUse]) -> bool:
    if use.clause not in (Clause.WHERE, Clause.ON) or use.in_aggregate or use.in_window:
        return False
    parent = use.node.parent
    while isinstance(parent, exp.Paren):
        parent = parent.parent
    if not isinstance(parent, exp.EQ):
        return False
    other = parent.right if parent.left is use.node else parent.left
    while isinstance(other, exp.Paren):
        other = other.this
    if not isinstance(other, exp.Column):
        return False
    partner = by_node.get(id(other))
    return partner is not None and partner.use_id != use.use_id

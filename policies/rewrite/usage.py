"""Where in a query each column is used: the facts every policy rule is checked against."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlglot import exp

from policies.decision import AccessDecision


class PolicyViolation(Exception):
    """A query breaks a grant. ``denied`` → access_denied; otherwise invalid_query. The message
    names only what the user typed and the rule broken, never a value."""

    def __init__(self, message: str, denied: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.denied = denied


class Clause(enum.Enum):
    PROJECTION = "projection"  # select list (and anything not listed below)
    WHERE = "where"
    ON = "on"
    GROUP = "group"
    ORDER = "order"
    HAVING = "having"
    QUALIFY = "qualify"


@dataclass(frozen=True)
class ColumnUse:
    """One reference to a catalog column: the node, the table use it binds to, its decision."""

    node: exp.Column
    alias: str  # the alias of the table reference it binds to
    use_id: int  # identifies the table reference (a table read twice has two)
    decision: AccessDecision

    @property
    def name(self) -> str:
        return self.node.name

    @property
    def clause(self) -> Clause:
        return clause_of(self.node)

    @property
    def in_aggregate(self) -> bool:
        return _within_own_select(self.node, exp.AggFunc)

    @property
    def in_window(self) -> bool:
        return _within_own_select(self.node, exp.Window)


def clause_of(node: exp.Expr) -> Clause:
    """The clause of its own SELECT a node sits in (a nested subquery is its own SELECT)."""
    child: exp.Expr = node
    parent = node.parent
    while parent is not None and not isinstance(parent, exp.Select):
        if isinstance(parent, exp.Where):
            return Clause.WHERE
        if isinstance(parent, exp.Join) and child is parent.args.get("on"):
            return Clause.ON
        if isinstance(parent, exp.Group):
            return Clause.GROUP
        if isinstance(parent, exp.Order):
            return Clause.ORDER
        if isinstance(parent, exp.Having):
            return Clause.HAVING
        if isinstance(parent, exp.Qualify):
            return Clause.QUALIFY
        child, parent = parent, parent.parent
    return Clause.PROJECTION


def _within_own_select(node: exp.Expr, kind: type[exp.Expr]) -> bool:
    parent = node.parent
    while parent is not None and not isinstance(parent, exp.Select):
        if isinstance(parent, kind):
            return True
        parent = parent.parent
    return False


def top_conjuncts(condition: exp.Expr | None) -> list[exp.Expr]:
    """The top-level AND terms of a condition."""
    if condition is None:
        return []
    node = condition.this if isinstance(condition, exp.Where) else condition
    if isinstance(node, exp.Paren):
        return top_conjuncts(node.this)
    if isinstance(node, exp.And):
        return top_conjuncts(node.left) + top_conjuncts(node.right)
    return [node]

"""Access policies: grants, decisions and (soon) the query rewrites they imply."""

from policies.authorizer import Authorizer, Grant
from policies.decision import (
    MASK_KINDS,
    AccessDecision,
    AggregateRule,
    ColumnMode,
    ColumnRule,
    Principal,
    RequiredCondition,
    TableRef,
)

__all__ = [
    "MASK_KINDS",
    "AccessDecision",
    "AggregateRule",
    "Authorizer",
    "ColumnMode",
    "ColumnRule",
    "Grant",
    "Principal",
    "RequiredCondition",
    "TableRef",
]

"""Access policies: grants, decisions and (soon) the query rewrites they imply."""

from policies.authorizer import Authorizer, Grant
from policies.decision import AccessDecision, ColumnMode, ColumnRule, Principal, TableRef

__all__ = [
    "AccessDecision",
    "Authorizer",
    "ColumnMode",
    "ColumnRule",
    "Grant",
    "Principal",
    "TableRef",
]

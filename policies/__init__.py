"""Access policies: grants, the one place that decides access, and the decisions it returns."""

from policies.authorizer import Authorizer
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
from policies.denials import Denial, DenialError
from policies.grants import Grant, GrantError, grant_from_spec
from policies.store import GrantRecord, GrantStore, StoreError, StoreUnavailable

__all__ = [
    "MASK_KINDS",
    "AccessDecision",
    "AggregateRule",
    "Authorizer",
    "ColumnMode",
    "ColumnRule",
    "Denial",
    "DenialError",
    "Grant",
    "GrantError",
    "GrantRecord",
    "GrantStore",
    "Principal",
    "RequiredCondition",
    "StoreError",
    "StoreUnavailable",
    "TableRef",
    "grant_from_spec",
]

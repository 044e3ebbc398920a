"""Access policies: grants, the one place that decides access, and the decisions it returns."""

from policies.accounts import (
    ACCOUNT_STATUSES,
    ROLES,
    Account,
    AccountError,
    AccountPolicy,
    AccountStore,
    AuthenticationFailed,
    PasswordExpired,
)
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
    "ACCOUNT_STATUSES",
    "MASK_KINDS",
    "ROLES",
    "AccessDecision",
    "Account",
    "AccountError",
    "AccountPolicy",
    "AccountStore",
    "AggregateRule",
    "AuthenticationFailed",
    "Authorizer",
    "ColumnMode",
    "ColumnRule",
    "Denial",
    "DenialError",
    "Grant",
    "GrantError",
    "GrantRecord",
    "GrantStore",
    "PasswordExpired",
    "Principal",
    "RequiredCondition",
    "StoreError",
    "StoreUnavailable",
    "TableRef",
    "grant_from_spec",
]

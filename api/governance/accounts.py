"""Accounts as the platform administrator runs them: create, suspend, reactivate, disable;
managers and admins list them."""

from __future__ import annotations

from collections.abc import Sequence

from api.governance.context import ADMIN, MANAGER, GovernanceContext, has
from api.governance.errors import GovernanceError, GovernanceForbidden, NotFound
from api.governance.views import AccountView
from policies.accounts import ACCOUNT_STATUSES, AccountError

# The audit action for each status an account is moved to.
_STATUS_ACTIONS = {"active": "reactivate", "suspended": "suspend", "disabled": "account_disable"}


def create(
    ctx: GovernanceContext,
    actor: str,
    name: str,
    agency: str,
    roles: Sequence[str],
    district: str | None = None,
    display_name: str | None = None,
) -> AccountView:
    """Add an account (no password yet; it is set through the API's password change)."""
    _admin(ctx, actor, "creates accounts")
    agency = ctx.require_agency(agency)
    try:
        account = ctx.fed.accounts.create(
            name,
            agency,
            list(roles),
            created_by=actor,
            district=district,
            display_name=display_name,
        )
    except AccountError as exc:
        raise GovernanceError(str(exc)) from None
    ctx.record(
        "account_create",
        actor,
        agency,
        {"user": name},
        {"roles": list(account.roles), "district": district},
    )
    return AccountView.of(account)


def reset_password(ctx: GovernanceContext, actor: str, name: str, password: str) -> AccountView:
    """Set an account's password (a new account's first one, or a forgotten one); the
    account's tokens are revoked. The password itself is never recorded."""
    _admin(ctx, actor, "sets passwords")
    account = ctx.account(name)
    if account is None:
        raise NotFound(f"there is no account {name!r}")
    try:
        ctx.fed.accounts.set_password(name, password, by=actor)
    except AccountError as exc:
        raise GovernanceError(str(exc)) from None
    ctx.fed.accounts.revoke_tokens(name)
    ctx.record("password_change", actor, account.agency, {"user": name}, {"by_admin": True})
    return AccountView.of(account)


def set_status(
    ctx: GovernanceContext, actor: str, name: str, status: str, reason: str
) -> AccountView:
    """Move an account to ``status`` (active, suspended or disabled), saying why."""
    _admin(ctx, actor, "changes an account's status")
    if status not in ACCOUNT_STATUSES:
        raise GovernanceError(f"status: use one of {', '.join(ACCOUNT_STATUSES)}")
    account = ctx.account(name)
    if account is None:
        raise NotFound(f"there is no account {name!r}")
    try:
        updated = ctx.fed.accounts.set_status(name, status, by=actor, reason=reason)
    except AccountError as exc:
        raise GovernanceError(str(exc)) from None
    ctx.record(
        _STATUS_ACTIONS[status],
        actor,
        account.agency,
        {"user": name},
        {"status": status, "previous": account.status, "reason": reason},
    )
    return AccountView.of(updated)


def listing(ctx: GovernanceContext, actor: str, agency: str | None = None) -> list[AccountView]:
    """Accounts (of ``agency``): a platform admin sees all, a manager their agency's."""
    principal = ctx.actor(actor)
    if not has(principal, ADMIN):
        if not has(principal, MANAGER):
            raise GovernanceForbidden("accounts are listed by agency managers and platform admins")
        if agency not in (None, principal.agency):
            raise GovernanceForbidden(f"an agency manager lists only {principal.agency}'s accounts")
        agency = principal.agency
    return [AccountView.of(a) for a in ctx.fed.accounts.list(agency=agency)]


def _admin(ctx: GovernanceContext, actor: str, what: str) -> None:
    if not has(ctx.actor(actor), ADMIN):
        raise GovernanceForbidden(f"only a platform_admin {what}")

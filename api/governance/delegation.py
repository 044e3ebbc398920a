"""Stored grants after approval: a manager hands subsets of the agency grant to staff (child
grants), owners, managers and admins revoke, and each sees the grants that concern them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from api.governance.applications import check_spec
from api.governance.context import ADMIN, MANAGER, OWNER, GovernanceContext, has
from api.governance.errors import GovernanceError, GovernanceForbidden, NotFound
from api.governance.narrowing import narrow
from api.governance.views import GrantView
from policies import GrantError, GrantRecord, Principal, StoreError
from policies.delegation import DelegationError


def delegate(
    ctx: GovernanceContext,
    actor: str,
    parent_id: str,
    user: str,
    *,
    table: str | None = None,
    columns: Any = None,
    purposes: list[str] | None = None,
    row_filter: str | None = None,
    require: Sequence[Mapping[str, Any]] | None = None,
    max_rows: int | None = None,
    valid_until: str | dt.date | None = None,
) -> GrantView:
    """Give ``user`` a child of the agency grant ``parent_id`` (its columns and purposes
    unless narrowed); only the manager of the grant's agency, only to that agency's users."""
    principal = ctx.actor(actor)
    parent = ctx.grant(parent_id)
    agency = parent.spec.get("agency")
    if not parent.active:
        raise GovernanceError(f"grant {parent_id} was revoked; ask the owner for a new one")
    if agency is None or parent.parent is not None:
        raise GovernanceError(f"grant {parent_id} is not an agency grant; only those are handed on")
    if not (has(principal, MANAGER) and principal.agency == agency):
        raise GovernanceForbidden(f"only an agency_manager of {agency} hands on {agency}'s grants")
    account = ctx.account(user)
    if account is None:
        raise NotFound(f"there is no account {user!r}; a platform admin creates it first")
    if account.agency != agency:
        raise GovernanceForbidden(
            f"grants of {agency} go only to {agency}'s users; {user} belongs to {account.agency}"
        )
    if account.status != "active":
        raise GovernanceError(f"account {user} is {account.status}; reactivate it first")
    given: dict[str, Any] = {
        "columns": columns,
        "purposes": purposes,
        "row_filter": row_filter,
        "require": require,
        "max_rows": max_rows,
        "valid_until": None if valid_until is None else str(valid_until),
    }
    given = {k: v for k, v in given.items() if v is not None}
    base = {k: v for k, v in parent.spec.items() if k != "agency"}
    narrow(base, given, "the agency grant")  # refuses anything wider, key by key
    child = {
        "user": user,
        "table": _child_table(parent.spec["table"], table),
        "columns": parent.spec["columns"],
        "purposes": list(parent.spec.get("purposes") or []),
        **given,
    }
    check_spec(ctx, child)
    try:
        record = ctx.fed.authorizer.create_grant(child, created_by=actor, parent=parent_id)
    except (GrantError, DelegationError, StoreError) as exc:
        raise GovernanceError(str(exc)) from None
    try:
        ctx.record(
            "delegate",
            actor,
            agency,
            {"grant": record.id, "parent": parent_id, "user": user, "table": child["table"]},
            {"spec": child},
        )
    except BaseException:
        ctx.fed.authorizer.revoke_grant(record.id, actor, "delegation not recorded")
        raise
    return GrantView.of(record)


def revoke(ctx: GovernanceContext, actor: str, grant_id: str, reason: str) -> tuple[str, ...]:
    """Revoke a stored grant and everything delegated from it; return the revoked ids."""
    principal = ctx.actor(actor)
    record = ctx.grant(grant_id)
    if not record.active:
        raise GovernanceError(f"grant {grant_id} was already revoked by {record.revoked_by}")
    if not isinstance(reason, str) or not reason.strip():
        raise GovernanceError("reason: say why the grant is revoked")
    source = str(record.spec["table"]).split(".", 1)[0]
    owner = ctx.owner_of(source)
    if not may_revoke(ctx, principal, record, owner):
        raise GovernanceForbidden(
            f"grant {grant_id} may be revoked by a data_owner of {owner}, by the agency_manager "
            "of the user holding it, or by a platform_admin"
        )
    revoked = revoke_stored(ctx, actor, grant_id, reason)
    ctx.record(
        "revoke",
        actor,
        _holder_agency(ctx, record),
        {"grant": grant_id, "table": record.spec["table"], "holder": _holder(record)},
        {"reason": reason, "revoked": list(revoked)},
    )
    return revoked


def revoke_stored(
    ctx: GovernanceContext, actor: str, grant_id: str, reason: str
) -> tuple[str, ...]:
    """Revoke in the grant store (cascading to children); no audit event of its own."""
    try:
        return ctx.fed.authorizer.revoke_grant(grant_id, actor, reason)
    except StoreError as exc:
        raise GovernanceError(str(exc)) from None


def may_revoke(
    ctx: GovernanceContext, principal: Principal, record: GrantRecord, owner: str
) -> bool:
    if has(principal, ADMIN):
        return True
    if has(principal, OWNER) and principal.agency == owner:
        return True
    user = record.spec.get("user")
    return has(principal, MANAGER) and user is not None and ctx.agency_of(user) == principal.agency


def listing(ctx: GovernanceContext, actor: str, include_revoked: bool = False) -> list[GrantView]:
    """Stored grants the actor may see: an owner those on their sources, a manager their
    agency's and its users', a platform admin all; anyone their own."""
    principal = ctx.actor(actor)
    records = ctx.fed.authorizer.grant_records(include_revoked=include_revoked)
    if has(principal, ADMIN):
        return [GrantView.of(r) for r in records]
    members = {a.name: a.agency for a in ctx.fed.accounts.list()}
    owners = {name: s.owner for name, s in ctx.fed.loaded.config.sources.items()}

    def visible(record: GrantRecord) -> bool:
        user = record.spec.get("user")
        if user == principal.name:
            return True
        source = str(record.spec["table"]).split(".", 1)[0]
        if has(principal, OWNER) and owners.get(source) == principal.agency:
            return True
        holder = members.get(user) if user else record.spec.get("agency")
        return has(principal, MANAGER) and holder == principal.agency

    return [GrantView.of(r) for r in records if visible(r)]


def _holder(record: GrantRecord) -> str:
    user = record.spec.get("user")
    return f"user:{user}" if user else f"agency:{record.spec.get('agency')}"


def _holder_agency(ctx: GovernanceContext, record: GrantRecord) -> str | None:
    user = record.spec.get("user")
    return ctx.agency_of(user) if user else record.spec.get("agency")


def _child_table(parent_table: str, table: str | None) -> str:
    if table is None or table == parent_table:
        return parent_table
    source, name = parent_table.split(".", 1)
    if name == "*" and isinstance(table, str) and table.startswith(f"{source}."):
        return table
    raise GovernanceError(f"table: {table} is outside the agency grant's {parent_table}")

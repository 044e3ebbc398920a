"""Applications: an agency asks the owning agency for fields, conditions and purposes; the
owner approves (possibly narrowing) — which opens an agency grant — or rejects."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from api.governance.calendar_rules import parse_date
from api.governance.context import ADMIN, MANAGER, OWNER, GovernanceContext, has, new_id
from api.governance.errors import GovernanceError, GovernanceForbidden, NotFound
from api.governance.narrowing import narrow
from api.governance.records import Application, application_from_row, applications_table
from engine.errors import InvalidQuery, SourceUnavailable
from policies import GrantError, StoreError, grant_from_spec

STATUSES = ("pending", "approved", "rejected")


def apply(
    ctx: GovernanceContext,
    actor: str,
    *,
    table: str,
    columns: Any,
    purposes: list[str],
    document_ref: str,
    justification: str,
    agency: str | None = None,
    row_filter: str | None = None,
    require: Sequence[Mapping[str, Any]] | None = None,
    aggregate_only: Mapping[str, Any] | None = None,
    max_rows: int | None = None,
    valid_until: str | dt.date | None = None,
) -> Application:
    """File an application for ``agency`` (the actor's own, for an agency manager)."""
    principal = ctx.actor(actor)
    if has(principal, ADMIN):
        agency = ctx.require_agency(agency)
    elif has(principal, MANAGER):
        if agency not in (None, principal.agency):
            raise GovernanceForbidden(
                f"an agency manager applies only for their own agency ({principal.agency}); "
                "a platform_admin may apply on behalf of another"
            )
        agency = principal.agency
    else:
        raise GovernanceForbidden(
            "only an agency_manager (for their own agency) or a platform_admin files applications"
        )
    document_ref, justification = _text(document_ref), _text(justification)
    if not document_ref:
        raise GovernanceError("document_ref: give the official document number it rests on")
    if not justification:
        raise GovernanceError("justification: say why the agency needs these fields")
    if not isinstance(table, str) or "." not in table:
        raise GovernanceError('table: write "source.table" or "source.*"')
    source = table.split(".", 1)[0]
    ctx.owner_of(source)
    _check_purposes(ctx, purposes)
    if valid_until is not None and parse_date(valid_until, "valid_until") <= ctx.today():
        raise GovernanceError("valid_until: must be a day after today")
    optional = {
        "row_filter": row_filter,
        "require": require,
        "aggregate_only": aggregate_only,
        "max_rows": max_rows,
        "valid_until": None if valid_until is None else str(valid_until),
    }
    spec = {"agency": agency, "table": table, "columns": columns, "purposes": list(purposes)}
    spec.update({k: v for k, v in optional.items() if v is not None})
    check_spec(ctx, spec)
    application_id = new_id("app")
    now = ctx.now()
    with ctx.engine.begin() as conn:
        conn.execute(
            applications_table.insert().values(
                id=application_id,
                agency=agency,
                source=source,
                table_pattern=table,
                spec=json.dumps(spec, ensure_ascii=False),
                document_ref=document_ref,
                justification=justification,
                status="pending",
                applied_by=actor,
                applied_at=now,
            )
        )
        ctx.record(
            "apply",
            actor,
            agency,
            {"application": application_id, "table": table},
            {"spec": spec, "document_ref": document_ref, "justification": justification},
        )
    return get(ctx, application_id)


def approve(
    ctx: GovernanceContext,
    actor: str,
    application_id: str,
    narrowed: Mapping[str, Any] | None = None,
    note: str | None = None,
) -> Application:
    """Approve a pending application, within what it asked for; open the agency grant."""
    application = _decidable(ctx, actor, application_id)
    approved = narrow(application.spec, narrowed or {}, "the application")
    approved["agency"] = application.agency
    end = approved.get("valid_until")
    if end is not None and parse_date(end, "valid_until") <= ctx.today():
        raise GovernanceError("valid_until: must be a day after today")
    check_spec(ctx, approved)
    try:
        record = ctx.fed.authorizer.create_grant(approved, created_by=actor)
    except (GrantError, StoreError) as exc:
        raise GovernanceError(str(exc)) from None
    try:
        with ctx.engine.begin() as conn:
            _decide(conn, ctx, application, actor, "approved", note, approved, record.id)
            ctx.record(
                "approve",
                actor,
                application.agency,
                {"application": application.id, "grant": record.id, "table": application.table},
                {"spec": approved, "narrowed": dict(narrowed or {}), "note": note},
            )
    except BaseException:
        # No decision, no grant: the application stays pending and the grant goes.
        ctx.fed.authorizer.revoke_grant(record.id, actor, "approval not recorded")
        raise
    return get(ctx, application.id)


def reject(ctx: GovernanceContext, actor: str, application_id: str, reason: str) -> Application:
    """Reject a pending application, saying why."""
    application = _decidable(ctx, actor, application_id)
    if not _text(reason):
        raise GovernanceError("reason: say why the application is rejected")
    with ctx.engine.begin() as conn:
        _decide(conn, ctx, application, actor, "rejected", reason, None, None)
        ctx.record(
            "reject",
            actor,
            application.agency,
            {"application": application.id, "table": application.table},
            {"reason": reason},
        )
    return get(ctx, application.id)


def get(ctx: GovernanceContext, application_id: str) -> Application:
    with ctx.engine.connect() as conn:
        row = (
            conn.execute(
                sa.select(applications_table).where(applications_table.c.id == application_id)
            )
            .mappings()
            .first()
        )
    if row is None:
        raise NotFound(f"there is no application {application_id!r}")
    return application_from_row(row)


def listing(ctx: GovernanceContext, actor: str, status: str | None = None) -> list[Application]:
    """Applications the actor may see: an owner those for their sources, a manager their
    agency's, a platform admin all."""
    principal = ctx.actor(actor)
    if status is not None and status not in STATUSES:
        raise GovernanceError(f"status: use one of {', '.join(STATUSES)}")
    query = sa.select(applications_table).order_by(applications_table.c.applied_at)
    if not has(principal, ADMIN):
        if not has(principal, OWNER, MANAGER):
            raise GovernanceForbidden(
                "applications are seen by data owners, agency managers and platform admins"
            )
        owned = [
            name
            for name, source in ctx.fed.loaded.config.sources.items()
            if has(principal, OWNER) and source.owner == principal.agency
        ]
        mine = [principal.agency] if has(principal, MANAGER) else []
        query = query.where(
            sa.or_(applications_table.c.source.in_(owned), applications_table.c.agency.in_(mine))
        )
    if status is not None:
        query = query.where(applications_table.c.status == status)
    with ctx.engine.connect() as conn:
        return [application_from_row(r) for r in conn.execute(query).mappings()]


def check_spec(ctx: GovernanceContext, spec: Mapping[str, Any]) -> None:
    """Raise ``GovernanceError`` unless ``spec`` is a grant the engine can use on its table."""
    try:
        grant = grant_from_spec(spec, "proposed")
    except GrantError as exc:
        raise GovernanceError(str(exc)) from None
    if grant.table_name == "*":
        return
    try:
        ref = ctx.fed.catalog.resolve(grant.source, grant.table_name, grant.table)
    except InvalidQuery:
        raise GovernanceError(f"table: {grant.table} does not exist") from None
    except SourceUnavailable:
        return  # checked again by every decision; an outage should not block paperwork
    present = set(ref.column_names())
    named = [] if grant.columns == "*" else list(grant.columns)
    named += [r.column for r in grant.require]
    named += sorted(grant.row_filter.columns) if grant.row_filter else []
    if grant.aggregate_only:
        named.append(grant.aggregate_only.entity)
    for column in named:
        if column not in present:
            raise GovernanceError(
                f"{column}: {grant.table} has no such column; it has {', '.join(sorted(present))}"
            )


def _decidable(ctx: GovernanceContext, actor: str, application_id: str) -> Application:
    principal = ctx.actor(actor)
    application = get(ctx, application_id)
    owner = ctx.owner_of(application.source)
    if not (has(principal, OWNER) and principal.agency == owner):
        raise GovernanceForbidden(
            f"only a data_owner of {owner}, which owns {application.source}, decides this "
            "application"
        )
    if application.status != "pending":
        raise GovernanceError(
            f"application {application.id} was already {application.status} by "
            f"{application.decided_by}; file a new application to ask again"
        )
    return application


def _decide(
    conn: sa.Connection,
    ctx: GovernanceContext,
    application: Application,
    actor: str,
    status: str,
    note: str | None,
    approved: Mapping[str, Any] | None,
    grant_id: str | None,
) -> None:
    done = conn.execute(
        applications_table.update()
        .where(
            applications_table.c.id == application.id,
            applications_table.c.status == "pending",
        )
        .values(
            status=status,
            decided_by=actor,
            decided_at=ctx.now(),
            decision_note=note,
            approved_spec=None if approved is None else json.dumps(approved, ensure_ascii=False),
            grant_id=grant_id,
        )
    )
    if done.rowcount != 1:
        raise GovernanceError(f"application {application.id} was decided meanwhile")


def _check_purposes(ctx: GovernanceContext, purposes: Any) -> None:
    if not isinstance(purposes, list | tuple) or not purposes:
        raise GovernanceError("purposes: name at least one purpose code")
    known = ctx.purposes()
    for code in purposes:
        if code not in known:
            raise GovernanceError(
                f"purposes: {code!r} is not in the purpose registry; use {', '.join(known)}"
            )


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""

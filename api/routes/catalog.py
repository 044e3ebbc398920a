"""Who am I, what may I use, what sources exist, and is the service up."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from api.context import Ctx, CurrentAccount
from api.routes.auth import password_expires_at
from api.schemas import AccountView, ErrorResponse, Health, SourceView
from engine.errors import FederationError

router = APIRouter(tags=["catalog"])
_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": ErrorResponse}}


@router.get("/v1/me", response_model=AccountView, responses=_ERRORS, summary="Your account")
def me(account: CurrentAccount, ctx: Ctx) -> AccountView:
    return AccountView(
        name=account.name,
        agency=account.agency,
        roles=list(account.roles),
        district=account.district,
        display_name=account.display_name,
        status=account.status,
        departure_date=account.departure_date.isoformat() if account.departure_date else None,
        password_expires_at=password_expires_at(ctx, account),
        purposes=[{"code": p.code, "name": p.name} for p in ctx.fed.loaded.config.purposes],
    )


@router.get(
    "/v1/me/fields",
    responses=_ERRORS,
    summary="Your permitted field set",
    response_description="one entry per column you may use: its mode, mask, row filter, "
    "required conditions, aggregation rule, row cap, purposes, validity and grants",
)
def my_fields(account: CurrentAccount, ctx: Ctx) -> list[dict[str, Any]]:
    return ctx.fed.permitted_fields(account.name)


@router.get(
    "/v1/sources",
    response_model=list[SourceView],
    responses=_ERRORS,
    summary="The sources and their tables",
)
async def sources(account: CurrentAccount, ctx: Ctx) -> list[SourceView]:
    """Names, kinds and owners of the federation's sources (no data). A source that cannot be
    reached right now is listed with `tables: null`."""
    views = []
    for entry in ctx.fed.sources():
        try:
            tables: list[str] | None = await run_in_threadpool(ctx.fed.tables, entry["source"])
        except FederationError:
            tables = None
        views.append(SourceView(**entry, tables=tables))
    return views


@router.get("/healthz", response_model=Health, tags=["service"], summary="Liveness")
def healthz(ctx: Ctx) -> Health:
    """Up when the audit log answers (no audit, no queries)."""
    size = ctx.fed.audit.size() if hasattr(ctx.fed.audit, "size") else 0
    return Health(status="ok", audit_entries=size, sources=len(ctx.fed.loaded.config.sources))

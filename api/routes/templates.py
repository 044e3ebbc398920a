"""Query templates: the forms a clerk fills instead of writing SQL."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path
from starlette.concurrency import run_in_threadpool

from api.context import Ctx, CurrentAccount
from api.routes.query import QUERY_RESPONSES, result_response
from api.schemas import TemplateRequest

router = APIRouter(prefix="/v1/templates", tags=["queries"])


@router.get("", responses=QUERY_RESPONSES, summary="The query templates you may run")
def list_templates(account: CurrentAccount, ctx: Ctx) -> list[dict[str, Any]]:
    """Each with its typed parameters and the purposes under which your grants cover it."""
    return ctx.fed.templates(account.name)


@router.post(
    "/{name}",
    responses=QUERY_RESPONSES,
    summary="Run a template for a stated case",
)
async def run_template(
    name: Annotated[str, Path(max_length=64)],
    body: TemplateRequest,
    account: CurrentAccount,
    ctx: Ctx,
    accept: Annotated[str | None, Header()] = None,
) -> Any:
    """Binds the parameters as typed values (a national ID must pass its check digit) and runs
    the query under your grants; recorded in the audit log like any query."""
    purpose = body.purpose.model_dump() if body.purpose is not None else None
    table, report = await run_in_threadpool(
        ctx.fed.run_template, name, dict(body.params), account.name, purpose
    )
    return result_response(table, report, body.max_rows, ctx, accept)

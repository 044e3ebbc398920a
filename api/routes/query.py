"""Queries and plans: the engine's `query` and `explain` for the signed-in user."""

from __future__ import annotations

from typing import Annotated, Any

import pyarrow as pa
from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.arrow_http import ARROW_STREAM, column_types, ipc_stream, json_rows, wants_arrow
from api.context import Ctx, CurrentAccount
from api.errors import ApiError
from api.schemas import ErrorResponse, ExplainResponse, QueryRequest, QueryResponse, ScanBody
from engine import QueryReport

router = APIRouter(prefix="/v1", tags=["queries"])
QUERY_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "not a query civicfed will run"},
    401: {"model": ErrorResponse, "description": "no valid token"},
    403: {"model": ErrorResponse, "description": "beyond the user's grants"},
    422: {"model": ErrorResponse, "description": "the purpose envelope is missing or invalid"},
    503: {"model": ErrorResponse, "description": "a source failed or timed out"},
}


def _checked(body: QueryRequest, ctx: Ctx) -> dict[str, Any] | None:
    if len(body.sql) > ctx.settings.max_sql_chars:
        raise ApiError(
            "invalid_request",
            f"the SQL is longer than {ctx.settings.max_sql_chars} characters",
        )
    return body.purpose.model_dump() if body.purpose is not None else None


@router.post(
    "/query",
    response_model=QueryResponse,
    responses={
        **QUERY_RESPONSES,
        200: {
            "description": "JSON rows, or an Arrow IPC stream when asked for with "
            f"`Accept: {ARROW_STREAM}` (query id and row count in the X-Civicfed-* headers)",
            "content": {ARROW_STREAM: {}},
        },
    },
    summary="Run a query for a stated case",
)
async def run_query(
    body: QueryRequest,
    account: CurrentAccount,
    ctx: Ctx,
    accept: Annotated[str | None, Header()] = None,
) -> Any:
    """Runs one SELECT as the signed-in user under their grants, records it in the audit log
    with its case, and returns the rows (at most the server's per-request cap)."""
    purpose = _checked(body, ctx)
    table, report = await run_in_threadpool(ctx.fed.run, body.sql, account.name, purpose)
    return result_response(table, report, body.max_rows, ctx, accept)


def result_response(
    table: pa.Table, report: QueryReport, max_rows: int | None, ctx: Ctx, accept: str | None
) -> Response:
    """A query's result as JSON rows or an Arrow IPC stream, capped at the request's (and the
    server's) row limit, with the query id and counts in X-Civicfed-* headers."""
    limit = ctx.settings.max_rows_per_request
    cap = min(max_rows or limit, limit)
    truncated = report.stats.truncated or table.num_rows > cap
    table = table.slice(0, cap)
    headers = {
        "X-Civicfed-Query-Id": report.query_id,
        "X-Civicfed-Row-Count": str(table.num_rows),
        "X-Civicfed-Truncated": str(truncated).lower(),
        "X-Civicfed-Suppressed-Groups": str(report.stats.suppressed_groups),
    }
    if wants_arrow(accept):
        return StreamingResponse(ipc_stream(table), media_type=ARROW_STREAM, headers=headers)
    payload = {
        "query_id": report.query_id,
        "columns": column_types(table),
        "rows": json_rows(table),
        "row_count": table.num_rows,
        "truncated": truncated,
        "suppressed_groups": report.stats.suppressed_groups,
    }
    return JSONResponse(payload, headers=headers)


@router.post(
    "/explain",
    response_model=ExplainResponse,
    responses=QUERY_RESPONSES,
    summary="Show how a query would run, without reading data",
)
async def explain(body: QueryRequest, account: CurrentAccount, ctx: Ctx) -> ExplainResponse:
    """The rewritten SQL and, per source, the SQL sent and the filters kept above it."""
    purpose = _checked(body, ctx)
    plan = await run_in_threadpool(ctx.fed.explain, body.sql, account.name, purpose)
    return ExplainResponse(
        plan=str(plan),
        executed_sql=plan.executed_sql,
        scans=[
            ScanBody(
                source=s.source,
                table=s.table,
                statement=s.statement,
                filters=[
                    {"sql": f.sql, "verdict": f.verdict, "reason": f.reason} for f in s.filters
                ],
            )
            for s in plan.scans
        ],
        max_rows=plan.max_rows,
    )

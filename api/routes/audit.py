"""The auditor's endpoints: the month's sample, anomaly flags, review steps, verification."""

from __future__ import annotations

from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from api.arrow_http import json_value
from api.context import Ctx, CurrentAccount, require_role
from api.errors import ApiError
from api.schemas import ErrorResponse
from api.schemas_governance import AuditReviewBody
from audit import AuditLog, Reviewer, record_review, verify_log
from audit.frame import Month
from audit.monthly import analyse_month
from audit.sampling import record_draw
from audit.sampling import sample as draw_sample
from audit.verify import load_verifier

router = APIRouter(prefix="/v1/audit", tags=["audit"])
_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse} for status in (400, 401, 403, 404)
}
_AUDITORS = ("auditor", "platform_admin")
_SAMPLE_COLUMNS = (
    "seq", "local_time", "query_id", "user", "agency", "sources", "outcome", "case_no",
    "document_no", "case_name", "purpose_code", "legal_basis", "sql", "flagged", "drawn_for",
    "reasons",
)  # fmt: skip
_CASE_COLUMNS = ("seq", "document_no", "case_name", "legal_basis", "sql")
MonthParam = Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", examples=["2026-11"])]


def _log(ctx: Ctx) -> AuditLog:
    log = ctx.fed.audit
    if not isinstance(log, AuditLog):
        raise ApiError("not_found", "this deployment keeps no audit log the API can read")
    return log


def _rows(frame: pl.DataFrame, columns: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    if columns is not None:
        frame = frame.select([c for c in columns if c in frame.columns])
    return [{k: json_value(v) for k, v in row.items()} for row in frame.to_dicts()]


@router.get("/sample", responses=_ERRORS, summary="The month's review sample")
def sample(
    account: CurrentAccount,
    ctx: Ctx,
    month: MonthParam,
    seed: Annotated[str, Query(min_length=1, max_length=64)],
) -> dict[str, Any]:
    """At least ceil(5%) of each (agency, source)'s queries, minimum 1, plus every flagged
    query; the same seed gives the same picks. The draw is recorded in the audit log."""
    require_role(account, *_AUDITORS)
    log = _log(ctx)
    the_month = Month.parse(month)
    analysed = analyse_month(log, the_month)
    picks, groups = draw_sample(analysed.queries, analysed.flags, seed)
    # Each pick with its whole case and SQL, so the reviewer reads it in one place.
    case = analysed.queries.select([c for c in _CASE_COLUMNS if c in analysed.queries.columns])
    picks = picks.join(case, on="seq", how="left")
    record_draw(log, the_month.label, seed, account.name, picks)
    return {
        "month": the_month.label,
        "seed": seed,
        "picks": _rows(picks, _SAMPLE_COLUMNS),
        "groups": _rows(groups),
    }


@router.get("/anomalies", responses=_ERRORS, summary="The month's anomaly flags")
def anomalies(account: CurrentAccount, ctx: Ctx, month: MonthParam) -> list[dict[str, Any]]:
    require_role(account, *_AUDITORS)
    return _rows(analyse_month(_log(ctx), Month.parse(month)).flags)


@router.get("/queries/{query_id}", responses=_ERRORS, summary="A query and its review")
def query_events(query_id: str, account: CurrentAccount, ctx: Ctx) -> list[dict[str, Any]]:
    require_role(account, *_AUDITORS)
    events = _log(ctx).events_for(query_id)
    if not events:
        raise ApiError("not_found", f"no query {query_id} in the audit log")
    return [json_value(e) for e in events]


@router.post("/reviews", status_code=201, responses=_ERRORS, summary="Record a review step")
def review(body: AuditReviewBody, account: CurrentAccount, ctx: Ctx) -> dict[str, Any]:
    """A finding with its verdict, evidence requested or received, or the agency head's
    sign-off; nobody reviews their own query."""
    reviewer = Reviewer(account.name, account.agency, tuple(account.roles))
    seq = record_review(
        _log(ctx),
        body.query_id,
        reviewer,
        body.step,
        finding=body.finding,
        verdict=body.verdict,
        evidence=body.evidence,
        note=body.note,
    )
    return {"seq": seq, "query_id": body.query_id, "step": body.step}


@router.get("/verify", responses=_ERRORS, summary="Verify the whole audit log")
async def verify(account: CurrentAccount, ctx: Ctx) -> dict[str, Any]:
    """Recomputes every entry's hash, the chain and the latest signed checkpoint."""
    require_role(account, *_AUDITORS)
    data_dir = ctx.fed.loaded.data_dir
    result = await run_in_threadpool(verify_log, data_dir, load_verifier(data_dir))
    return {"ok": result.ok, "message": result.message()}

"""The procedure online: applications, grants and delegation, reviews, lifecycle, accounts.

Thin: each handler names the signed-in account as the actor and calls the governance service,
which checks roles, writes the metadata database and the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.context import Ctx, CurrentAccount
from api.errors import ApiError
from api.governance import Governance
from api.schemas import ErrorResponse
from api.schemas_governance import (
    AccountBody,
    ApplicationBody,
    ApprovalBody,
    CampaignBody,
    DelegationBody,
    DepartureBody,
    EvidenceAnswerBody,
    EvidenceRequestBody,
    PasswordBody,
    ReasonBody,
    ReviewDecisionBody,
    StatusBody,
)
from audit.frame import Month

router = APIRouter(prefix="/v1", tags=["governance"])
_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse} for status in (400, 401, 403, 404)
}
Json = dict[str, Any]


def _service(ctx: Ctx) -> Governance:
    return ctx.governance


def _dicts(records: Iterable[Any]) -> list[Json]:
    return [r.to_dict() for r in records]


def _month(text: str) -> Month:
    try:
        return Month.parse(text)
    except ValueError as exc:
        raise ApiError("invalid_request", f"month: {exc}") from None


# -- applications ------------------------------------------------------------------------------
@router.get("/applications", responses=_ERRORS, summary="Applications you may see")
def list_applications(
    account: CurrentAccount,
    ctx: Ctx,
    status: Annotated[str | None, Query(max_length=16)] = None,
) -> list[Json]:
    """Owners see applications for their sources; managers their agency's."""
    return _dicts(_service(ctx).applications(account.name, status))


@router.post("/applications", status_code=201, responses=_ERRORS, summary="Apply for data")
def apply(body: ApplicationBody, account: CurrentAccount, ctx: Ctx) -> Json:
    """An agency manager applies to the owner for fields, conditions and purposes."""
    spec = body.model_dump(exclude_none=True)
    return _service(ctx).apply(account.name, **spec).to_dict()


@router.get("/applications/{application_id}", responses=_ERRORS, summary="One application")
def get_application(application_id: str, account: CurrentAccount, ctx: Ctx) -> Json:
    service = _service(ctx)
    visible = {a.id for a in service.applications(account.name)}
    if application_id not in visible:
        raise ApiError("not_found", f"no application {application_id} that you may see")
    return service.application(application_id).to_dict()


@router.post(
    "/applications/{application_id}/approve", responses=_ERRORS, summary="Approve (or narrow)"
)
def approve(application_id: str, body: ApprovalBody, account: CurrentAccount, ctx: Ctx) -> Json:
    """The owner approves, possibly narrower; the grant opens to the applying agency."""
    return _service(ctx).approve(account.name, application_id, body.narrowed, body.note).to_dict()


@router.post("/applications/{application_id}/reject", responses=_ERRORS, summary="Reject")
def reject(application_id: str, body: ReasonBody, account: CurrentAccount, ctx: Ctx) -> Json:
    return _service(ctx).reject(account.name, application_id, body.reason).to_dict()


# -- grants ------------------------------------------------------------------------------------
@router.get("/grants", responses=_ERRORS, summary="Stored grants you may see")
def list_grants(account: CurrentAccount, ctx: Ctx, include_revoked: bool = False) -> list[Json]:
    return _dicts(_service(ctx).grants(account.name, include_revoked))


@router.post("/grants/{grant_id}/delegate", status_code=201, responses=_ERRORS, summary="Delegate")
def delegate(grant_id: str, body: DelegationBody, account: CurrentAccount, ctx: Ctx) -> Json:
    """The agency's manager hands one of its users a subset of the agency's grant."""
    spec = body.model_dump(exclude_none=True)
    user = spec.pop("user")
    return _service(ctx).delegate(account.name, grant_id, user, **spec).to_dict()


@router.post("/grants/{grant_id}/revoke", responses=_ERRORS, summary="Revoke (with children)")
def revoke(grant_id: str, body: ReasonBody, account: CurrentAccount, ctx: Ctx) -> Json:
    revoked = _service(ctx).revoke(account.name, grant_id, body.reason)
    return {"revoked": list(revoked)}


# -- reviews and lifecycle ---------------------------------------------------------------------
@router.get("/reviews", responses=_ERRORS, summary="Review campaigns")
def list_campaigns(
    account: CurrentAccount, ctx: Ctx, agency: Annotated[str | None, Query(max_length=64)] = None
) -> list[Json]:
    return _dicts(_service(ctx).campaigns(account.name, agency))


@router.get("/reviews/due", responses=_ERRORS, summary="Agencies due a review")
def reviews_due(account: CurrentAccount, ctx: Ctx) -> list[Json]:
    return _dicts(_service(ctx).reviews_due())


@router.post("/reviews", status_code=201, responses=_ERRORS, summary="Start a review campaign")
def start_review(body: CampaignBody, account: CurrentAccount, ctx: Ctx) -> Json:
    """Lists each of the agency's users' rights with their last use, to keep or revoke."""
    return _service(ctx).start_review(account.name, body.agency).to_dict()


@router.get("/reviews/{campaign_id}", responses=_ERRORS, summary="One campaign with its items")
def get_campaign(campaign_id: str, account: CurrentAccount, ctx: Ctx) -> Json:
    service = _service(ctx)
    if campaign_id not in {c.id for c in service.campaigns(account.name)}:
        raise ApiError("not_found", f"no review campaign {campaign_id} that you may see")
    return service.campaign(campaign_id).to_dict()


@router.post(
    "/reviews/{campaign_id}/items/{item_id}", responses=_ERRORS, summary="Keep or revoke a right"
)
def decide_review(
    campaign_id: str, item_id: str, body: ReviewDecisionBody, account: CurrentAccount, ctx: Ctx
) -> Json:
    item = _service(ctx).decide_review(account.name, campaign_id, item_id, body.decision, body.note)
    return item.to_dict()


@router.post("/lifecycle/sweep", responses=_ERRORS, summary="Suspend dormant rights, offboard")
def sweep(account: CurrentAccount, ctx: Ctx) -> list[Json]:
    """Runs now what the daily job runs: rights unused for 180 days are suspended; leavers
    lose their rights 10 working days before their departure date."""
    return _dicts(_service(ctx).sweep(account.name))


# -- accounts ----------------------------------------------------------------------------------
@router.get("/accounts", responses=_ERRORS, summary="Accounts you may see")
def list_accounts(
    account: CurrentAccount, ctx: Ctx, agency: Annotated[str | None, Query(max_length=64)] = None
) -> list[Json]:
    return _dicts(_service(ctx).accounts(account.name, agency))


@router.post("/accounts", status_code=201, responses=_ERRORS, summary="Create an account")
def create_account(body: AccountBody, account: CurrentAccount, ctx: Ctx) -> Json:
    if body.password is not None:
        # Checked first, so a refused password leaves no account behind.
        ctx.fed.accounts.check_new_password(body.password)
    service = _service(ctx)
    created = service.create_account(
        account.name, body.name, body.agency, body.roles, body.district, body.display_name
    )
    if body.password is not None:
        service.reset_password(account.name, body.name, body.password)
    return created.to_dict()


@router.post("/accounts/{name}/password", responses=_ERRORS, summary="Set a password (admin)")
def reset_password(name: str, body: PasswordBody, account: CurrentAccount, ctx: Ctx) -> Json:
    """A new account's first password or a forgotten one; the account's tokens are revoked."""
    return _service(ctx).reset_password(account.name, name, body.password).to_dict()


@router.post("/accounts/{name}/status", responses=_ERRORS, summary="Suspend or reactivate")
def set_status(name: str, body: StatusBody, account: CurrentAccount, ctx: Ctx) -> Json:
    return _service(ctx).set_account_status(account.name, name, body.status, body.reason).to_dict()


@router.post("/accounts/{name}/departure", responses=_ERRORS, summary="Set a departure date")
def set_departure(name: str, body: DepartureBody, account: CurrentAccount, ctx: Ctx) -> Json:
    return _service(ctx).set_departure(account.name, name, body.departure_date).to_dict()


# -- owners' oversight -------------------------------------------------------------------------
@router.get("/usage/{source}", responses=_ERRORS, summary="Who used your source in a month")
def source_usage(
    source: str,
    account: CurrentAccount,
    ctx: Ctx,
    month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", examples=["2026-11"])],
) -> list[Json]:
    the_month = _month(month)
    return _dicts(_service(ctx).source_usage(account.name, source, the_month.start, the_month.end))


@router.post("/evidence", status_code=201, responses=_ERRORS, summary="Request evidence")
def request_evidence(body: EvidenceRequestBody, account: CurrentAccount, ctx: Ctx) -> Json:
    """A data owner asks the querying agency for the evidence behind a sampled query."""
    return _service(ctx).request_evidence(account.name, body.query_id, body.what).to_dict()


@router.get("/evidence", responses=_ERRORS, summary="Open evidence requests for your agency")
def open_evidence(account: CurrentAccount, ctx: Ctx) -> list[Json]:
    return _dicts(_service(ctx).evidence_requests(account.agency))


@router.post("/evidence/{query_id}/answer", responses=_ERRORS, summary="Answer a request")
def answer_evidence(
    query_id: str, body: EvidenceAnswerBody, account: CurrentAccount, ctx: Ctx
) -> Json:
    return _service(ctx).answer_evidence(account.name, query_id, body.evidence).to_dict()

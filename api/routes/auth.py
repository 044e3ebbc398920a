"""Signing in: tokens for passwords, password changes, signing out. Each attempt is audited."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from api.context import Ctx, CurrentAccount, auth_error
from api.errors import ApiError
from api.schemas import ErrorResponse, PasswordChange, TokenRequest, TokenResponse
from audit import record_governance
from audit.log import now_utc
from policies.accounts import Account, AccountError, AuthenticationFailed, PasswordExpired

router = APIRouter(prefix="/v1/auth", tags=["auth"])
_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse} for status in (400, 401, 403)
}


def password_expires_at(ctx: Ctx, account: Account) -> str | None:
    expires = ctx.fed.accounts.password_expires_at(account)
    return expires.isoformat() if expires is not None else None


def _record_sign_in(ctx: Ctx, username: str, outcome: str, reason: str | None = None) -> None:
    account = ctx.fed.account(username)
    ctx.fed.audit.append(
        {
            "type": "auth",
            "time": now_utc(),
            "action": "sign_in",
            # An unknown name is recorded as given: auditors look for guessing.
            "actor": username[:128],
            "agency": account.agency if account else None,
            "outcome": outcome,
            "reason": reason,
        }
    )


@router.post(
    "/token",
    response_model=TokenResponse,
    responses=_ERRORS,
    summary="Exchange a user name and password for a bearer token",
)
def issue_token(body: TokenRequest, ctx: Ctx) -> TokenResponse:
    """Sign in. Repeated failures lock the account for a while; an expired password must be
    changed with `POST /v1/auth/password` first."""
    accounts = ctx.fed.accounts
    try:
        account = accounts.authenticate(body.username, body.password)
    except AuthenticationFailed as exc:
        _record_sign_in(ctx, body.username, "refused", exc.reason)
        raise auth_error(exc) from None
    token, expires = accounts.issue_token(account.name)
    _record_sign_in(ctx, account.name, "ok")
    return TokenResponse(
        access_token=token,
        expires_at=expires.isoformat(),
        password_expires_at=password_expires_at(ctx, account),
    )


@router.post(
    "/password",
    status_code=204,
    responses=_ERRORS,
    summary="Change a password (also when it has expired)",
)
def change_password(body: PasswordChange, ctx: Ctx) -> Response:
    """Needs the current password, not a token, so an expired password can be replaced. The
    new one must be long enough and differ from the recent ones. Existing tokens are revoked."""
    accounts = ctx.fed.accounts
    try:
        # Checking the current password the way sign-in does counts failures towards lockout.
        accounts.authenticate(body.username, body.current_password)
    except PasswordExpired:
        pass  # the right password, and the very reason to be here
    except AuthenticationFailed as exc:
        _record_sign_in(ctx, body.username, "refused", exc.reason)
        raise auth_error(exc) from None
    try:
        accounts.set_password(body.username, body.new_password, by=body.username)
    except AccountError as exc:
        raise ApiError("invalid_request", str(exc)) from None
    accounts.revoke_tokens(body.username)
    account = ctx.fed.account(body.username)
    record_governance(
        ctx.fed.audit,
        "password_change",
        body.username,
        account.agency if account else None,
        {"user": body.username},
    )
    return Response(status_code=204)


@router.post("/logout", status_code=204, responses=_ERRORS, summary="Revoke your tokens")
def logout(account: CurrentAccount, ctx: Ctx) -> Response:
    ctx.fed.accounts.revoke_tokens(account.name)
    return Response(status_code=204)

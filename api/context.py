"""What every request handler reaches: the federation, the API limits, the signed-in account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiError
from api.governance import Governance
from engine import Federation
from engine.config import ApiSettings
from policies.accounts import Account, AuthenticationFailed, PasswordExpired

_bearer = HTTPBearer(auto_error=False, description="a token from POST /v1/auth/token")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


@dataclass
class ApiContext:
    fed: Federation
    settings: ApiSettings
    governance: Governance


def context(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.ctx
    return ctx


Ctx = Annotated[ApiContext, Depends(context)]


def auth_error(exc: AuthenticationFailed) -> ApiError:
    """The API error for a failed sign-in or token; never says whether the account exists."""
    if isinstance(exc, PasswordExpired):
        return ApiError(
            "password_expired",
            "your password has expired; change it with POST /v1/auth/password",
        )
    code = {
        "locked": "account_locked",
        "inactive": "account_inactive",
        "expired_token": "token_expired",
    }.get(exc.reason, "invalid_credentials")
    return ApiError(code, str(exc), headers=_CHALLENGE)


def current_account(
    ctx: Ctx,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Account:
    """The account behind the request's bearer token, or a 401."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(
            "unauthenticated",
            "sign in first: send Authorization: Bearer <token> from POST /v1/auth/token",
            headers=_CHALLENGE,
        )
    try:
        return ctx.fed.accounts.resolve_token(credentials.credentials)
    except AuthenticationFailed as exc:
        raise auth_error(exc) from None


CurrentAccount = Annotated[Account, Depends(current_account)]


def require_role(account: Account, *roles: str) -> None:
    """Refuse (403) an account holding none of ``roles``."""
    if not set(roles) & set(account.roles):
        raise ApiError("forbidden", f"this needs one of the roles: {', '.join(roles)}")

"""The one place that turns errors into HTTP: a status per error code, one JSON error shape.

Every error the API returns is ``{"error": {"code": …, "message": …, "query_id": …}}``. Bad
input is always a 4xx: only a failure that is not the caller's fault (``internal_error``) is a
500, and its message never carries details — those go to the audit log.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.governance import GovernanceError, GovernanceForbidden, NotFound
from audit.errors import ReviewError
from engine.errors import FederationError
from policies import StoreError, StoreUnavailable
from policies.accounts import AccountError

STATUS = {
    "invalid_query": 400,
    "invalid_request": 400,
    "unauthenticated": 401,
    "invalid_credentials": 401,
    "token_expired": 401,
    "account_locked": 401,
    "account_inactive": 401,
    "password_expired": 403,
    "access_denied": 403,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "not_acceptable": 406,
    "conflict": 409,
    "request_too_large": 413,
    "unsupported_media_type": 415,
    "purpose_required": 422,
    "internal_error": 500,
    "source_unavailable": 503,
    "service_unavailable": 503,
}
_BY_STATUS = {
    400: "invalid_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "request_too_large",
    415: "unsupported_media_type",
}


class ApiError(Exception):
    """An error raised by the HTTP layer itself (authentication, limits, governance input)."""

    def __init__(self, code: str, message: str, *, headers: dict[str, str] | None = None) -> None:
        if code not in STATUS:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.headers = headers

    @property
    def status(self) -> int:
        return STATUS[self.code]


def error_body(code: str, message: str, query_id: str | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "query_id": query_id}}


def error_response(
    code: str, message: str, query_id: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        error_body(code, message, query_id), status_code=STATUS[code], headers=headers
    )


def federation_error_response(error: FederationError) -> JSONResponse:
    code = error.code if error.code in STATUS else "internal_error"
    return error_response(code, error.message, error.query_id)


def _validation_message(exc: RequestValidationError) -> tuple[str, str]:
    """(code, message) for a request body FastAPI could not parse: a missing or malformed
    purpose is ``purpose_required`` (422); anything else is ``invalid_request`` (400)."""
    parts = []
    code = "invalid_request"
    for err in exc.errors()[:5]:
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        if loc and loc[0] == "purpose":
            code = "purpose_required"
        where = ".".join(loc) or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return code, "the request is not valid: " + "; ".join(parts)


def _fixed(code: str) -> Any:
    async def handler(_: Request, exc: Exception) -> JSONResponse:
        return error_response(code, str(exc))

    return handler


def install(app: FastAPI) -> None:
    """Register the handlers that give every error the one shape."""

    @app.exception_handler(FederationError)
    async def _federation(_: Request, exc: FederationError) -> JSONResponse:
        return federation_error_response(exc)

    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.code, exc.message, headers=exc.headers)

    # The governance service's refusals: bad input, a role that may not, something missing.
    for error_type, code in (
        (GovernanceError, "invalid_request"),
        (AccountError, "invalid_request"),
        (ReviewError, "invalid_request"),
        (StoreError, "invalid_request"),
        (GovernanceForbidden, "forbidden"),
        (NotFound, "not_found"),
    ):
        app.add_exception_handler(error_type, _fixed(code))

    @app.exception_handler(StoreUnavailable)
    async def _store_down(_: Request, exc: StoreUnavailable) -> JSONResponse:
        return error_response(
            "service_unavailable", "the metadata database cannot be reached; try again shortly"
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        code, message = _validation_message(exc)
        return error_response(code, message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _BY_STATUS.get(exc.status_code, "invalid_request")
        message = exc.detail if isinstance(exc.detail, str) else "the request cannot be served"
        return error_response(code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        # The text of an unexpected exception may quote data; it never reaches the caller.
        return error_response("internal_error", "the request could not be served")

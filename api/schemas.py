"""Request and response bodies of the HTTP API, with the examples OpenAPI shows."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

_CLERK_PURPOSE: JsonDict = {
    "document_no": "北市社助字第1133012345號",
    "case_no": "113-0042",
    "case_name": "低收入戶資格複查",
    "purpose": "welfare-eligibility",
    "legal_basis": "社會救助法第4條",
}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(BaseModel):
    code: str = Field(examples=["access_denied"])
    message: str = Field(examples=["household.persons.phone is not in your grant"])
    query_id: str | None = Field(default=None, examples=["5f0c0b8e9d3a4c1e8f2b7a6d5c4b3a21"])


class ErrorResponse(BaseModel):
    """The one error shape every endpoint returns."""

    error: ErrorDetail


class TokenRequest(_Body):
    username: str = Field(min_length=1, max_length=128, examples=["clerk_daan"])
    password: str = Field(min_length=1, max_length=1024, examples=["correct horse battery"])


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: str = Field(description="UTC, ISO 8601", examples=["2026-11-26T17:00:00+00:00"])
    password_expires_at: str | None = Field(
        default=None, description="when the password must be changed (UTC, ISO 8601)"
    )


class PasswordChange(_Body):
    username: str = Field(min_length=1, max_length=128, examples=["clerk_daan"])
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


class PurposeBody(_Body):
    """The case a query serves: case_name and purpose, and a document_no or case_no."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_CLERK_PURPOSE]})

    case_name: str | None = Field(default=None, max_length=200)
    purpose: str | None = Field(default=None, max_length=200)
    document_no: str | None = Field(default=None, max_length=200)
    case_no: str | None = Field(default=None, max_length=200)
    legal_basis: str | None = Field(default=None, max_length=200)


class QueryRequest(_Body):
    """A SELECT and the case it serves."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "sql": "SELECT p.name, r.program FROM household.persons p "
                    "JOIN welfare.recipients r ON r.national_id = p.national_id "
                    "WHERE p.national_id = 'A123456789'",
                    "purpose": _CLERK_PURPOSE,
                }
            ]
        },
    )

    sql: str = Field(min_length=1, description="one SELECT in DuckDB's SQL dialect")
    purpose: PurposeBody | None = Field(
        default=None, description="required; a missing or incomplete purpose is a 422"
    )
    max_rows: int | None = Field(
        default=None, ge=1, description="return at most this many rows (the server caps it too)"
    )


class TemplateRequest(_Body):
    """A template's parameter values and the case the lookup serves."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"params": {"national_id": "A123456789"}, "purpose": _CLERK_PURPOSE}]
        },
    )

    params: dict[str, str | int] = Field(default_factory=dict, max_length=20)
    purpose: PurposeBody | None = Field(
        default=None, description="required; a missing or incomplete purpose is a 422"
    )
    max_rows: int | None = Field(default=None, ge=1)


class Column(BaseModel):
    name: str
    type: str


class QueryResponse(BaseModel):
    query_id: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    row_count: int
    truncated: bool = Field(
        description="true when the grant's row cap or this request's cap cut the result"
    )
    suppressed_groups: int = Field(
        0, description="groups removed because they had too few people (aggregate-only grants)"
    )


class ScanBody(BaseModel):
    source: str
    table: str
    statement: str = Field(description="the SQL sent to the source")
    filters: list[dict[str, Any]]


class ExplainResponse(BaseModel):
    plan: str = Field(description="the readable plan (the same text as `civicfed explain`)")
    executed_sql: str
    scans: list[ScanBody]
    max_rows: int | None


class AccountView(BaseModel):
    name: str
    agency: str
    roles: list[str]
    district: str | None = None
    display_name: str | None = None
    status: str
    departure_date: str | None = None
    password_expires_at: str | None = None
    purposes: list[dict[str, str]] = Field(
        default_factory=list, description="the purpose registry (code and name)"
    )


class SourceView(BaseModel):
    source: str
    kind: str
    owner: str
    description: str | None = None
    tables: list[str] | None = Field(
        default=None, description="null when the source cannot be reached right now"
    )


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    audit_entries: int
    sources: int

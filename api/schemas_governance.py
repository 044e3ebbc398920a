"""Request bodies of the governance and audit endpoints, with the examples OpenAPI shows."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

_NAME = r"^[A-Za-z_][A-Za-z0-9_.-]*$"
_TEXT = Field(min_length=1, max_length=2000)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RequireBody(_Body):
    column: str = Field(min_length=1, max_length=128)
    max_values: int = Field(default=1, ge=1, le=1000)


class AggregateBody(_Body):
    min_group: int = Field(ge=2, le=1_000_000)
    entity: str = Field(min_length=1, max_length=128)


class ApplicationBody(_Body):
    """What an agency asks a data owner for (DESIGN.md §4 grant keys) and why."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "table": "household.persons",
                    "columns": {"national_id": "read", "name": "read", "district": "read"},
                    "row_filter": "district = '大安區'",
                    "require": [{"column": "national_id", "max_values": 10}],
                    "purposes": ["welfare-eligibility"],
                    "valid_until": "2027-05-31",
                    "document_ref": "北市安社字第1133012345號",
                    "justification": "低收入戶資格複查需核對戶籍",
                }
            ]
        },
    )

    table: str = Field(min_length=3, max_length=255, examples=["household.persons"])
    columns: dict[str, str] | Literal["*"]
    purposes: list[str] = Field(min_length=1, max_length=20)
    document_ref: str = _TEXT
    justification: str = _TEXT
    agency: str | None = Field(default=None, max_length=64)
    row_filter: str | None = Field(default=None, max_length=2000)
    require: list[RequireBody] | None = Field(default=None, max_length=20)
    aggregate_only: AggregateBody | None = None
    max_rows: int | None = Field(default=None, ge=1, le=10_000_000)
    valid_until: str | None = Field(default=None, max_length=10, examples=["2027-05-31"])


class ApprovalBody(_Body):
    narrowed: dict[str, Any] | None = Field(
        default=None,
        description="grant keys to narrow the request (fewer columns, stricter filter, …)",
        examples=[{"columns": {"national_id": "read", "district": "read"}}],
    )
    note: str | None = Field(default=None, max_length=2000)


class ReasonBody(_Body):
    reason: str = _TEXT


class DelegationBody(_Body):
    """A subset of the agency's grant for one of its users."""

    user: str = Field(min_length=1, max_length=128, pattern=_NAME, examples=["clerk_daan"])
    table: str | None = Field(default=None, max_length=255)
    columns: dict[str, str] | Literal["*"] | None = None
    purposes: list[str] | None = Field(default=None, max_length=20)
    row_filter: str | None = Field(default=None, max_length=2000)
    require: list[RequireBody] | None = Field(default=None, max_length=20)
    max_rows: int | None = Field(default=None, ge=1, le=10_000_000)
    valid_until: str | None = Field(default=None, max_length=10)


class CampaignBody(_Body):
    agency: str = Field(min_length=1, max_length=64, examples=["DAAN"])


class ReviewDecisionBody(_Body):
    decision: Literal["keep", "revoke"]
    note: str | None = Field(default=None, max_length=2000)


class AccountBody(_Body):
    name: str = Field(min_length=1, max_length=128, pattern=_NAME, examples=["clerk_daan2"])
    agency: str = Field(min_length=1, max_length=64, examples=["DAAN"])
    roles: list[str] = Field(min_length=1, max_length=6, examples=[["user"]])
    district: str | None = Field(default=None, max_length=64)
    display_name: str | None = Field(default=None, max_length=200)
    password: str | None = Field(
        default=None, max_length=1024, description="an initial password for the new account"
    )


class PasswordBody(_Body):
    password: str = Field(min_length=1, max_length=1024)


class StatusBody(_Body):
    status: Literal["active", "suspended", "disabled"]
    reason: str = _TEXT


class DepartureBody(_Body):
    departure_date: str | None = Field(
        max_length=10, description="YYYY-MM-DD, or null to clear", examples=["2027-01-29"]
    )


class EvidenceRequestBody(_Body):
    query_id: str = Field(min_length=1, max_length=64)
    what: str = _TEXT


class EvidenceAnswerBody(_Body):
    evidence: str = _TEXT


class AuditReviewBody(_Body):
    """One step of an auditor's review of a sampled query."""

    query_id: str = Field(min_length=1, max_length=64)
    step: Literal["finding", "evidence_requested", "evidence_received", "sign_off"]
    finding: str | None = Field(default=None, max_length=4000)
    verdict: Literal["justified", "unjustified", "needs_evidence"] | None = None
    evidence: str | None = Field(default=None, max_length=4000)
    note: str | None = Field(default=None, max_length=4000)

"""Frozen views the service returns besides its own rows: grants, accounts, lifecycle actions,
reviews due, evidence requests and source usage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from api.governance.records import Record
from audit.usage import OpenEvidenceRequest, SourceUse
from policies import GrantRecord
from policies.accounts import Account
from policies.store import as_utc


@dataclass(frozen=True)
class GrantView(Record):
    """A grant stored by the governance workflow, with its history."""

    id: str
    parent: str | None
    user: str | None
    agency: str | None
    table: str
    spec: Mapping[str, Any]
    created_by: str
    created_at: dt.datetime
    active: bool
    revoked_by: str | None
    revoked_at: dt.datetime | None
    revoke_reason: str | None

    @classmethod
    def of(cls, record: GrantRecord) -> GrantView:
        created = as_utc(record.created_at)
        assert created is not None
        return cls(
            id=record.id,
            parent=record.parent,
            user=record.spec.get("user"),
            agency=record.spec.get("agency"),
            table=str(record.spec.get("table")),
            spec=dict(record.spec),
            created_by=record.created_by,
            created_at=created,
            active=record.active,
            revoked_by=record.revoked_by,
            revoked_at=as_utc(record.revoked_at),
            revoke_reason=record.revoke_reason,
        )


@dataclass(frozen=True)
class AccountView(Record):
    """An account as governance shows it (never anything about its password)."""

    name: str
    agency: str
    roles: tuple[str, ...]
    district: str | None
    display_name: str | None
    status: str
    status_reason: str | None
    departure_date: dt.date | None
    created_by: str

    @classmethod
    def of(cls, account: Account) -> AccountView:
        return cls(
            name=account.name,
            agency=account.agency,
            roles=tuple(account.roles),
            district=account.district,
            display_name=account.display_name,
            status=account.status,
            status_reason=account.status_reason,
            departure_date=account.departure_date,
            created_by=account.created_by,
        )


@dataclass(frozen=True)
class LifecycleAction(Record):
    """What a sweep did to one user: ``suspend`` (a dormant grant) or ``offboard``."""

    action: str
    user: str
    grants: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class ReviewDue(Record):
    """An agency whose last review campaign started more than six months ago, or never."""

    agency: str
    last_started: dt.datetime | None


@dataclass(frozen=True)
class EvidenceRequest(Record):
    """Evidence a data owner asked of the querying agency, not answered yet."""

    query_id: str
    querier: str
    agency: str
    requested_by: str
    requested_at: dt.datetime
    what: str

    @classmethod
    def of(cls, request: OpenEvidenceRequest) -> EvidenceRequest:
        return cls(
            request.query_id,
            request.querier,
            request.agency,
            request.requested_by,
            request.requested_at,
            request.what,
        )


@dataclass(frozen=True)
class SourceUsage(Record):
    """One (agency, user)'s queries over the owner's source in a period."""

    agency: str
    user: str
    queries: int
    ok: int
    last: dt.datetime

    @classmethod
    def of(cls, use: SourceUse) -> SourceUsage:
        return cls(use.agency, use.user, use.queries, use.ok, use.last)


@dataclass(frozen=True)
class EvidenceAnswer(Record):
    """Evidence the querying agency recorded for a query."""

    query_id: str
    answered_by: str
    answered_at: dt.datetime
    evidence: str

"""The governance tables in the metadata database (portable SQLAlchemy Core: SQLite or
PostgreSQL) and the frozen rows the service hands back.

Applications keep the request and the decision side by side; a review campaign has one item per
(user, grant) with the grant's last use as it was when the campaign started.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from policies.store import as_utc

metadata = sa.MetaData()
applications_table = sa.Table(
    "civicfed_applications",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("agency", sa.String(64), nullable=False, index=True),
    sa.Column("source", sa.String(128), nullable=False, index=True),
    sa.Column("table_pattern", sa.String(255), nullable=False),
    sa.Column("spec", sa.Text, nullable=False),  # the requested grant (DESIGN.md §4), JSON
    sa.Column("document_ref", sa.Text, nullable=False),
    sa.Column("justification", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending | approved | rejected
    sa.Column("applied_by", sa.String(128), nullable=False),
    sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("decided_by", sa.String(128), nullable=True),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("decision_note", sa.Text, nullable=True),
    sa.Column("approved_spec", sa.Text, nullable=True),
    sa.Column("grant_id", sa.String(64), nullable=True),
)
campaigns_table = sa.Table(
    "civicfed_review_campaigns",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("agency", sa.String(64), nullable=False, index=True),
    sa.Column("started_by", sa.String(128), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
)
review_items_table = sa.Table(
    "civicfed_review_items",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("campaign_id", sa.String(64), nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("user_name", sa.String(128), nullable=False),
    sa.Column("grant_id", sa.String(64), nullable=False),
    sa.Column("table_pattern", sa.String(255), nullable=False),
    sa.Column("columns", sa.Text, nullable=False),  # JSON: "*" or {column: mode}
    sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("revocable", sa.Boolean, nullable=False),
    sa.Column("decision", sa.String(16), nullable=True),  # keep | revoke
    sa.Column("decided_by", sa.String(128), nullable=True),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("note", sa.Text, nullable=True),
)


class Record:
    """A frozen row with ``to_dict()`` for JSON: dates as ISO 8601, tuples as lists."""

    def to_dict(self) -> dict[str, Any]:
        assert dataclasses.is_dataclass(self)
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class Application(Record):
    """An agency's request for another agency's data, and the owner's decision."""

    id: str
    agency: str
    source: str
    table: str
    spec: Mapping[str, Any]
    document_ref: str
    justification: str
    status: str
    applied_by: str
    applied_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_note: str | None
    approved_spec: Mapping[str, Any] | None
    grant_id: str | None


@dataclass(frozen=True)
class ReviewItem(Record):
    """One right of one user in a review campaign; ``revocable`` is False for grants written in
    civicfed.toml (policy as code: change the file to remove them)."""

    id: str
    campaign_id: str
    user: str
    grant_id: str
    table: str
    columns: Any
    last_used_at: dt.datetime | None
    revocable: bool
    decision: str | None
    decided_by: str | None
    decided_at: dt.datetime | None
    note: str | None


@dataclass(frozen=True)
class Campaign(Record):
    """An agency's periodic review of its users' rights; closed once every item is decided."""

    id: str
    agency: str
    started_by: str
    started_at: dt.datetime
    closed_at: dt.datetime | None
    items: tuple[ReviewItem, ...] = ()

    @property
    def open(self) -> bool:
        return self.closed_at is None


def application_from_row(row: sa.RowMapping) -> Application:
    approved = row["approved_spec"]
    return Application(
        id=row["id"],
        agency=row["agency"],
        source=row["source"],
        table=row["table_pattern"],
        spec=json.loads(row["spec"]),
        document_ref=row["document_ref"],
        justification=row["justification"],
        status=row["status"],
        applied_by=row["applied_by"],
        applied_at=_aware(row["applied_at"]),
        decided_by=row["decided_by"],
        decided_at=as_utc(row["decided_at"]),
        decision_note=row["decision_note"],
        approved_spec=json.loads(approved) if approved else None,
        grant_id=row["grant_id"],
    )


def item_from_row(row: sa.RowMapping) -> ReviewItem:
    return ReviewItem(
        id=row["id"],
        campaign_id=row["campaign_id"],
        user=row["user_name"],
        grant_id=row["grant_id"],
        table=row["table_pattern"],
        columns=json.loads(row["columns"]),
        last_used_at=as_utc(row["last_used_at"]),
        revocable=bool(row["revocable"]),
        decision=row["decision"],
        decided_by=row["decided_by"],
        decided_at=as_utc(row["decided_at"]),
        note=row["note"],
    )


def campaign_from_row(row: sa.RowMapping, items: tuple[ReviewItem, ...] = ()) -> Campaign:
    return Campaign(
        id=row["id"],
        agency=row["agency"],
        started_by=row["started_by"],
        started_at=_aware(row["started_at"]),
        closed_at=as_utc(row["closed_at"]),
        items=items,
    )


def _aware(value: dt.datetime) -> dt.datetime:
    aware = as_utc(value)
    assert aware is not None
    return aware

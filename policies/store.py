"""The metadata store: grants and denials written by the governance API, with who and when.

SQLAlchemy over SQLite (``data_dir/metadata.sqlite``) or PostgreSQL (``metadata_url``). Nothing
is deleted: a revoked grant keeps its row with who revoked it, when and why, so the history can
be read back. Every change bumps ``policy_version`` in the same transaction, which is how other
processes on the same database notice it.

Delegation has two tiers: a data owner grants an agency; the agency's manager hands a user a
subset as a child grant naming its parent. A child's effective grant is its intersection with
the parent, and revoking the parent revokes the children with it.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import uuid
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast, overload

import sqlalchemy as sa
from sqlalchemy.pool import StaticPool

from policies.delegation import check_child, intersect
from policies.denials import Denial
from policies.grants import Grant, grant_from_spec

_meta = sa.MetaData()
grants_table = sa.Table(
    "civicfed_grants",
    _meta,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("parent_id", sa.String(64), nullable=True, index=True),
    sa.Column("holder_user", sa.String(128), nullable=True),
    sa.Column("holder_agency", sa.String(64), nullable=True),
    sa.Column("table_pattern", sa.String(255), nullable=False),
    sa.Column("spec", sa.Text, nullable=False),  # the DESIGN.md §4 keys, as JSON
    sa.Column("created_by", sa.String(128), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_by", sa.String(128), nullable=True),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("revoke_reason", sa.Text, nullable=True),
)
denials_table = sa.Table(
    "civicfed_denials",
    _meta,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("holder_user", sa.String(128), nullable=True),
    sa.Column("holder_agency", sa.String(64), nullable=True),
    sa.Column("target", sa.String(255), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_by", sa.String(128), nullable=True),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
)
version_table = sa.Table(
    "civicfed_policy_version",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
)


class StoreError(LookupError):
    """A grant or denial that does not exist, or cannot change the way asked."""


class StoreUnavailable(RuntimeError):
    """The metadata database cannot be reached (decisions then fail closed)."""


_Method = TypeVar("_Method", bound=Callable[..., Any])


def _guarded(method: _Method) -> _Method:
    """Report an unreachable database as ``StoreUnavailable``, not a driver exception."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            detail = str(exc.orig if exc.orig is not None else exc).splitlines()[0]
            raise StoreUnavailable(f"the metadata database cannot be reached: {detail}") from exc

    return cast(_Method, wrapper)


@dataclass(frozen=True)
class GrantRecord:
    """One stored grant as written, with its history."""

    id: str
    parent: str | None
    spec: Mapping[str, Any]
    created_by: str
    created_at: dt.datetime
    revoked_by: str | None = None
    revoked_at: dt.datetime | None = None
    revoke_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class GrantStore:
    """Grants and denials in the metadata database."""

    @_guarded
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        _meta.create_all(engine)
        with engine.begin() as conn:
            if conn.execute(sa.select(version_table.c.version)).first() is None:
                conn.execute(version_table.insert().values(id=1, version=1))
        # The store may be dropped without close(); do not leave pooled connections behind.
        self._finalizer = weakref.finalize(self, engine.dispose)

    @classmethod
    def open(cls, url: str, *, schema: str | None = None) -> GrantStore:
        """Open (creating the tables if needed) the store at a SQLAlchemy or libpq URL;
        ``schema`` puts a PostgreSQL store in that schema (tests use throwaway ones)."""
        return cls(_engine(url, schema))

    @classmethod
    def for_data_dir(cls, data_dir: Path, metadata_url: str | None = None) -> GrantStore:
        """The store a federation uses: ``metadata_url``, else ``data_dir/metadata.sqlite``."""
        if metadata_url:
            return cls.open(metadata_url)
        data_dir.mkdir(parents=True, exist_ok=True)
        return cls.open(f"sqlite:///{data_dir / 'metadata.sqlite'}")

    @classmethod
    def in_memory(cls) -> GrantStore:
        return cls.open("sqlite://")

    def close(self) -> None:
        self._finalizer()

    # -- reading -----------------------------------------------------------------------------
    @_guarded
    def version(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(version_table.c.version)).scalar_one())

    @_guarded
    def records(self, include_revoked: bool = True) -> list[GrantRecord]:
        """Every stored grant in creation order (revoked ones too unless told otherwise)."""
        query = sa.select(grants_table).order_by(grants_table.c.created_at, grants_table.c.id)
        if not include_revoked:
            query = query.where(grants_table.c.revoked_at.is_(None))
        with self.engine.connect() as conn:
            return [_record(row) for row in conn.execute(query).mappings()]

    @_guarded
    def active_grants(self) -> list[Grant]:
        """The effective active grants: a child already intersected with its parent."""
        records = {r.id: r for r in self.records(include_revoked=False)}
        parsed = {rid: _grant(r) for rid, r in records.items()}
        effective: list[Grant] = []
        for grant in parsed.values():
            if grant.parent is None:
                effective.append(grant)
                continue
            parent = parsed.get(grant.parent)
            if parent is not None:  # a child of a revoked parent was revoked with it
                effective.append(intersect(grant, parent))
        return effective

    @_guarded
    def active_denials(self) -> list[Denial]:
        query = (
            sa.select(denials_table)
            .where(denials_table.c.revoked_at.is_(None))
            .order_by(denials_table.c.created_at, denials_table.c.id)
        )
        with self.engine.connect() as conn:
            return [
                Denial(
                    id=row["id"],
                    target=row["target"],
                    action=row["action"],
                    user=row["holder_user"],
                    agency=row["holder_agency"],
                    reason=row["reason"],
                    issued_by=row["created_by"],
                    issued_at=row["created_at"],
                )
                for row in conn.execute(query).mappings()
            ]

    # -- writing -----------------------------------------------------------------------------
    @_guarded
    def create_grant(
        self, spec: Mapping[str, Any], created_by: str, parent: str | None = None
    ) -> GrantRecord:
        """Store a grant (validated; a child must stay within its active agency parent)."""
        grant_id = f"g-{uuid.uuid4().hex[:12]}"
        now = _now()
        grant = grant_from_spec(spec, grant_id, parent=parent)
        with self.engine.begin() as conn:
            if parent is not None:
                row = (
                    conn.execute(
                        sa.select(grants_table).where(
                            grants_table.c.id == parent, grants_table.c.revoked_at.is_(None)
                        )
                    )
                    .mappings()
                    .first()
                )
                if row is None:
                    raise StoreError(f"parent grant {parent} does not exist or was revoked")
                check_child(grant, _grant(_record(row)))
            conn.execute(
                grants_table.insert().values(
                    id=grant_id,
                    parent_id=parent,
                    holder_user=grant.user,
                    holder_agency=grant.agency,
                    table_pattern=grant.table,
                    spec=json.dumps(dict(spec), ensure_ascii=False),
                    created_by=created_by,
                    created_at=now,
                )
            )
            _bump(conn)
        return GrantRecord(grant_id, parent, dict(spec), created_by, now)

    @_guarded
    def revoke_grant(self, grant_id: str, revoked_by: str, reason: str) -> tuple[str, ...]:
        """Revoke a grant and, with it, every grant delegated from it; return their ids."""
        now = _now()
        with self.engine.begin() as conn:
            active = grants_table.c.revoked_at.is_(None)
            exists = conn.execute(
                sa.select(grants_table.c.id).where(grants_table.c.id == grant_id, active)
            ).first()
            if exists is None:
                raise StoreError(f"grant {grant_id} does not exist or is already revoked")
            revoked: list[str] = []
            frontier = [grant_id]
            while frontier:
                revoked += frontier
                frontier = list(
                    conn.execute(
                        sa.select(grants_table.c.id).where(
                            grants_table.c.parent_id.in_(frontier), active
                        )
                    ).scalars()
                )
            for rid in revoked:
                why = reason if rid == grant_id else f"{reason} (parent grant {grant_id} revoked)"
                conn.execute(
                    grants_table.update()
                    .where(grants_table.c.id == rid)
                    .values(revoked_by=revoked_by, revoked_at=now, revoke_reason=why)
                )
            _bump(conn)
        return tuple(revoked)

    @_guarded
    def create_denial(
        self,
        target: str,
        action: str,
        created_by: str,
        reason: str,
        *,
        user: str | None = None,
        agency: str | None = None,
    ) -> Denial:
        """Store an explicit denial (it beats every grant)."""
        denial = Denial(
            f"d-{uuid.uuid4().hex[:12]}", target, action, user, agency, reason, created_by, _now()
        )
        with self.engine.begin() as conn:
            conn.execute(
                denials_table.insert().values(
                    id=denial.id,
                    holder_user=user,
                    holder_agency=agency,
                    target=target,
                    action=action,
                    reason=reason,
                    created_by=created_by,
                    created_at=denial.issued_at,
                )
            )
            _bump(conn)
        return denial

    @_guarded
    def revoke_denial(self, denial_id: str, revoked_by: str) -> None:
        with self.engine.begin() as conn:
            done = conn.execute(
                denials_table.update()
                .where(denials_table.c.id == denial_id, denials_table.c.revoked_at.is_(None))
                .values(revoked_by=revoked_by, revoked_at=_now())
            )
            if done.rowcount != 1:
                raise StoreError(f"denial {denial_id} does not exist or is already lifted")
            _bump(conn)


def _engine(url: str, schema: str | None) -> sa.Engine:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):  # a libpq DSN as DESIGN.md writes them: use psycopg 3
            url = "postgresql+psycopg://" + url[len(prefix) :]
    if url in ("sqlite://", "sqlite:///:memory:"):
        # One shared connection, or each session would see its own empty database.
        return sa.create_engine(
            url, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    if schema is not None:
        return sa.create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    return sa.create_engine(url)


def _bump(conn: sa.Connection) -> None:
    conn.execute(version_table.update().values(version=version_table.c.version + 1))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@overload
def as_utc(value: dt.datetime) -> dt.datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """A stored time as aware UTC: SQLite gives timestamps back naive (they were written in
    UTC), PostgreSQL in the session's time zone."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _record(row: sa.RowMapping) -> GrantRecord:
    return GrantRecord(
        id=row["id"],
        parent=row["parent_id"],
        spec=json.loads(row["spec"]),
        created_by=row["created_by"],
        created_at=row["created_at"],
        revoked_by=row["revoked_by"],
        revoked_at=row["revoked_at"],
        revoke_reason=row["revoke_reason"],
    )


def _grant(record: GrantRecord) -> Grant:
    return grant_from_spec(
        record.spec,
        record.id,
        parent=record.parent,
        issued_by=record.created_by,
        issued_at=record.created_at,
    )

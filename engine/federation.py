"""The Federation facade: the one entry point callers use (DESIGN.md §3)."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from audit import AuditSink, MemorySink
from engine.catalog import Catalog
from engine.config import LoadedConfig, load_config
from engine.errors import AccessDenied, FederationError, InvalidQuery
from engine.executor import ExecutionStats, Executor
from engine.plan import QueryPlan
from engine.planner import Planner
from engine.purpose import Purpose
from engine.sandbox import Sandbox
from policies import Authorizer, Grant, Principal


@dataclass(frozen=True)
class QueryReport:
    """What happened to one query: its id, plan and cost."""

    query_id: str
    plan: QueryPlan
    stats: ExecutionStats = field(default_factory=ExecutionStats)


class Federation:
    """Sources, grants and the audit log behind ``query`` / ``explain``."""

    def __init__(self, loaded: LoadedConfig, audit: AuditSink | None = None) -> None:
        self.loaded = loaded
        settings = loaded.config.federation
        self.catalog = Catalog(loaded)
        self._authorizer = Authorizer(_config_grants(loaded))
        self.planner = Planner(
            self.catalog,
            lambda: self._authorizer,
            settings.plan_cache_size,
            mask_key=_mask_key(loaded.data_dir),
        )
        self.sandbox = Sandbox(settings.memory_limit, settings.threads)
        self.executor = Executor(self.catalog, self.sandbox, settings.query_timeout_s)
        self.audit: AuditSink = audit if audit is not None else MemorySink()
        self._closed = False
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: str | os.PathLike[str], audit: AuditSink | None = None) -> Federation:
        """Load ``civicfed.toml`` and return a federation over its sources."""
        return cls(load_config(Path(path)), audit=audit)

    # -- queries ---------------------------------------------------------------------------
    def query(self, sql: str, user: str, purpose: Purpose | dict[str, Any]) -> pa.Table:
        """Run ``sql`` as ``user`` for ``purpose`` and return the result."""
        table, _ = self.run(sql, user, purpose)
        return table

    def run(
        self, sql: str, user: str, purpose: Purpose | dict[str, Any]
    ) -> tuple[pa.Table, QueryReport]:
        """Run a query and return its result with the report (query id, plan, cost)."""
        query_id = uuid.uuid4().hex
        started = time.perf_counter()
        principal = self.catalog.principal(user) if isinstance(user, str) else None
        envelope: Purpose | None = None
        plan: QueryPlan | None = None
        try:
            envelope = self._envelope(purpose)
            principal = self._principal(user)
            plan = self.planner.plan(sql, principal, envelope.purpose)
            table, stats = self.executor.run(plan)
        except FederationError as exc:
            exc.with_query_id(query_id)
            self._record(query_id, sql, user, principal, envelope, plan, None, exc, started)
            raise
        report = QueryReport(query_id, plan, stats)
        self._record(query_id, sql, user, principal, envelope, plan, stats, None, started)
        return table, report

    def explain(self, sql: str, user: str, purpose: Purpose | dict[str, Any]) -> QueryPlan:
        """Return the plan ``query`` would run, without reading any data."""
        envelope = self._envelope(purpose)
        return self.planner.plan(sql, self._principal(user), envelope.purpose)

    # -- catalog views ---------------------------------------------------------------------
    def sources(self) -> list[dict[str, Any]]:
        """Every configured source with its kind, owner and tables (no data is read)."""
        out = []
        for name, cfg in self.loaded.config.sources.items():
            out.append(
                {
                    "source": name,
                    "kind": cfg.kind,
                    "owner": cfg.owner,
                    "description": cfg.description,
                }
            )
        return out

    def tables(self, source: str) -> list[str]:
        return self.catalog.tables(source)

    def permitted_fields(self, user: str) -> list[dict[str, Any]]:
        """One entry per column the user may use, with the rule and the grant behind it."""
        principal = self._principal(user)
        fields: list[dict[str, Any]] = []
        for grant in self._authorizer.grants_for(principal):
            source, _, table_pattern = grant.table.partition(".")
            tables = self.catalog.tables(source) if table_pattern == "*" else [table_pattern]
            for table in tables:
                ref = self.catalog.resolve(source, table, f"{source}.{table}")
                for purpose in grant.purposes or sorted(self.catalog.purpose_codes):
                    decision = self._authorizer.decide(principal, ref, purpose)
                    if not decision.allowed:
                        continue
                    for column, rule in decision.columns.items():
                        fields.append(
                            {
                                "table": ref.name,
                                "column": column,
                                "type": dict(ref.columns)[column],
                                "mode": rule.mode.value,
                                "mask": rule.mask,
                                "row_filter": decision.row_filter,
                                "purpose": purpose,
                                "max_rows": decision.max_rows,
                                "grant": ",".join(decision.grants),
                                "valid_until": grant.valid_until.isoformat()
                                if grant.valid_until
                                else None,
                            }
                        )
        return _merge_purposes(fields)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self.executor.close()
        self.planner.close()
        self.sandbox.close()
        self.catalog.close()
        self.audit.close()

    def __enter__(self) -> Federation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- helpers ---------------------------------------------------------------------------
    def _envelope(self, purpose: Purpose | dict[str, Any] | None) -> Purpose:
        envelope = purpose if isinstance(purpose, Purpose) else Purpose.from_mapping(purpose)
        return envelope.validated(self.catalog.purpose_codes)

    def _principal(self, user: str) -> Principal:
        principal = self.catalog.principal(user) if isinstance(user, str) else None
        if principal is None:
            raise AccessDenied("unknown user; ask the platform administrator for an account")
        return principal

    def _record(
        self,
        query_id: str,
        sql: str,
        user: str,
        principal: Principal | None,
        envelope: Purpose | None,
        plan: QueryPlan | None,
        stats: ExecutionStats | None,
        error: FederationError | None,
        started: float,
    ) -> None:
        event = query_event(query_id, sql, user, principal, envelope, plan, stats, error)
        event["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)
        try:
            self.audit.append(event)
        except Exception:
            # Invariant 6: no audit, no result.
            raise InvalidQuery(
                "the query could not be recorded in the audit log, so no result is returned",
                query_id,
            ) from None


def query_event(
    query_id: str,
    sql: str,
    user: str,
    principal: Principal | None,
    envelope: Purpose | None,
    plan: QueryPlan | None,
    stats: ExecutionStats | None,
    error: FederationError | None,
) -> dict[str, Any]:
    """The audit event for one query (DESIGN.md §5 fields)."""
    outcome = "ok"
    if error is not None:
        outcome = {
            "access_denied": "denied",
            "invalid_query": "invalid",
            "purpose_required": "denied",
        }.get(error.code, "error")
    return {
        "type": "query",
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
        "query_id": query_id,
        "user": user,
        "agency": principal.agency if principal else None,
        "roles": list(principal.roles) if principal else [],
        "purpose": envelope.to_dict() if envelope else None,
        "sql": sql,
        "rewritten_sql": plan.executed_sql if plan else None,
        "source_sql": [
            {"source": s.source, "table": s.table, "statement": s.statement} for s in plan.scans
        ]
        if plan
        else [],
        "tables": [
            {"table": t.table, "columns": list(t.columns), "grants": list(t.grants)}
            for t in plan.tables
        ]
        if plan
        else [],
        "outcome": outcome,
        "error_code": error.code if error else None,
        "reason": error.message if error else None,
        "rows": stats.rows_returned if stats else 0,
        "bytes_per_source": dict(stats.bytes_per_source) if stats else {},
    }


def _mask_key(data_dir: Path) -> str:
    """The deployment's key for hash masks: generated once, readable only by the service."""
    path = data_dir / "mask.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first
            pass
        else:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secrets.token_hex(32))
    return path.read_text(encoding="ascii").strip()


def _config_grants(loaded: LoadedConfig) -> list[Grant]:
    grants = []
    for i, g in enumerate(loaded.config.grants):
        grants.append(
            Grant(
                id=f"config-{i + 1}",
                table=g.table,
                columns=g.columns,
                user=g.user,
                agency=g.agency,
                purposes=tuple(g.purposes),
                max_rows=g.max_rows,
                valid_from=dt.date.fromisoformat(g.valid_from) if g.valid_from else None,
                valid_until=dt.date.fromisoformat(g.valid_until) if g.valid_until else None,
            )
        )
    return grants


def _merge_purposes(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    for f in fields:
        key = (f["table"], f["column"], f["mode"])
        if key in merged:
            if f["purpose"] not in merged[key]["purposes"]:
                merged[key]["purposes"].append(f["purpose"])
            continue
        entry = {k: v for k, v in f.items() if k != "purpose"}
        entry["purposes"] = [f["purpose"]]
        merged[key] = entry
    return list(merged.values())

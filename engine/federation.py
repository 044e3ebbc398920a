"""The Federation facade: the one entry point callers use (DESIGN.md §3)."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from audit import AuditLog, AuditSink
from engine.catalog import Catalog
from engine.config import LoadedConfig, TemplateConfig, load_config
from engine.errors import (
    AccessDenied,
    ConfigError,
    FederationError,
    InternalError,
    InvalidQuery,
)
from engine.executor import ExecutionStats, Executor
from engine.plan import QueryPlan
from engine.planner import Planner
from engine.purpose import Purpose
from engine.sandbox import Sandbox
from engine.templates import SAMPLE_VALUES, bind_sql, template_view
from policies import (
    Authorizer,
    Grant,
    GrantError,
    GrantStore,
    Principal,
    StoreUnavailable,
    grant_from_spec,
)
from policies.accounts import Account, AccountPolicy, AccountStore


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
        # Configured grants plus those the governance API stored in the metadata database, and
        # the accounts (configured users and those the governance API created) beside them.
        try:
            store = GrantStore.for_data_dir(loaded.data_dir, settings.metadata_url)
            self.accounts = AccountStore(store.engine, account_policy(loaded))
            self.accounts.sync_configured(
                [u.model_dump(exclude_none=True) for u in loaded.config.users]
            )
            self._authorizer = Authorizer(
                _config_grants(loaded),
                store=store,
                members=lambda: {a.name: a.agency for a in self.accounts.list()},
            )
        except StoreUnavailable as exc:
            key = "federation.metadata_url" if settings.metadata_url else "federation.data_dir"
            raise ConfigError(f"{loaded.path}: {key}: {exc}") from None
        self.metadata_engine = store.engine
        self.planner = Planner(
            self.catalog,
            lambda: self._authorizer,
            settings.plan_cache_size,
            mask_key=_mask_key(loaded.data_dir),
        )
        self.sandbox = Sandbox(settings.memory_limit, settings.threads)
        self.executor = Executor(self.catalog, self.sandbox, settings.query_timeout_s)
        # The hash-chained log in data_dir unless the caller brings its own sink (tests,
        # embedding). Without a log there is no query (invariant 6), so failing to open it
        # fails here, after releasing what was already started.
        try:
            self.audit: AuditSink = audit if audit is not None else AuditLog(loaded.data_dir)
        except Exception:
            self.executor.close()
            self.planner.close()
            self.sandbox.close()
            self.catalog.close()
            raise
        self._closed = False
        self._lock = threading.Lock()
        self._accounts_lock = threading.Lock()
        self._account_snapshot: dict[str, Account] = {}
        self._accounts_version = -1
        self._accounts_checked = -float("inf")
        self._template_cache: dict[tuple[str, int], list[dict[str, Any]]] = {}

    @classmethod
    def open(cls, path: str | os.PathLike[str], audit: AuditSink | None = None) -> Federation:
        """Load ``civicfed.toml`` and return a federation over its sources."""
        return cls(load_config(Path(path)), audit=audit)

    # -- queries ---------------------------------------------------------------------------
    def query(self, sql: str, user: str, purpose: Purpose | dict[str, Any] | None) -> pa.Table:
        """Run ``sql`` as ``user`` for ``purpose`` and return the result."""
        table, _ = self.run(sql, user, purpose)
        return table

    def run(
        self, sql: str, user: str, purpose: Purpose | dict[str, Any] | None
    ) -> tuple[pa.Table, QueryReport]:
        """Run a query and return its result with the report (query id, plan, cost)."""
        query_id = uuid.uuid4().hex
        started = time.perf_counter()
        principal = self.principal(user) if isinstance(user, str) else None
        envelope: Purpose | None = None
        plan: QueryPlan | None = None
        try:
            if not isinstance(sql, str):
                raise InvalidQuery("the query must be SQL text")
            envelope = self._envelope(purpose)
            principal = self._principal(user)
            plan = self.planner.plan(sql, principal, envelope.purpose)
            table, stats = self.executor.run(plan)
        except Exception as exc:
            # An unexpected exception's text may quote data: it never reaches the caller, and
            # no failure of any kind skips the audit log.
            error = (
                exc.with_query_id(query_id)
                if isinstance(exc, FederationError)
                else InternalError("the query could not be run; it has been recorded", query_id)
            )
            text = sql if isinstance(sql, str) else None
            self._record(query_id, text, user, principal, envelope, plan, None, error, started)
            if error is exc:
                raise
            raise error from None
        report = QueryReport(query_id, plan, stats)
        self._record(query_id, sql, user, principal, envelope, plan, stats, None, started)
        return table, report

    def explain(self, sql: str, user: str, purpose: Purpose | dict[str, Any] | None) -> QueryPlan:
        """Return the plan ``query`` would run, without reading any data."""
        envelope = self._envelope(purpose)
        return self.planner.plan(sql, self._principal(user), envelope.purpose)

    # -- templates -------------------------------------------------------------------------
    def templates(self, user: str) -> list[dict[str, Any]]:
        """The query templates ``user`` may run, each with its parameters and the purposes
        under which the user's grants cover it (planned with sample values; no data read)."""
        principal = self._principal(user)
        key = (principal.name, self._authorizer.version)
        cached = self._template_cache.get(key)
        if cached is not None:
            return cached
        visible = []
        for template in self.loaded.config.templates:
            purposes = [
                code
                for code in template.purposes or sorted(self.catalog.purpose_codes)
                if self._covers(template, user, code)
            ]
            if purposes:
                visible.append(template_view(template, purposes))
        self._template_cache[key] = visible
        while len(self._template_cache) > _TEMPLATE_CACHE_SIZE:
            self._template_cache.pop(next(iter(self._template_cache)))
        return visible

    def run_template(
        self,
        name: str,
        params: dict[str, Any],
        user: str,
        purpose: Purpose | dict[str, Any] | None,
    ) -> tuple[pa.Table, QueryReport]:
        """Bind the template's parameters (typed, validated) and run it like any query."""
        template = self._template(name)
        if not isinstance(params, dict):
            raise InvalidQuery("params must be an object of parameter values")
        sql = bind_sql(template.sql, {p.name: p.type for p in template.params}, params)
        return self.run(sql, user, purpose)

    def _template(self, name: str) -> TemplateConfig:
        for template in self.loaded.config.templates:
            if template.name == name:
                return template
        raise InvalidQuery(f"no query template named {name!r}")

    def _covers(self, template: TemplateConfig, user: str, purpose: str) -> bool:
        sample = {p.name: SAMPLE_VALUES[p.type] for p in template.params}
        sql = bind_sql(template.sql, {p.name: p.type for p in template.params}, sample)
        envelope = Purpose(case_name="template visibility", purpose=purpose, case_no="-")
        try:
            self.explain(sql, user, envelope)
        except FederationError:
            return False
        return True

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
        """One entry per column the user may use, with its mode, mask, row filter, required
        pins, aggregation rule, row cap, purposes, validity and the grants behind it — read
        from the same decisions queries get."""
        principal = self._principal(user)
        purposes: dict[tuple[str, str], set[str]] = {}
        for grant in self._authorizer.grants_for(principal):
            source, _, table_pattern = grant.table.partition(".")
            tables = self.catalog.tables(source) if table_pattern == "*" else [table_pattern]
            for table in tables:
                purposes.setdefault((source, table), set()).update(grant.purposes)
        fields: list[dict[str, Any]] = []
        for (source, table), codes in sorted(purposes.items()):
            ref = self.catalog.resolve(source, table, f"{source}.{table}")
            types = dict(ref.columns)
            for purpose in sorted(codes):
                decision = self._authorizer.decide(principal, ref, purpose)
                if not decision.allowed:
                    continue
                for column, rule in decision.columns.items():
                    fields.append(
                        {
                            "table": ref.name,
                            "column": column,
                            "type": types[column],
                            "mode": rule.mode.value,
                            "mask": rule.mask,
                            "row_filter": decision.row_filter,
                            "required": [
                                {"column": r.column, "max_values": r.max_values}
                                for r in decision.required
                            ],
                            "aggregate_only": {
                                "min_group": decision.aggregate_only.min_group,
                                "entity": decision.aggregate_only.entity,
                            }
                            if decision.aggregate_only
                            else None,
                            "purpose": purpose,
                            "max_rows": decision.max_rows,
                            "grant": ",".join(decision.grants),
                            "valid_from": decision.valid_from.isoformat()
                            if decision.valid_from
                            else None,
                            "valid_until": decision.valid_until.isoformat()
                            if decision.valid_until
                            else None,
                        }
                    )
        return _merge_purposes(fields)

    # -- accounts and policy handles (the governance service and the API use these) ----------
    @property
    def authorizer(self) -> Authorizer:
        return self._authorizer

    def account(self, user: str) -> Account | None:
        """The account named ``user`` as of the last refresh (at most ~1 s old)."""
        self._refresh_accounts()
        account = self._account_snapshot.get(user)
        if account is None:  # perhaps created a moment ago: look again now
            self._refresh_accounts(force=True)
            account = self._account_snapshot.get(user)
        return account

    def principal(self, user: str) -> Principal | None:
        """Who ``user`` is (agency, roles, attributes), whether or not they may query now."""
        account = self.account(user)
        return account.principal() if account is not None else None

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self.executor.close()
        self.planner.close()
        self.sandbox.close()
        self.catalog.close()
        self._authorizer.close()
        self.audit.close()

    def __enter__(self) -> Federation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- helpers ---------------------------------------------------------------------------
    def _envelope(self, purpose: Purpose | dict[str, Any] | None) -> Purpose:
        envelope = purpose if isinstance(purpose, Purpose) else Purpose.from_mapping(purpose)
        return envelope.validated(
            self.catalog.purpose_codes, self.loaded.config.federation.document_no_pattern
        )

    def _principal(self, user: str) -> Principal:
        """The principal a query runs as, or AccessDenied for an unknown, suspended or
        departed account (a leaver cannot query after the departure date, whatever grants
        remain)."""
        account = self.account(user) if isinstance(user, str) else None
        if account is None:
            raise AccessDenied("unknown user; ask the platform administrator for an account")
        today = dt.date.today()
        if not account.can_query(today):
            if account.status != "active":
                raise AccessDenied(
                    f"account {account.name} is {account.status}"
                    + (f" ({account.status_reason})" if account.status_reason else "")
                    + "; ask your agency manager"
                )
            raise AccessDenied(
                f"account {account.name} closed on {account.departure_date}, its departure date"
            )
        return account.principal()

    def _refresh_accounts(self, force: bool = False) -> None:
        """Reload the account snapshot when the metadata version moved (checked at most once
        a second, like the authorizer), so a suspension reaches every process within ~1 s."""
        now = time.monotonic()
        if not force and now - self._accounts_checked < _ACCOUNT_REFRESH_S:
            return
        with self._accounts_lock:
            if not force and now - self._accounts_checked < _ACCOUNT_REFRESH_S:
                return
            version = self.accounts.version()
            if version != self._accounts_version:
                self._account_snapshot = {a.name: a for a in self.accounts.list()}
                self._accounts_version = version
            self._accounts_checked = now

    def _record(
        self,
        query_id: str,
        sql: str | None,
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
    sql: str | None,
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


_ACCOUNT_REFRESH_S = 1.0
_TEMPLATE_CACHE_SIZE = 256


def account_policy(loaded: LoadedConfig) -> AccountPolicy:
    """The ``[accounts]`` settings as the account store takes them."""
    return AccountPolicy(**loaded.config.accounts.model_dump())


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
    """The ``[[grants]]`` of the file, validated; an error names the file, the key and the fix."""
    grants = []
    for i, g in enumerate(loaded.config.grants):
        spec = g.model_dump(exclude_none=True)
        try:
            grants.append(grant_from_spec({k: v for k, v in spec.items() if v}, f"config-{i + 1}"))
        except GrantError as exc:
            raise ConfigError(f"{loaded.path}: grants.{i}.{exc.key}: {exc.message}") from None
    return grants


def _merge_purposes(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fold entries that differ only in purpose into one with a list of purposes."""
    merged: dict[str, dict[str, Any]] = {}
    for f in fields:
        entry = {k: v for k, v in f.items() if k != "purpose"}
        key = json.dumps(entry, sort_keys=True, ensure_ascii=False)
        if key in merged:
            merged[key]["purposes"].append(f["purpose"])
            continue
        entry["purposes"] = [f["purpose"]]
        merged[key] = entry
    return list(merged.values())

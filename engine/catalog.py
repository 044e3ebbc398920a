"""The catalog: configured sources, their tables and schemas (discovered once, cached on disk)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading

import pyarrow as pa

from adapters import SourceAdapter, SourceError, SourceSettings, open_source
from engine.config import LoadedConfig
from engine.errors import InvalidQuery, SourceUnavailable
from policies import Principal, TableRef

_CACHE_FILE = "schema-cache.json"


def sql_type(arrow_type: pa.DataType) -> str:
    """Return the DuckDB SQL type name for an Arrow type (used for typing and EXPLAIN)."""
    if pa.types.is_boolean(arrow_type):
        return "BOOLEAN"
    if pa.types.is_integer(arrow_type):
        width = arrow_type.bit_width
        prefix = "U" if pa.types.is_unsigned_integer(arrow_type) else ""
        return prefix + {8: "TINYINT", 16: "SMALLINT", 32: "INTEGER", 64: "BIGINT"}[width]
    if pa.types.is_decimal(arrow_type):
        return f"DECIMAL({arrow_type.precision},{arrow_type.scale})"
    if pa.types.is_floating(arrow_type):
        return "FLOAT" if arrow_type.bit_width == 32 else "DOUBLE"
    if pa.types.is_date(arrow_type):
        return "DATE"
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMPTZ" if arrow_type.tz else "TIMESTAMP"
    if pa.types.is_time(arrow_type):
        return "TIME"
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "VARCHAR"
    if pa.types.is_binary(arrow_type) or pa.types.is_large_binary(arrow_type):
        return "BLOB"
    if pa.types.is_interval(arrow_type) or pa.types.is_duration(arrow_type):
        return "INTERVAL"
    return "VARCHAR"


class Catalog:
    """Sources by name, with lazily opened adapters and cached table schemas."""

    def __init__(self, loaded: LoadedConfig) -> None:
        self.loaded = loaded
        self._lock = threading.RLock()
        self._adapters: dict[str, SourceAdapter] = {}
        self._schemas: dict[str, dict[str, pa.Schema]] = {}
        self._table_lists: dict[str, list[str]] = {}
        self._cache_path = loaded.data_dir / _CACHE_FILE
        self._load_cache()

    # -- sources -------------------------------------------------------------------------
    @property
    def source_names(self) -> list[str]:
        return list(self.loaded.config.sources)

    def adapter(self, source: str) -> SourceAdapter:
        with self._lock:
            if source not in self._adapters:
                cfg = self.loaded.config.sources[source]
                settings = SourceSettings(
                    name=source,
                    kind=cfg.kind,
                    path=str(self.loaded.resolve(cfg.path)) if cfg.path else None,
                    dsn=cfg.dsn,
                    schema=cfg.schema_,
                    timeout_s=cfg.timeout_s,
                )
                self._adapters[source] = open_source(settings)
            return self._adapters[source]

    def tables(self, source: str) -> list[str]:
        with self._lock:
            if source not in self._table_lists:
                try:
                    self._table_lists[source] = sorted(self.adapter(source).tables())
                except SourceError as exc:
                    raise SourceUnavailable(
                        f"source {source} is unavailable: {exc.reason}"
                    ) from None
                self._save_cache()
            return self._table_lists[source]

    def schema(self, source: str, table: str) -> pa.Schema:
        with self._lock:
            cached = self._schemas.get(source, {}).get(table)
            if cached is not None:
                return cached
            try:
                schema = self.adapter(source).schema(table)
            except SourceError as exc:
                raise SourceUnavailable(f"source {source} is unavailable: {exc.reason}") from None
            self._schemas.setdefault(source, {})[table] = schema
            self._save_cache()
            return schema

    def resolve(self, source: str, table: str, typed_as: str) -> TableRef:
        """Return the TableRef for ``source.table`` or InvalidQuery naming the table as typed."""
        if source not in self.loaded.config.sources or table not in self._tables_or_refresh(
            source, table
        ):
            raise InvalidQuery(f"table {typed_as} does not exist or is not granted to you")
        schema = self.schema(source, table)
        return TableRef(source, table, tuple((f.name, sql_type(f.type)) for f in schema))

    def _tables_or_refresh(self, source: str, table: str) -> list[str]:
        tables = self.tables(source)
        if table in tables:
            return tables
        # A table created since the cache was written: look once more before saying no.
        with self._lock:
            self._table_lists.pop(source, None)
        return self.tables(source)

    def refresh(self, source: str | None = None) -> None:
        """Forget cached table lists and schemas (all sources, or one) and rediscover them."""
        with self._lock:
            names = [source] if source else self.source_names
            for name in names:
                self._table_lists.pop(name, None)
                self._schemas.pop(name, None)
            self._save_cache()

    # -- principals and purposes ----------------------------------------------------------
    def principal(self, user: str) -> Principal | None:
        for u in self.loaded.config.users:
            if u.name == user:
                attributes = {"agency": u.agency, "name": u.name}
                if u.district:
                    attributes["district"] = u.district
                return Principal(u.name, u.agency, tuple(u.roles), attributes)
        return None

    @property
    def purpose_codes(self) -> frozenset[str]:
        return frozenset(p.code for p in self.loaded.config.purposes)

    # -- cache ----------------------------------------------------------------------------
    def _load_cache(self) -> None:
        try:
            raw = json.loads(self._cache_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        sources = self.loaded.config.sources
        for source, entry in raw.get("sources", {}).items():
            if source not in sources or entry.get("fingerprint") != _fingerprint(self, source):
                continue
            self._table_lists[source] = list(entry.get("tables", []))
            self._schemas[source] = {
                t: pa.ipc.read_schema(pa.py_buffer(base64.b64decode(s)))
                for t, s in entry.get("schemas", {}).items()
            }

    def _save_cache(self) -> None:
        data: dict[str, dict[str, object]] = {}
        for source in self.source_names:
            if source not in self._table_lists and source not in self._schemas:
                continue
            data[source] = {
                "fingerprint": _fingerprint(self, source),
                "tables": self._table_lists.get(source, []),
                "schemas": {
                    t: base64.b64encode(s.serialize().to_pybytes()).decode()
                    for t, s in self._schemas.get(source, {}).items()
                },
            }
        try:
            self._cache_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._cache_path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"sources": data}), encoding="utf-8")
            tmp.replace(self._cache_path)
        except OSError:
            pass  # the cache is an optimisation; discovery still works without it

    def close(self) -> None:
        with self._lock:
            for adapter in self._adapters.values():
                adapter.close()
            self._adapters.clear()


def _fingerprint(catalog: Catalog, source: str) -> str:
    """What the cache entry depends on: the source's configured kind and location."""
    cfg = catalog.loaded.config.sources[source]
    location = str(catalog.loaded.resolve(cfg.path)) if cfg.path else (cfg.dsn or "")
    # Hashed: a DSN may carry a password, and the cache file is not a secret store.
    return hashlib.sha256(f"{cfg.kind}|{location}|{cfg.schema_ or ''}".encode()).hexdigest()

"""Source kind → adapter class, imported lazily so a laptop without server drivers still works."""

from __future__ import annotations

import importlib

from adapters.base import SourceAdapter, SourceSettings

KINDS: dict[str, str] = {
    "sqlite": "adapters.sqlite:SqliteAdapter",
    "duckdb": "adapters.duckdb_file:DuckDBFileAdapter",
    "parquet": "adapters.files:ParquetAdapter",
    "csv": "adapters.files:CsvAdapter",
    "postgres": "adapters.postgres:PostgresAdapter",
    "mysql": "adapters.mysql:MySQLAdapter",
}


def open_source(settings: SourceSettings) -> SourceAdapter:
    """Return the adapter for ``settings.kind``; connections are opened lazily."""
    try:
        target = KINDS[settings.kind]
    except KeyError:
        raise ValueError(
            f"unknown source kind {settings.kind!r}; kinds are {', '.join(KINDS)}"
        ) from None
    module_name, class_name = target.split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    adapter: SourceAdapter = cls(settings)
    return adapter

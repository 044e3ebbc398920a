"""The systems civicfed is measured against, each answering the same ``source.table`` SQL.

* ``ScannerPeer``: DuckDB with its postgres / mysql / sqlite scanner extensions ATTACHed
  read-only to the split's sources, DuckDB files attached read-only, Parquet and CSV as views
  over ``read_parquet`` / ``read_csv`` — what an analyst gets from DuckDB alone. It reads any
  civicfed.toml, so it serves the servers split and the embedded one (files only) alike.
* ``NativePeer``: DuckDB on in-memory copies of the tables — the physical limit.

Both build one schema per source (``pg``, ``maria``, … or ``duck2``, ``lite2``, …) holding one
view or table per source table, so ``SELECT … FROM pg.lineitem`` runs unchanged on either;
``NativePeer`` takes the split (table → source) to name its schemas.
"""

from __future__ import annotations

import os
import sqlite3
import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import duckdb
import pyarrow as pa

from benchmarks.tpch_split import DEFAULT_SPLIT, duckdb_extension

_SCANNER_PACKAGES = {
    "postgres": "duckdb_extension_postgres_scanner",
    "mysql": "duckdb_extension_mysql_scanner",
    "sqlite": "duckdb_extension_sqlite_scanner",
}


class Peer(Protocol):
    """A system that answers SQL over the split's ``source.table`` names."""

    name: str

    def run(self, sql: str) -> pa.Table: ...

    def close(self) -> None: ...


class _DuckDBPeer:
    name = "duckdb"

    def __init__(self, threads: int | None) -> None:
        self._con = duckdb.connect()
        self._con.execute("SET autoinstall_known_extensions = false")
        self._con.execute("SET autoload_known_extensions = false")
        if threads:
            self._con.execute(f"SET threads = {int(threads)}")

    def run(self, sql: str) -> pa.Table:
        """Return the answer to ``sql`` as an Arrow table."""
        return self._con.execute(sql).to_arrow_table()

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> _DuckDBPeer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class NativePeer(_DuckDBPeer):
    """DuckDB over in-memory copies of the tables: the physical limit."""

    name = "duckdb-native"

    def __init__(
        self,
        tables: Mapping[str, pa.Table],
        split: Mapping[str, str] | None = DEFAULT_SPLIT,
        threads: int | None = None,
    ) -> None:
        """Copy ``tables`` in, under the schema ``split`` names for each (or ``main`` when
        ``split`` is None, for the unqualified TPC-H text)."""
        super().__init__(threads)
        schemas = sorted(set(split.values())) if split else []
        for schema in schemas:
            self._con.execute(f"CREATE SCHEMA {schema}")
        for name, table in tables.items():
            schema = split[name] if split else "main"
            self._con.register("incoming", table)
            self._con.execute(f"CREATE TABLE {schema}.{name} AS SELECT * FROM incoming")
            self._con.unregister("incoming")


class ScannerPeer(_DuckDBPeer):
    """DuckDB with its scanner extensions attached to the sources a civicfed.toml names."""

    name = "duckdb-scanners"

    def __init__(self, config_path: str | Path, threads: int | None = None) -> None:
        super().__init__(threads)
        config_file = Path(config_path).resolve()
        config = tomllib.loads(config_file.read_text(encoding="utf-8"))
        loaded: set[str] = set()
        for source, settings in config.get("sources", {}).items():
            kind = settings["kind"]
            package = _SCANNER_PACKAGES.get(kind)
            if package and package not in loaded:
                self._con.execute(f"LOAD '{duckdb_extension(package)}'")
                loaded.add(package)
            self._con.execute(f"CREATE SCHEMA {source}")
            for table, select in self._attach(source, settings, config_file.parent).items():
                self._con.execute(f"CREATE VIEW {source}.{table} AS {select}")

    def _attach(self, source: str, settings: Mapping[str, Any], base: Path) -> dict[str, str]:
        """Attach or locate one source; return table → the SELECT its view runs."""
        kind = settings["kind"]
        alias = f"_attached_{source}"
        if kind == "postgres":
            schema = settings.get("schema", "public")
            dsn = os.path.expandvars(settings["dsn"])
            self._con.execute(f"ATTACH '{_quote(dsn)}' AS {alias} (TYPE postgres, READ_ONLY)")
            return self._attached_tables(alias, schema, {})
        if kind == "mysql":
            dsn = os.path.expandvars(settings["dsn"])
            schema = settings.get("schema") or urlsplit(dsn).path.lstrip("/")
            self._con.execute(
                f"ATTACH '{_quote(_mysql_keywords(dsn))}' AS {alias} (TYPE mysql, READ_ONLY)"
            )
            return self._attached_tables(alias, schema, {})
        path = _resolve(settings["path"], base)
        if kind == "sqlite":
            self._con.execute(f"ATTACH '{_quote(str(path))}' AS {alias} (TYPE sqlite, READ_ONLY)")
            # The scanner maps DECIMAL(p,s) to DOUBLE; cast back to the declared types so the
            # answers carry the same types as on every other source.
            return self._attached_tables(alias, "main", _sqlite_declared_types(path))
        if kind == "duckdb":
            self._con.execute(f"ATTACH '{_quote(str(path))}' AS {alias} (READ_ONLY)")
            return self._attached_tables(alias, "main", {})
        if kind in ("parquet", "csv"):
            reader = "read_parquet" if kind == "parquet" else "read_csv"
            return {
                table: f"SELECT * FROM {reader}('{_quote(location)}')"
                for table, location in _file_tables(path, kind).items()
            }
        raise ValueError(f"source {source}: unknown kind {kind!r}")

    def _attached_tables(
        self, alias: str, schema: str, declared: Mapping[str, Mapping[str, str]]
    ) -> dict[str, str]:
        rows = self._con.execute(
            "SELECT table_name, list(column_name ORDER BY column_index) FROM duckdb_columns() "
            "WHERE database_name = ? AND schema_name = ? GROUP BY table_name",
            [alias, schema],
        ).fetchall()
        selects = {}
        for table, columns in rows:
            if table.startswith("sqlite_"):  # SQLite's own statistics tables
                continue
            types = declared.get(table, {})
            items = [
                f"CAST({column} AS {types[column]}) AS {column}" if column in types else column
                for column in columns
            ]
            selects[table] = f"SELECT {', '.join(items)} FROM {alias}.{schema}.{table}"
        return selects


def _quote(text: str) -> str:
    return text.replace("'", "''")


def _resolve(path: str, base: Path) -> Path:
    p = Path(os.path.expandvars(path)).expanduser()
    return p if p.is_absolute() else (base / p).resolve()


def _mysql_keywords(dsn: str) -> str:
    """``mysql://user:pw@host:port/db`` → the ``key=value`` string the mysql scanner takes."""
    parts = urlsplit(dsn)
    words = {
        "host": parts.hostname or "127.0.0.1",
        "port": str(parts.port or 3306),
        "user": unquote(parts.username or "root"),
        "database": parts.path.lstrip("/"),
    }
    if parts.password:
        words["passwd"] = unquote(parts.password)
    return " ".join(f"{key}={value}" for key, value in words.items() if value)


def _sqlite_declared_types(path: Path) -> dict[str, dict[str, str]]:
    """Return table → column → declared type, as written in the file's CREATE TABLEs."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [
            row[0]
            for row in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            table: {
                column: declared
                for _, column, declared, *_ in con.execute(f"PRAGMA table_info('{table}')")
                if declared
            }
            for table in tables
        }
    finally:
        con.close()


def _file_tables(path: Path, kind: str) -> dict[str, str]:
    """Return table → file or glob: a folder's ``<table>.<kind>`` files and ``<table>/``
    folders of files, or a single file named by its stem."""
    suffix = f".{kind}"
    if path.is_file():
        return {path.stem: str(path)}
    tables = {}
    for entry in sorted(path.iterdir()):
        if entry.is_file() and entry.suffix == suffix:
            tables[entry.stem] = str(entry)
        elif entry.is_dir():
            tables[entry.name] = str(entry / f"*{suffix}")
    return tables

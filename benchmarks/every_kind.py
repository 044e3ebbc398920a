"""The same tables in every source kind — PostgreSQL, MariaDB, SQLite, a DuckDB file, Parquet
and CSV — with a civicfed.toml granting the benchmark user every column, for the benchmarks
that compare kinds on identical data (W4 pushdown matrix, W6 bulk transfer).

Each benchmark keeps its own copy under ``benchmarks/.work/<name>-sf<sf>/`` (servers: schema /
database ``bench_<name>_sf<sf>``) and reloads it only when a row count no longer matches.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pyarrow as pa
import pyarrow.parquet as pq
import pymysql
from rich.console import Console

from benchmarks import split_loaders
from benchmarks.tpch_split import SOURCE_KINDS, _config_text

WORK = Path(__file__).resolve().parent / ".work"
# One source per kind, named as in the TPC-H split: queries read ``pg.orders``, ``csv.orders``…
SOURCES = tuple(SOURCE_KINDS)


@dataclass(frozen=True)
class EveryKind:
    """A loaded data set: its configuration, local copies of the tables, and load facts."""

    config: Path
    tables: dict[str, pa.Table]
    load: dict[str, Any]


def prepare(
    name: str,
    sf: float,
    generate: Callable[[float], dict[str, pa.Table]],
    pg_dsn: str,
    mysql_dsn: str,
    console: Console,
    reload: bool = False,
) -> EveryKind:
    """Return the data set ``name`` at ``sf``, generating and loading it when the cache is
    missing or stale. ``generate(sf)`` gives the tables (names as in tpch_schema, so loaders
    find their keys and text lengths)."""
    directory = WORK / f"{name}-sf{sf:g}"
    namespace = f"bench_{name}_sf{sf:g}".replace(".", "_").replace("-", "_")
    manifest_file, local = directory / "manifest.json", directory / "local"
    if not reload and _cache_is_valid(directory, namespace, pg_dsn, mysql_dsn):
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
        tables = {t: pq.read_table(local / f"{t}.parquet") for t in manifest["rows"]}
        console.print(f"using the data loaded at {manifest['loaded_at']} ({directory})")
        return EveryKind(directory / "civicfed.toml", tables, {"cached": True, **manifest})

    with console.status(f"generating {name} at SF {sf:g}"):
        started = time.perf_counter()
        tables = generate(sf)
        generate_s = time.perf_counter() - started
    data = directory / "data"
    data.mkdir(parents=True, exist_ok=True)
    loaders: dict[str, Callable[[Mapping[str, pa.Table]], None]] = {
        "pg": lambda t: split_loaders.load_postgres(pg_dsn, namespace, t),
        "maria": lambda t: _load_mysql(mysql_dsn, namespace, t, directory / "tmp"),
        "lite": lambda t: split_loaders.load_sqlite(data / "lite.sqlite", t),
        "duck": lambda t: split_loaders.load_duckdb(data / "duck.duckdb", t),
        "parquet": lambda t: split_loaders.load_parquet(data / "parquet", t),
        "csv": lambda t: split_loaders.load_csv(data / "csv", t),
    }
    load_seconds = {}
    for source, load in loaders.items():
        with console.status(f"loading {', '.join(tables)} into {SOURCE_KINDS[source]}"):
            started = time.perf_counter()
            load(tables)
            load_seconds[source] = round(time.perf_counter() - started, 3)
    shutil.rmtree(directory / "tmp", ignore_errors=True)
    local.mkdir(exist_ok=True)
    for table_name, table in tables.items():
        pq.write_table(table, local / f"{table_name}.parquet")
    # The TPC-H split's configuration writer, given every table in every source.
    config_text = _config_text(dict.fromkeys(SOURCES, tables), pg_dsn, mysql_dsn, namespace)
    (directory / "civicfed.toml").write_text(config_text, encoding="utf-8")
    manifest = {
        "namespace": namespace,
        "sf": sf,
        "servers": [pg_dsn, mysql_dsn],
        "rows": {t: table.num_rows for t, table in tables.items()},
        "generate_seconds": round(generate_s, 3),
        "load_seconds": load_seconds,
        "loaded_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    manifest_file.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    console.print(
        f"generated in {generate_s:.1f} s; loaded "
        + ", ".join(f"{s} {t:.1f} s" for s, t in load_seconds.items())
    )
    return EveryKind(directory / "civicfed.toml", tables, {"cached": False, **manifest})


# Stands in for NULL while a date travels through LOAD DATA; no generated date is this early.
_NULL_DATE = dt.date(1900, 1, 1)


def _load_mysql(dsn: str, database: str, tables: Mapping[str, pa.Table], scratch: Path) -> None:
    """Load ``tables`` with split_loaders.load_mysql, keeping NULL dates NULL.

    Its CSV writes NULL as an empty field, which LOAD DATA refuses for a DATE (TPC-H itself
    has no NULLs); so NULL dates travel as ``_NULL_DATE`` and are set back afterwards.
    """
    filled: dict[str, pa.Table] = {}
    nulls: dict[str, list[str]] = {}
    for name, table in tables.items():
        for index, field in enumerate(table.schema):
            if table.column(index).null_count == 0:
                continue
            if not pa.types.is_date32(field.type):
                raise NotImplementedError(f"{name}.{field.name}: only NULL dates are loaded")
            dated = table.column(index).fill_null(pa.scalar(_NULL_DATE, pa.date32()))
            table = table.set_column(index, field, dated)
            nulls.setdefault(name, []).append(field.name)
        filled[name] = table
    split_loaders.load_mysql(dsn, database, filled, scratch)
    if not nulls:
        return
    parts = urlsplit(dsn)
    con = pymysql.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=unquote(parts.username or "root"),
        password=unquote(parts.password or ""),
        database=database,
        autocommit=True,
    )
    try:
        with con.cursor() as cur:
            for name, columns in nulls.items():
                for column in columns:
                    cur.execute(
                        f"UPDATE {name} SET {column} = NULL WHERE {column} = %s", (_NULL_DATE,)
                    )
    finally:
        con.close()


def _cache_is_valid(directory: Path, namespace: str, pg_dsn: str, mysql_dsn: str) -> bool:
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if manifest.get("namespace") != namespace or manifest.get("servers") != [pg_dsn, mysql_dsn]:
        return False
    data = directory / "data"
    files = [data / "lite.sqlite", data / "duck.duckdb", directory / "civicfed.toml"]
    if not all(f.is_file() for f in files):
        return False
    rows: dict[str, int] = manifest.get("rows", {})
    for table, count in rows.items():
        copies = [
            directory / "local" / f"{table}.parquet",
            data / "parquet" / f"{table}.parquet",
            data / "csv" / f"{table}.csv",
        ]
        if not all(c.is_file() for c in copies):
            return False
        if pq.ParquetFile(copies[0]).metadata.num_rows != count:
            return False
        if split_loaders.postgres_row_count(pg_dsn, namespace, table) != count:
            return False
        if split_loaders.mysql_row_count(mysql_dsn, namespace, table) != count:
            return False
    return bool(rows)

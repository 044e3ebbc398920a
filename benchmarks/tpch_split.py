"""TPC-H "split": the eight TPC-H tables spread over several sources, with a civicfed.toml.

``generate(sf)`` builds the tables with DuckDB's tpch extension (loaded offline from the
``duckdb-extension-tpch`` wheel); ``load_split`` puts them into PostgreSQL, MariaDB, SQLite, a
DuckDB file, a Parquet folder and a CSV folder (the ``servers`` split, ``DEFAULT_SPLIT``) or
into SQLite files, DuckDB files, Parquet and CSV only (the ``embedded`` split,
``EMBEDDED_SPLIT``) and writes the configuration civicfed and the scanner peer read;
``federated_query(n, split)`` gives TPC-H query *n* with ``source.table`` names.
"""

from __future__ import annotations

import functools
import importlib
import json
import re
import shutil
import time
from collections.abc import Mapping
from pathlib import Path

import duckdb
import pyarrow as pa
import sqlglot
from sqlglot import exp

from benchmarks import split_loaders
from benchmarks.tpch_schema import TPCH_TABLES

# Source name → kind. The names are what queries use: ``pg.lineitem``, ``maria.orders``, …
SOURCE_KINDS: Mapping[str, str] = {
    "pg": "postgres",
    "maria": "mysql",
    "lite": "sqlite",
    "duck": "duckdb",
    "parquet": "parquet",
    "csv": "csv",
}

# Table → source. lineitem (three quarters of the rows) sits on PostgreSQL, the server with the
# fastest bulk path (binary COPY) and a planner worth pushing work to. orders + customer share
# MariaDB: a foreign-key pair on one server, so customer⋈orders (Q13, Q22) can be pushed there
# whole, while lineitem⋈orders (Q3–5, 7–10, 12, 18, 21) always crosses servers — the federated
# join that matters. part, partsupp and supplier (mid-sized) go to the three embedded kinds;
# nation and region (25 and 5 rows, keys and names only) to CSV, whose sniffed types can change
# no answer.
DEFAULT_SPLIT: Mapping[str, str] = {
    "lineitem": "pg",
    "orders": "maria",
    "customer": "maria",
    "part": "lite",
    "partsupp": "duck",
    "supplier": "parquet",
    "nation": "csv",
    "region": "csv",
}

# The embedded split: the same join graph as DEFAULT_SPLIT with each server swapped for an
# embedded file of its own, so the two runs differ only in where the bytes come from.
# lineitem (the fact table) goes to a DuckDB file (``duck2``, in PostgreSQL's place): a columnar
# store civicfed can push filters and aggregates into. orders + customer share one SQLite file
# (``lite2``, in MariaDB's place): SQLite is a row store read row by row, the slowest embedded
# path, so the lineitem⋈orders join (Q3–5, 7–10, 12, 18, 21) pays for crossing from a columnar
# file into a row store, while customer⋈orders (Q13, Q22) can still be pushed into SQLite whole.
# part stays alone in a second SQLite file and partsupp alone in a second DuckDB file, rather
# than beside orders or lineitem: sharing a file would let lineitem⋈partsupp (Q9) or
# part⋈partsupp (Q2, Q16, Q20) run inside one source and measure that source, not federation.
# supplier to Parquet, nation + region to CSV, as in the servers split.
EMBEDDED_SOURCE_KINDS: Mapping[str, str] = {
    "duck2": "duckdb",
    "lite2": "sqlite",
    "lite": "sqlite",
    "duck": "duckdb",
    "parquet": "parquet",
    "csv": "csv",
}

EMBEDDED_SPLIT: Mapping[str, str] = {
    "lineitem": "duck2",
    "orders": "lite2",
    "customer": "lite2",
    "part": "lite",
    "partsupp": "duck",
    "supplier": "parquet",
    "nation": "csv",
    "region": "csv",
}

# Split name (``python -m benchmarks --split NAME``) → (table → source, source → kind).
SPLITS: Mapping[str, tuple[Mapping[str, str], Mapping[str, str]]] = {
    "servers": (DEFAULT_SPLIT, SOURCE_KINDS),
    "embedded": (EMBEDDED_SPLIT, EMBEDDED_SOURCE_KINDS),
}
SERVER_KINDS = frozenset({"postgres", "mysql"})

BENCH_USER = "bench"
BENCH_PURPOSE = "benchmark"
BENCH_AGENCY = "BENCH"


def duckdb_extension(package: str) -> Path:
    """Return the ``.duckdb_extension`` file shipped in an extension wheel such as
    ``duckdb_extension_tpch`` (so it loads offline, matching the pinned DuckDB)."""
    module = importlib.import_module(package)
    if module.__file__ is None:
        raise RuntimeError(f"{package} has no location on disk")
    found = sorted(Path(module.__file__).parent.rglob("*.duckdb_extension"))
    if not found:
        raise RuntimeError(f"{package} ships no .duckdb_extension file; reinstall it")
    return found[0]


def _tpch_connection() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET autoinstall_known_extensions = false")
    con.execute(f"LOAD '{duckdb_extension('duckdb_extension_tpch')}'")
    return con


def generate(sf: float) -> dict[str, pa.Table]:
    """Return the eight TPC-H tables at scale factor ``sf`` as Arrow tables (dbgen's types)."""
    con = _tpch_connection()
    try:
        con.execute("CALL dbgen(sf = ?)", [sf])
        return {name: con.execute(f"SELECT * FROM {name}").to_arrow_table() for name in TPCH_TABLES}
    finally:
        con.close()


@functools.cache
def tpch_query(n: int) -> str:
    """Return TPC-H query ``n`` (1–22) as DuckDB's tpch extension writes it."""
    if not 1 <= n <= 22:
        raise ValueError(f"TPC-H has queries 1 to 22, not {n}")
    con = _tpch_connection()
    try:
        row = con.execute("SELECT query FROM tpch_queries() WHERE query_nr = ?", [n]).fetchone()
    finally:
        con.close()
    assert row is not None
    return str(row[0])


def federated_query(n: int, split: Mapping[str, str] = DEFAULT_SPLIT) -> str:
    """Return TPC-H query ``n`` with every TPC-H table written as ``source.table``."""
    tree = sqlglot.parse_one(tpch_query(n), dialect="duckdb")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}

    def qualify(node: exp.Expression) -> exp.Expression:
        if (
            isinstance(node, exp.Table)
            and not node.args.get("db")
            and node.name in split
            and node.name not in ctes
        ):
            node.set("db", exp.to_identifier(split[node.name]))
        return node

    return tree.transform(qualify).sql(dialect="duckdb", pretty=True)


def load_split(
    tables: Mapping[str, pa.Table],
    directory: str | Path,
    pg_dsn: str | None,
    mysql_dsn: str | None,
    split: Mapping[str, str] = DEFAULT_SPLIT,
    namespace: str = "tpch",
    kinds: Mapping[str, str] = SOURCE_KINDS,
) -> Path:
    """Load ``tables`` across the sources ``split`` names and return the civicfed.toml path.

    ``kinds`` gives each source's kind. Server tables go to PostgreSQL schema / MariaDB
    database ``namespace`` (a split without servers needs no DSN); files go under
    ``directory/data``, named after their source (``lite.sqlite``, ``duck.duckdb``, ``parquet/``,
    ``csv/``). Loading drops and recreates everything it owns, so it can be repeated.
    ``directory/manifest.json`` records row counts and per-source load times.
    """
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", namespace):
        raise ValueError(f"namespace {namespace!r} must be a lower-case SQL identifier")
    unknown = sorted(set(split.values()) - set(kinds))
    if unknown:
        raise ValueError(f"unknown source(s) {unknown}; sources are {', '.join(kinds)}")
    missing = sorted(set(split) - set(tables))
    if missing:
        raise ValueError(f"split names table(s) {missing} that were not generated")
    for kind, dsn in (("postgres", pg_dsn), ("mysql", mysql_dsn)):
        if dsn is None and any(kinds[source] == kind for source in split.values()):
            raise ValueError(f"the split has a {kind} source but no DSN was given for it")
    root = Path(directory).resolve()
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    by_source: dict[str, dict[str, pa.Table]] = {}
    for table, source in split.items():
        by_source.setdefault(source, {})[table] = tables[table]

    load_seconds: dict[str, float] = {}
    for source, source_tables in by_source.items():
        started = time.perf_counter()
        kind = kinds[source]
        if kind == "postgres":
            assert pg_dsn is not None
            split_loaders.load_postgres(pg_dsn, namespace, source_tables)
        elif kind == "mysql":
            assert mysql_dsn is not None
            split_loaders.load_mysql(mysql_dsn, namespace, source_tables, root / "tmp")
        elif kind == "sqlite":
            split_loaders.load_sqlite(data / f"{source}.sqlite", source_tables)
        elif kind == "duckdb":
            split_loaders.load_duckdb(data / f"{source}.duckdb", source_tables)
        elif kind == "parquet":
            split_loaders.load_parquet(data / source, source_tables)
        elif kind == "csv":
            split_loaders.load_csv(data / source, source_tables)
        else:
            raise ValueError(f"source {source}: no loader for kind {kind!r}")
        load_seconds[source] = round(time.perf_counter() - started, 3)
    shutil.rmtree(root / "tmp", ignore_errors=True)

    config = root / "civicfed.toml"
    config.write_text(
        _config_text(by_source, pg_dsn or "", mysql_dsn or "", namespace, kinds), encoding="utf-8"
    )
    manifest = {
        "namespace": namespace,
        "split": dict(split),
        "rows": {name: tables[name].num_rows for name in split},
        "load_seconds": load_seconds,
    }
    (root / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return config


def split_files(
    directory: str | Path, split: Mapping[str, str], kinds: Mapping[str, str]
) -> list[Path]:
    """Return the files and folders ``load_split`` writes under ``directory`` for ``split``."""
    data = Path(directory) / "data"
    suffixes = {"sqlite": ".sqlite", "duckdb": ".duckdb", "parquet": "", "csv": ""}
    return [
        data / f"{source}{suffixes[kinds[source]]}"
        for source in dict.fromkeys(split.values())
        if kinds[source] in suffixes
    ]


def drop_split(pg_dsn: str, mysql_dsn: str, namespace: str) -> None:
    """Drop the server-side tables of a split (its PostgreSQL schema and MariaDB database)."""
    split_loaders.drop_postgres(pg_dsn, namespace)
    split_loaders.drop_mysql(mysql_dsn, namespace)


def _config_text(
    by_source: Mapping[str, Mapping[str, pa.Table]],
    pg_dsn: str,
    mysql_dsn: str,
    namespace: str,
    kinds: Mapping[str, str] = SOURCE_KINDS,
) -> str:
    q = json.dumps  # a JSON string is a valid TOML basic string

    def location(source: str) -> str:
        kind = kinds[source]
        if kind == "postgres":
            return f"dsn = {q(pg_dsn)}\nschema = {q(namespace)}"
        if kind == "mysql":
            dsn = split_loaders.with_database(mysql_dsn, namespace)
            return f"dsn = {q(dsn)}\nschema = {q(namespace)}"
        suffix = {"sqlite": ".sqlite", "duckdb": ".duckdb"}.get(kind, "")
        return f"path = {q(f'data/{source}{suffix}')}"

    used = sorted({kinds[source] for source in by_source})
    described = (
        "six source kinds"
        if kinds is SOURCE_KINDS
        else f"{len(by_source)} sources of {len(used)} kinds ({', '.join(used)})"
    )
    parts = [
        f"# Written by benchmarks/tpch_split.py: TPC-H split across {described}.",
        "[federation]",
        'data_dir = "var"',
        "query_timeout_s = 900",
        "",
        "[[agencies]]",
        f'code = "{BENCH_AGENCY}"',
        'name = "Benchmark"',
        "",
    ]
    for source in by_source:
        tables = ", ".join(sorted(by_source[source]))
        parts += [
            f"[sources.{source}]  # {tables}",
            f'kind = "{kinds[source]}"',
            location(source),
            f'owner = "{BENCH_AGENCY}"',
            "timeout_s = 900",
            "",
        ]
    parts += [
        "[[purposes]]",
        f'code = "{BENCH_PURPOSE}"',
        'name = "TPC-H benchmark"',
        "",
        "[[users]]",
        f'name = "{BENCH_USER}"',
        f'agency = "{BENCH_AGENCY}"',
        'roles = ["user"]',
        "",
    ]
    for source in by_source:
        parts += [
            "[[grants]]",
            f'user = "{BENCH_USER}"',
            f'table = "{source}.*"',
            'columns = "*"',
            f'purposes = ["{BENCH_PURPOSE}"]',
            "",
        ]
    return "\n".join(parts)

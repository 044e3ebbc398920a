"""Bulk loaders, one per source kind: each drops what it owns and recreates it from Arrow.

Every path is a bulk path (binary COPY, LOAD DATA, ADBC ingest, Arrow scans); none walks rows
in Python. Keys and indexes are added after the data is in, as a DBA loading a warehouse would.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from benchmarks.tpch_schema import PRIMARY_KEYS, SECONDARY_INDEXES, column_types


def _columns_sql(table: pa.Table) -> str:
    return ", ".join(f"{name} {sql_type}" for name, sql_type in column_types(table.schema))


def _primary_key_sql(name: str) -> str:
    keys = PRIMARY_KEYS.get(name)
    return f", PRIMARY KEY ({', '.join(keys)})" if keys else ""


def _index_statements(name: str, qualified: str) -> list[str]:
    return [
        f"CREATE INDEX {name}_{'_'.join(columns)}_idx ON {qualified} ({', '.join(columns)})"
        for columns in SECONDARY_INDEXES.get(name, ())
    ]


# --- PostgreSQL: binary COPY through ADBC, keys and indexes afterwards ----------------------


def load_postgres(dsn: str, schema: str, tables: Mapping[str, pa.Table]) -> None:
    """(Re)create schema ``schema`` holding ``tables``, with primary keys and indexes."""
    import adbc_driver_postgresql.dbapi as pg

    with pg.connect(dsn) as con, con.cursor() as cur:
        cur.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        cur.execute(f"CREATE SCHEMA {schema}")
        for name, table in tables.items():
            qualified = f"{schema}.{name}"
            cur.execute(f"CREATE TABLE {qualified} ({_columns_sql(table)})")
            cur.adbc_ingest(name, table, mode="append", db_schema_name=schema)
            if name in PRIMARY_KEYS:
                cur.execute(
                    f"ALTER TABLE {qualified} ADD PRIMARY KEY ({', '.join(PRIMARY_KEYS[name])})"
                )
            for statement in _index_statements(name, qualified):
                cur.execute(statement)
            cur.execute(f"ANALYZE {qualified}")
        con.commit()


def drop_postgres(dsn: str, schema: str) -> None:
    """Drop schema ``schema`` and everything in it."""
    import adbc_driver_postgresql.dbapi as pg

    with pg.connect(dsn) as con, con.cursor() as cur:
        cur.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        con.commit()


def postgres_row_count(dsn: str, schema: str, table: str) -> int | None:
    """Return the rows in ``schema.table``, or None when it does not exist."""
    import adbc_driver_postgresql.dbapi as pg

    with pg.connect(dsn) as con, con.cursor() as cur:
        cur.execute("SELECT to_regclass($1) IS NOT NULL", (f"{schema}.{table}",))
        row = cur.fetchone()
        if not row or not row[0]:
            return None
        cur.execute(f"SELECT count(*) FROM {schema}.{table}")
        count = cur.fetchone()
        return int(count[0]) if count else None


# --- MariaDB / MySQL: LOAD DATA LOCAL INFILE from a CSV written by Arrow ----------------------


def with_database(dsn: str, database: str) -> str:
    """Return ``dsn`` with its database (the URL path) replaced by ``database``."""
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def _mysql_connect(dsn: str, database: str | None = None):  # type: ignore[no-untyped-def]
    import pymysql

    parts = urlsplit(dsn)
    return pymysql.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=unquote(parts.username or "root"),
        password=unquote(parts.password or ""),
        database=database,
        charset="utf8mb4",
        autocommit=True,
        local_infile=True,
    )


def load_mysql(dsn: str, database: str, tables: Mapping[str, pa.Table], scratch: Path) -> None:
    """(Re)create database ``database`` holding ``tables``, with primary keys and indexes.

    The server's default collation is kept (case-insensitive, as most MariaDB installs run):
    an engine pushing string predicates there has to cope with it.
    """
    scratch.mkdir(parents=True, exist_ok=True)
    con = _mysql_connect(dsn)
    try:
        with con.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{database}`")
            cur.execute(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4")
            cur.execute(f"USE `{database}`")
            cur.execute("SET SESSION unique_checks = 0")
            for name, table in tables.items():
                cur.execute(
                    f"CREATE TABLE {name} ({_columns_sql(table)}{_primary_key_sql(name)}) "
                    "ENGINE = InnoDB"
                )
                csv_path = scratch / f"{name}.csv"
                pacsv.write_csv(
                    table, csv_path, pacsv.WriteOptions(include_header=False, delimiter=",")
                )
                cur.execute(
                    f"LOAD DATA LOCAL INFILE %s INTO TABLE {name} CHARACTER SET utf8mb4 "
                    "FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '' "
                    "LINES TERMINATED BY '\\n'",
                    (str(csv_path),),
                )
                # LOCAL turns data errors into warnings; a truncated or mangled value is a
                # failed load, not a quiet difference found three queries later.
                cur.execute("SELECT @@warning_count")
                warnings = cur.fetchone()
                if warnings and warnings[0]:
                    raise RuntimeError(f"LOAD DATA into {database}.{name}: {warnings[0]} warnings")
                csv_path.unlink()
                indexes = [
                    f"ADD INDEX {name}_{'_'.join(cols)}_idx ({', '.join(cols)})"
                    for cols in SECONDARY_INDEXES.get(name, ())
                ]
                if indexes:
                    cur.execute(f"ALTER TABLE {name} {', '.join(indexes)}")
                cur.execute(f"ANALYZE TABLE {name}")
                cur.fetchall()
    finally:
        con.close()


def drop_mysql(dsn: str, database: str) -> None:
    """Drop database ``database``."""
    con = _mysql_connect(dsn)
    try:
        with con.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{database}`")
    finally:
        con.close()


def mysql_row_count(dsn: str, database: str, table: str) -> int | None:
    """Return the rows in ``database.table``, or None when it does not exist."""
    con = _mysql_connect(dsn)
    try:
        with con.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema = %s AND table_name = %s",
                (database, table),
            )
            exists = cur.fetchone()
            if not exists or not exists[0]:
                return None
            cur.execute(f"SELECT count(*) FROM `{database}`.{table}")
            count = cur.fetchone()
            return int(count[0]) if count else None
    finally:
        con.close()


# --- SQLite: declared types, ADBC bulk ingest -----------------------------------------------


def _sqlite_storable(table: pa.Table) -> pa.Table:
    """Dates become ISO text and decimals their decimal text (NUMERIC affinity stores them as
    numbers); SQLite has no date or decimal storage class and ADBC binds neither."""
    columns = []
    for column in table.columns:
        if pa.types.is_date(column.type) or pa.types.is_decimal(column.type):
            column = pc.cast(column, pa.string())
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


def load_sqlite(path: Path, tables: Mapping[str, pa.Table]) -> None:
    """(Re)create the SQLite file ``path`` holding ``tables`` with declared TPC-H types."""
    import adbc_driver_sqlite.dbapi as sqlite

    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite.connect(str(path)) as con, con.cursor() as cur:
        for name, table in tables.items():
            cur.execute(f"CREATE TABLE {name} ({_columns_sql(table)}{_primary_key_sql(name)})")
            cur.adbc_ingest(name, _sqlite_storable(table), mode="append")
            for statement in _index_statements(name, name):
                cur.execute(statement)
        cur.execute("ANALYZE")
        con.commit()


# --- Embedded files: DuckDB database, Parquet and CSV folders -------------------------------


def load_duckdb(path: Path, tables: Mapping[str, pa.Table]) -> None:
    """(Re)create the DuckDB file ``path`` holding ``tables`` with primary keys."""
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        for name, table in tables.items():
            con.execute(f"CREATE TABLE {name} ({_columns_sql(table)}{_primary_key_sql(name)})")
            con.register("incoming", table)
            con.execute(f"INSERT INTO {name} SELECT * FROM incoming")
            con.unregister("incoming")
        con.execute("CHECKPOINT")
    finally:
        con.close()


def _fresh_folder(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)


def load_parquet(folder: Path, tables: Mapping[str, pa.Table]) -> None:
    """(Re)create ``folder`` with one ``<table>.parquet`` file per table."""
    _fresh_folder(folder)
    for name, table in tables.items():
        pq.write_table(table, folder / f"{name}.parquet")


def load_csv(folder: Path, tables: Mapping[str, pa.Table]) -> None:
    """(Re)create ``folder`` with one ``<table>.csv`` file (with a header) per table."""
    _fresh_folder(folder)
    for name, table in tables.items():
        pacsv.write_csv(table, folder / f"{name}.csv")

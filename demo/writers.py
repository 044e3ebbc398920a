"""Write the demo tables into the source kinds of the scenario, idempotently (drop and recreate).

Embedded: SQLite and DuckDB files, a Parquet folder and a CSV folder, each written beside the
target and moved into place, so a reader never sees half a file. Servers: PostgreSQL through ADBC
bulk ingest (binary COPY) inside one transaction, MariaDB/MySQL through multi-row INSERT batches.
Keys and secondary indexes are built after the bulk load, which is much faster than maintaining
them row by row.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit

import adbc_driver_sqlite.dbapi as adbc_sqlite
import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from demo.table_schemas import (
    TABLE_SCHEMAS,
    Dialect,
    TableSchema,
    create_index_sql,
    create_table_sql,
    quote,
)

MYSQL_BATCH_ROWS = 5_000
_SIDE_FILES = ("-journal", "-wal", "-shm", ".wal")  # SQLite journals, DuckDB's write-ahead log
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _schema_of(name: str, frame: pl.DataFrame) -> TableSchema:
    schema = TABLE_SCHEMAS[name]
    missing = set(schema.column_names) - set(frame.columns)
    if missing:
        raise ValueError(f"table {name} lacks column(s) {sorted(missing)}")
    return schema


def _in_key_order(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Return the table's declared columns sorted by its primary key (cheap index builds)."""
    schema = _schema_of(name, frame)
    frame = frame.select(schema.column_names)
    return frame.sort(schema.primary_key) if schema.primary_key else frame


def _plain_arrow(frame: pl.DataFrame) -> pa.Table:
    """Return ``frame`` as Arrow with plain ``string`` columns, which every consumer accepts."""
    table = frame.to_arrow()
    fields = [
        pa.field(f.name, pa.string(), f.nullable)
        if pa.types.is_large_string(f.type) or pa.types.is_string_view(f.type)
        else f
        for f in table.schema
    ]
    return table.cast(pa.schema(fields))


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _replace(staged: Path, target: Path) -> None:
    """Move a fully written file or folder over ``target`` (and the target's leftovers)."""
    for leftover in (target, *(target.with_name(target.name + s) for s in _SIDE_FILES)):
        _remove(leftover)
    os.replace(staged, target)


def _staging_path(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(f".{target.name}.writing")
    for leftover in (staged, *(staged.with_name(staged.name + s) for s in _SIDE_FILES)):
        _remove(leftover)
    return staged


# --- embedded ---------------------------------------------------------------------------------


def _sqlite_arrow(name: str, frame: pl.DataFrame) -> pa.Table:
    """Return the table as SQLite stores it: dates as ISO text, decimals as REAL."""
    frame = _in_key_order(name, frame).with_columns(
        pl.col(pl.Date).dt.to_string("%Y-%m-%d"),
        pl.col(pl.Decimal).cast(pl.Float64),
    )
    return _plain_arrow(frame)


def write_sqlite(path: Path, tables: Mapping[str, pl.DataFrame]) -> None:
    """Write ``tables`` into a fresh SQLite file with declared types, keys and indexes."""
    staged = _staging_path(path)
    with adbc_sqlite.connect(str(staged), autocommit=True) as connection:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=OFF")  # a staged file needs no crash recovery
        cursor.execute("PRAGMA synchronous=OFF")
        for name, frame in tables.items():
            schema = _schema_of(name, frame)
            table = quote(name, "sqlite")
            cursor.execute(create_table_sql(schema, "sqlite", table))
            cursor.adbc_ingest(name, _sqlite_arrow(name, frame), mode="append")
            for columns in schema.indexes:
                cursor.execute(create_index_sql(schema, columns, "sqlite", table))
        cursor.execute("PRAGMA analysis_limit=1000")  # sampled statistics are plenty here
        cursor.execute("ANALYZE")
        cursor.execute("PRAGMA journal_mode=DELETE")
        cursor.close()
    _replace(staged, path)


def write_duckdb(path: Path, tables: Mapping[str, pl.DataFrame]) -> None:
    """Write ``tables`` into a fresh DuckDB file with DATE and DECIMAL columns and indexes."""
    staged = _staging_path(path)
    connection = duckdb.connect(str(staged))
    try:
        for name, frame in tables.items():
            schema = _schema_of(name, frame)
            table = quote(name, "duckdb")
            connection.execute(create_table_sql(schema, "duckdb", table))
            connection.register("incoming", _plain_arrow(_in_key_order(name, frame)))
            connection.execute(f"INSERT INTO {table} SELECT * FROM incoming")
            connection.unregister("incoming")
            for columns in schema.indexes:
                connection.execute(create_index_sql(schema, columns, "duckdb", table))
        connection.execute("CHECKPOINT")
    finally:
        connection.close()
    _replace(staged, path)


def write_parquet_folder(folder: Path, tables: Mapping[str, pl.DataFrame]) -> None:
    """Write one ``<table>.parquet`` per table into a fresh ``folder``."""
    staged = _staging_path(folder)
    staged.mkdir()
    for name, frame in tables.items():
        pq.write_table(
            _plain_arrow(_in_key_order(name, frame)),
            staged / f"{name}.parquet",
            compression="zstd",
            row_group_size=122_880,
        )
    _replace(staged, folder)


def write_csv_folder(folder: Path, tables: Mapping[str, pl.DataFrame]) -> None:
    """Write one ``<table>.csv`` per table (UTF-8, header, ISO dates) into a fresh ``folder``."""
    staged = _staging_path(folder)
    staged.mkdir()
    for name, frame in tables.items():
        _in_key_order(name, frame).write_csv(staged / f"{name}.csv", date_format="%Y-%m-%d")
    _replace(staged, folder)


# --- servers ----------------------------------------------------------------------------------


def _identifier(name: str) -> str:
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"{name!r} is not a plain SQL identifier")
    return name


def _qualified(namespace: str, table: str, dialect: Dialect) -> str:
    return f"{quote(_identifier(namespace), dialect)}.{quote(table, dialect)}"


def write_postgres(dsn: str, schema_name: str, tables: Mapping[str, pl.DataFrame]) -> None:
    """Replace ``tables`` in PostgreSQL schema ``schema_name`` in one transaction (ADBC ingest)."""
    import adbc_driver_postgresql.dbapi as adbc_postgres

    _identifier(schema_name)
    with adbc_postgres.connect(dsn) as connection:
        cursor = connection.cursor()
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(_identifier(schema_name), 'postgres')}")
        for name, frame in tables.items():
            schema = _schema_of(name, frame)
            table = _qualified(schema_name, name, "postgres")
            cursor.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
            cursor.execute(create_table_sql(schema, "postgres", table, with_primary_key=False))
            arrow = _plain_arrow(_in_key_order(name, frame))
            cursor.adbc_ingest(name, arrow, mode="append", db_schema_name=schema_name)
            key = ", ".join(quote(c, "postgres") for c in schema.primary_key)
            cursor.execute(f"ALTER TABLE {table} ADD PRIMARY KEY ({key})")
            for columns in schema.indexes:
                cursor.execute(create_index_sql(schema, columns, "postgres", table))
            cursor.execute(f"ANALYZE {table}")
        cursor.close()
        connection.commit()


def mysql_connect_args(dsn: str) -> dict[str, object]:
    """Return pymysql.connect keyword arguments for ``mysql://user[:password]@host[:port]/db``."""
    parts = urlsplit(dsn)
    if parts.scheme not in ("mysql", "mariadb"):
        raise ValueError("a MySQL DSN looks like mysql://user@host:3306/database")
    args: dict[str, object] = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 3306,
        "user": unquote(parts.username or "root"),
        "charset": "utf8mb4",
    }
    if parts.password:
        args["password"] = unquote(parts.password)
    return args


def _batches(frame: pl.DataFrame, size: int) -> Iterator[list[tuple[object, ...]]]:
    rows = frame.iter_rows()
    while batch := list(itertools.islice(rows, size)):
        yield batch


def write_mysql(dsn: str, database: str, tables: Mapping[str, pl.DataFrame]) -> None:
    """Replace ``tables`` in MariaDB/MySQL database ``database`` (utf8mb4, binary collation so
    string comparisons match DuckDB's), loading by multi-row INSERT batches."""
    import pymysql

    _identifier(database)
    connection = pymysql.connect(**mysql_connect_args(dsn), autocommit=False)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE DATABASE IF NOT EXISTS {quote(_identifier(database), 'mysql')} "
                "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
            )
            for name, frame in tables.items():
                schema = _schema_of(name, frame)
                table = _qualified(database, name, "mysql")
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
                cursor.execute(
                    create_table_sql(schema, "mysql", table)
                    + " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
                )
                columns = ", ".join(quote(c, "mysql") for c in schema.column_names)
                placeholders = ", ".join(["%s"] * len(schema.columns))
                insert = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"
                # pymysql turns executemany of one INSERT … VALUES into multi-row statements.
                for batch in _batches(_in_key_order(name, frame), MYSQL_BATCH_ROWS):
                    cursor.executemany(insert, batch)
                connection.commit()
                for index_columns in schema.indexes:
                    cursor.execute(create_index_sql(schema, index_columns, "mysql", table))
                cursor.execute(f"ANALYZE TABLE {table}")
                cursor.fetchall()
    finally:
        connection.close()

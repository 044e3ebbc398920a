"""Re-measure the driver choice recorded in adapters/postgres.py and adapters/mysql.py.

    .venv/bin/python tests/adapters/driver_measurements.py [postgresql-dsn] [mysql-dsn]

Loads a 1M-row table (bigint key, int, numeric(15,2), 32-char text, date, boolean) into each
server, then times a full scan (best of 3) and a primary-key lookup (p50 of 50) for each driver,
and the same through the adapters. Drops the tables afterwards. Not a test: timings belong in
benchmarks, never in assertions.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import Callable
from pathlib import Path

import adbc_driver_postgresql.dbapi
import connectorx
import duckdb
import pyarrow as pa
import pymysql
import sqlglot
from sqlglot import exp

from adapters import ScanColumn, ScanRequest, SourceSettings, open_source

ROWS = 1_000_000
KEY = 424_242


def _data() -> pa.Table:
    return duckdb.sql(
        f"SELECT range AS id, (range % 1000)::INTEGER AS k, (range % 100000 / 100)::DECIMAL(15,2)"
        f" AS amount, md5(range::VARCHAR) AS s, DATE '1990-01-01' + (range % 10000)::INTEGER AS d,"
        f" range % 2 = 0 AS flag FROM range({ROWS})"
    ).to_arrow_table()


def _time(run: Callable[[], object], repeat: int) -> list[float]:
    run()  # warm up: connect, load libraries
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return times


def _drain(reader: pa.RecordBatchReader) -> int:
    return sum(batch.num_rows for batch in reader)


def _report(label: str, scan: Callable[[], object], lookup: Callable[[], object]) -> None:
    full = min(_time(scan, 3))
    point = statistics.median(_time(lookup, 50))
    print(f"{label:<34} 1M-row scan {full:6.2f} s   point lookup {point * 1e3:7.2f} ms")


def _adapter_runs(kind: str, dsn: str, table: str) -> tuple[Callable[[], object], ...]:
    adapter = open_source(SourceSettings(name=kind, kind=kind, dsn=dsn))
    schema = adapter.schema(table)
    columns = tuple(ScanColumn(f.name, exp.column(f.name), f.type) for f in schema)
    everything = ScanRequest(table, columns)
    one = ScanRequest(table, columns, (sqlglot.parse_one(f"id = {KEY}"),))
    return (lambda: _drain(adapter.scan(everything)), lambda: adapter.scan(one).read_all())


def postgres(dsn: str, data: pa.Table) -> None:
    table = f"measure_{uuid.uuid4().hex[:8]}"
    connection = adbc_driver_postgresql.dbapi.connect(dsn, autocommit=True)
    cursor = connection.cursor()
    cursor.execute(
        f"CREATE TABLE {table} (id bigint PRIMARY KEY, k integer, amount numeric(15,2),"
        " s text, d date, flag boolean)"
    )
    cursor.adbc_ingest(table, data, mode="append")
    cursor.execute(f"ANALYZE {table}")
    full, point = f"SELECT * FROM {table}", f"SELECT * FROM {table} WHERE id = {KEY}"
    try:

        def adbc_scan() -> int:
            scan_cursor = connection.cursor()
            scan_cursor.execute(full)
            rows = _drain(scan_cursor.fetch_record_batch())
            scan_cursor.close()
            return rows

        def adbc_point() -> object:
            point_cursor = connection.cursor()
            point_cursor.execute(point)
            result = point_cursor.fetch_arrow_table()
            point_cursor.close()
            return result

        def adbc_fresh_point() -> object:
            fresh = adbc_driver_postgresql.dbapi.connect(dsn)
            fresh_cursor = fresh.cursor()
            fresh_cursor.execute(point)
            result = fresh_cursor.fetch_arrow_table()
            fresh_cursor.close()
            fresh.close()
            return result

        _report("ADBC, one open connection", adbc_scan, adbc_point)
        _report("ADBC, new connection per query", adbc_scan, adbc_fresh_point)
        _report(
            "connectorx arrow_stream",
            lambda: _drain(connectorx.read_sql(dsn, full, return_type="arrow_stream")),
            lambda: connectorx.read_sql(dsn, point, return_type="arrow"),
        )
        _report("PostgresAdapter (ADBC, pooled)", *_adapter_runs("postgres", dsn, table))
    finally:
        cursor.execute(f"DROP TABLE {table}")
        cursor.close()
        connection.close()


def mysql(dsn: str, data: pa.Table) -> None:
    table = f"measure_{uuid.uuid4().hex[:8]}"
    parts = urllib.parse.urlsplit(dsn)
    connection = pymysql.connect(
        host=parts.hostname,
        port=parts.port or 3306,
        user=parts.username or "root",
        password=parts.password or "",
        database=parts.path.lstrip("/"),
        local_infile=True,
        autocommit=True,
    )
    full, point = f"SELECT * FROM {table}", f"SELECT * FROM {table} WHERE id = {KEY}"
    with tempfile.TemporaryDirectory() as folder, connection.cursor() as cursor:
        csv_path = Path(folder) / "data.csv"
        with duckdb.connect() as writer:
            writer.register("data", data)
            writer.execute(f"COPY data TO '{csv_path}' (HEADER false)")
        cursor.execute(
            f"CREATE TABLE {table} (id BIGINT PRIMARY KEY, k INT, amount DECIMAL(15,2),"
            " s VARCHAR(32), d DATE, flag BOOLEAN)"
        )
        cursor.execute(
            f"LOAD DATA LOCAL INFILE %s INTO TABLE {table} FIELDS TERMINATED BY ','",
            (str(csv_path),),
        )
        try:
            _report(
                "connectorx arrow_stream",
                lambda: _drain(connectorx.read_sql(dsn, full, return_type="arrow_stream")),
                lambda: connectorx.read_sql(dsn, point, return_type="arrow_stream").read_all(),
            )
            _report(
                "connectorx arrow (materialised)",
                lambda: connectorx.read_sql(dsn, full, return_type="arrow"),
                lambda: connectorx.read_sql(dsn, point, return_type="arrow"),
            )
            _report("MySQLAdapter (connectorx stream)", *_adapter_runs("mysql", dsn, table))
        finally:
            cursor.execute(f"DROP TABLE {table}")
    connection.close()


def main() -> None:
    pg_dsn = sys.argv[1] if len(sys.argv) > 1 else "postgresql://postgres@127.0.0.1:5432/test"
    mysql_dsn = sys.argv[2] if len(sys.argv) > 2 else "mysql://root@127.0.0.1:3306/test"
    data = _data()
    print(f"PostgreSQL ({pg_dsn})")
    postgres(pg_dsn, data)
    print(f"MySQL/MariaDB ({mysql_dsn})")
    mysql(mysql_dsn, data)


if __name__ == "__main__":
    main()

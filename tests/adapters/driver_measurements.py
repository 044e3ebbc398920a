"""Re-measure the transport choice recorded in adapters/postgres.py and adapters/mysql.py.

    .venv/bin/python tests/adapters/driver_measurements.py [--loaded] [--pg DSN] [--mysql DSN]

Loads a 1M-row table (bigint key, int, numeric(15,2), 32-char text, date, boolean) into each
server, then, for each transport and through the adapter, measures a full scan (best and median of
5), the time to the first batch, the peak growth of the resident set while streaming, and a
primary-key lookup (p50 and p95 of 200). ``--loaded`` keeps both cores busy with two spinning
processes meanwhile, as a benchmark run or a busy API server does. Drops the tables afterwards.
Not a test: timings belong in benchmarks, never in assertions.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import statistics
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import adbc_driver_postgresql
import adbc_driver_postgresql.dbapi
import connectorx
import duckdb
import pyarrow as pa
import pymysql
import sqlglot
from sqlglot import exp

from adapters import ScanColumn, ScanRequest, SourceSettings, open_source
from adapters.duckdb_extensions import load_extension

ROWS = 1_000_000
KEY = 424_242
SCANS = 5
LOOKUPS = 200

Reader = Callable[[str], pa.RecordBatchReader]


def _data() -> pa.Table:
    return duckdb.sql(
        f"SELECT range AS id, (range % 1000)::INTEGER AS k, (range % 100000 / 100)::DECIMAL(15,2)"
        f" AS amount, md5(range::VARCHAR) AS s, DATE '1990-01-01' + (range % 10000)::INTEGER AS d,"
        f" range % 2 = 0 AS flag FROM range({ROWS})"
    ).to_arrow_table()


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@contextlib.contextmanager
def _rss_peak() -> Iterator[list[int]]:
    """Sample the resident set every 2 ms; yield a one-item list that ends as the peak growth."""
    peak, start, done = [0], _rss(), threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _rss() - start)
            time.sleep(0.002)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peak
    finally:
        done.set()
        sampler.join()


def _report(label: str, read: Reader, full: str, point: str) -> None:
    read(point).read_all()  # warm up: connect, load libraries
    totals, firsts, peaks = [], [], []
    for _ in range(SCANS):
        with _rss_peak() as peak:
            started = time.perf_counter()
            reader = read(full)
            rows = reader.read_next_batch().num_rows
            first = time.perf_counter() - started
            rows += sum(batch.num_rows for batch in reader)
            totals.append(time.perf_counter() - started)
            reader.close()
        assert rows == ROWS, rows
        firsts.append(first)
        peaks.append(peak[0])
    lookups = []
    for _ in range(LOOKUPS):
        started = time.perf_counter()
        assert read(point).read_all().num_rows == 1
        lookups.append(time.perf_counter() - started)
    lookups.sort()
    print(
        f"  {label:<30} scan {min(totals):5.2f}/{statistics.median(totals):5.2f} s"
        f"  first batch {statistics.median(firsts) * 1e3:5.0f} ms"
        f"  +RSS {max(peaks) / 2**20:5.1f} MB"
        f"  lookup p50 {lookups[len(lookups) // 2] * 1e3:5.2f} ms"
        f" p95 {lookups[int(len(lookups) * 0.95)] * 1e3:5.2f} ms",
        flush=True,
    )


def _adapter_reader(kind: str, dsn: str, table: str) -> Reader:
    adapter = open_source(SourceSettings(name=kind, kind=kind, dsn=dsn))
    columns = tuple(ScanColumn(f.name, exp.column(f.name), f.type) for f in adapter.schema(table))

    def read(sql: str) -> pa.RecordBatchReader:
        filters = (sqlglot.parse_one(f"id = {KEY}"),) if "WHERE" in sql else ()
        return adapter.scan(ScanRequest(table, columns, filters))

    return read


def _duckdb_reader(extension: str, attach: str, kind: str) -> Reader:
    database = duckdb.connect(
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )
    load_extension(database, extension)
    database.execute(f"ATTACH {_quoted(attach)} AS src (TYPE {kind}, READ_ONLY)")
    function = f"{kind}_query"

    def read(sql: str) -> pa.RecordBatchReader:
        cursor = database.cursor()
        return cursor.execute(f"SELECT * FROM {function}('src', {_quoted(sql)})").to_arrow_reader(
            65_536
        )

    return read


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


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
    hint = adbc_driver_postgresql.StatementOptions.BATCH_SIZE_HINT_BYTES.value
    open_cursors: list[object] = []

    def adbc(sql: str) -> pa.RecordBatchReader:
        scan_cursor = connection.cursor()
        scan_cursor.adbc_statement.set_options(**{hint: str(4 * 2**20)})
        scan_cursor.execute(sql)
        open_cursors[:] = [scan_cursor]  # the reader dies with its cursor
        return scan_cursor.fetch_record_batch()

    try:
        _report("ADBC, one open connection", adbc, full, point)
        _report("connectorx arrow_stream", _connectorx(dsn), full, point)
        _report("DuckDB postgres_query", _duckdb_reader("postgres", dsn, "postgres"), full, point)
        _report("PostgresAdapter", _adapter_reader("postgres", dsn, table), full, point)
    finally:
        cursor.execute(f"DROP TABLE {table}")
        cursor.close()
        connection.close()


def _connectorx(dsn: str) -> Reader:
    def read(sql: str) -> pa.RecordBatchReader:
        reader: pa.RecordBatchReader = connectorx.read_sql(
            dsn, sql, return_type="arrow_stream", batch_size=65_536
        )
        return reader

    return read


def mysql(dsn: str, data: pa.Table) -> None:
    table = f"measure_{uuid.uuid4().hex[:8]}"
    parts = urllib.parse.urlsplit(dsn)
    database = parts.path.lstrip("/")
    connection = pymysql.connect(
        host=parts.hostname,
        port=parts.port or 3306,
        user=parts.username or "root",
        password=parts.password or "",
        database=database,
        local_infile=True,
        autocommit=True,
    )
    attach = (
        f"host={parts.hostname} port={parts.port or 3306} user={parts.username or 'root'}"
        f" database={database}"
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
            _report("connectorx arrow_stream", _connectorx(dsn), full, point)
            _report("DuckDB mysql_query", _duckdb_reader("mysql", attach, "mysql"), full, point)
            _report("MySQLAdapter", _adapter_reader("mysql", dsn, table), full, point)
        finally:
            cursor.execute(f"DROP TABLE {table}")
    connection.close()


def _spin() -> None:
    while True:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--mysql", default="mysql://root@127.0.0.1:3306/test")
    parser.add_argument("--loaded", action="store_true", help="keep both cores busy meanwhile")
    parser.add_argument("--only", choices=["postgres", "mysql"], default=None)
    args = parser.parse_args()
    data = _data()
    spinners = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(2)]
    if args.loaded:
        for spinner in spinners:
            spinner.start()
    try:
        if args.only in (None, "postgres"):
            print(f"PostgreSQL ({args.pg}){' under load' if args.loaded else ''}")
            postgres(args.pg, data)
        if args.only in (None, "mysql"):
            print(f"MySQL/MariaDB ({args.mysql}){' under load' if args.loaded else ''}")
            mysql(args.mysql, data)
    finally:
        for spinner in spinners:
            if spinner.is_alive():
                spinner.terminate()


if __name__ == "__main__":
    main()

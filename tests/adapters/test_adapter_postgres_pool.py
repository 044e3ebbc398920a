"""PostgreSQL specifics the shared suite cannot express: declared types whose comparisons differ
from DuckDB's (char(n), real), a pooled session that the server killed, a timed-out statement that
the server really stops, numerics wider than 28 digits, and the session settings in the DSN."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from decimal import Decimal

import adbc_driver_postgresql.dbapi
import pyarrow as pa
import pytest
import sqlglot
from sqlglot import exp

from adapters import Pushdown, ScanColumn, ScanRequest, SourceError, SourceSettings
from adapters.postgres import PostgresAdapter, connection_string


@pytest.fixture
def server(pg_dsn: str) -> Iterator[tuple[object, str]]:
    """A direct connection and a scratch table (code char(5), ratio real)."""
    table = f"adapter_pg_{uuid.uuid4().hex[:8]}"
    connection = adbc_driver_postgresql.dbapi.connect(pg_dsn, autocommit=True)
    cursor = connection.cursor()
    cursor.execute(f"CREATE TABLE {table} (id bigint, code char(5), ratio real)")
    cursor.execute(f"INSERT INTO {table} VALUES (1, 'ab', 0.1), (2, 'ab   ', 0.5), (3, 'b', 1)")
    try:
        yield cursor, table
    finally:
        cursor.execute(f"DROP TABLE {table}")
        cursor.close()
        connection.close()


def _adapter(dsn: str, timeout_s: float = 30.0) -> PostgresAdapter:
    return PostgresAdapter(
        SourceSettings(name="welfare_pg", kind="postgres", dsn=dsn, timeout_s=timeout_s)
    )


def test_char_and_real_columns_are_judged_by_their_declared_type(
    pg_dsn: str, server: tuple[object, str]
) -> None:
    _, table = server
    adapter = _adapter(pg_dsn)
    verdicts = adapter.judge_filters(
        table, [sqlglot.parse_one(s) for s in ("code = 'ab'", "code < 'b'", "ratio = 0.5")]
    )
    assert [v.pushdown for v in verdicts] == [
        Pushdown.INEXACT,  # blank-padded: 'ab' = 'ab   '
        Pushdown.UNSUPPORTED,
        Pushdown.UNSUPPORTED,  # float4 compares in single precision
    ]
    request = ScanRequest(
        table,
        (ScanColumn("id", exp.column("id"), pa.int64()),),
        (sqlglot.parse_one("code = 'ab'"),),
    )
    assert sorted(adapter.scan(request).read_all().column("id").to_pylist()) == [1, 2]
    adapter.close()


def test_a_pooled_session_killed_by_the_server_is_replaced(
    pg_dsn: str, server: tuple[object, str]
) -> None:
    cursor, table = server
    adapter = _adapter(pg_dsn)
    whose = ScanRequest(
        table, (ScanColumn("pid", sqlglot.parse_one("pg_backend_pid()"), pa.int32()),), limit=1
    )
    [pid] = adapter.scan(whose).read_all().column("pid").to_pylist()
    cursor.execute(f"SELECT pg_terminate_backend({int(pid)})")  # type: ignore[attr-defined]
    [new_pid] = adapter.scan(whose).read_all().column("pid").to_pylist()
    assert new_pid != pid
    adapter.close()


def test_a_timed_out_statement_is_stopped_on_the_server(
    pg_dsn: str, server: tuple[object, str]
) -> None:
    """DuckDB's interrupt() would leave the statement running on the server; the session's
    statement_timeout cancels it there."""
    cursor, table = server
    adapter = _adapter(pg_dsn, timeout_s=0.5)
    slow = ScanRequest(
        table, (ScanColumn("t", sqlglot.parse_one("pg_sleep(3)::text"), pa.string()),), limit=1
    )
    started = time.monotonic()
    with pytest.raises(SourceError, match="timed out"):
        adapter.scan(slow).read_all()
    assert time.monotonic() - started < 1.5
    cursor.execute(  # type: ignore[attr-defined]
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE application_name = 'civicfed' AND query LIKE '%pg_sleep%' AND state = 'active'"
    )
    assert cursor.fetchall() == [(0,)]  # type: ignore[attr-defined]
    adapter.close()


def test_numerics_beyond_28_digits_come_back_exactly(pg_dsn: str) -> None:
    table = f"adapter_pg_{uuid.uuid4().hex[:8]}"
    connection = adbc_driver_postgresql.dbapi.connect(pg_dsn, autocommit=True)
    cursor = connection.cursor()
    cursor.execute(f"CREATE TABLE {table} (big numeric(38,0), fine numeric(20,11))")
    cursor.execute(
        f"INSERT INTO {table} VALUES"
        " (12345678901234567890123456789012345678, -123456789.00000000001)"
    )
    try:
        adapter = _adapter(pg_dsn)
        schema = adapter.schema(table)
        request = ScanRequest(
            table, tuple(ScanColumn(f.name, exp.column(f.name), f.type) for f in schema)
        )
        assert adapter.scan(request).read_all().to_pylist() == [
            {
                "big": Decimal("12345678901234567890123456789012345678"),
                "fine": Decimal("-123456789.00000000001"),
            }
        ]
        adapter.close()
    finally:
        cursor.execute(f"DROP TABLE {table}")
        cursor.close()
        connection.close()


@pytest.mark.parametrize(
    ("dsn", "options"),
    [
        ("postgresql://u@db/x", "-c statement_timeout=2500"),
        ("postgresql://u@db/x?options=-c%20work_mem%3D4MB", "-c work_mem=4MB -c statement_timeout"),
        ("host=db user=u", "-c statement_timeout=2500"),
        ("host=db options='-c work_mem=4MB'", "-c work_mem=4MB -c statement_timeout"),
    ],
)
def test_every_session_starts_with_the_timeout_and_read_only(dsn: str, options: str) -> None:
    conninfo = connection_string(dsn, 2.5)
    if "://" in conninfo:
        import urllib.parse

        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(conninfo).query))
        session, timeout = query["options"], query["connect_timeout"]
    else:
        session = conninfo.split("options='", 1)[1].split("'", 1)[0]
        timeout = conninfo.split("connect_timeout='", 1)[1].split("'", 1)[0]
    assert session.startswith(options)
    assert session.endswith("-c statement_timeout=2500 -c default_transaction_read_only=on")
    assert timeout == "3"

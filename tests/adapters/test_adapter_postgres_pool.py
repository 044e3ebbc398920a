"""PostgreSQL specifics the shared suite cannot express: declared types whose comparisons differ
from DuckDB's (char(n), real), and a pooled session that the server killed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import adbc_driver_postgresql.dbapi
import pyarrow as pa
import pytest
import sqlglot
from sqlglot import exp

from adapters import Pushdown, ScanColumn, ScanRequest, SourceSettings
from adapters.postgres import PostgresAdapter


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


def _adapter(dsn: str) -> PostgresAdapter:
    return PostgresAdapter(SourceSettings(name="welfare_pg", kind="postgres", dsn=dsn))


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

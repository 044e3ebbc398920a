"""MySQL/MariaDB specifics the shared suite cannot express: DECIMAL values beyond what
connectorx's rust_decimal carries (more than 10 decimal places, more than 18 integer digits,
wider than Arrow's 38 digits) come back exactly, not truncated and not as a failure."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pymysql
import pytest
from sqlglot import exp

from adapters import ScanColumn, ScanRequest, SourceSettings
from adapters.mysql import MySQLAdapter

BIG = "12345678901234567890123456789012345678"
HUGE = "-12345678901234567890123456789012345678901234.25"
WIDE = [
    # (id, DECIMAL(38,0), DECIMAL(20,11), DECIMAL(31,2), DECIMAL(12,2), DECIMAL(65,2))
    (1, BIG, "0.12345678901", "-99999999999999999999999999999.99", "1.50", "1.5"),
    (2, "-1", "-123456789.00000000001", "0.01", "-0.01", HUGE),
    (3, None, None, None, None, None),
]


@pytest.fixture
def wide_table(mysql_dsn: str) -> Iterator[str]:
    table = f"adapter_mysql_{uuid.uuid4().hex[:8]}"
    connection: Any = pymysql.connect(
        host="127.0.0.1", port=3306, user="root", database="test", autocommit=True
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {table} (id BIGINT PRIMARY KEY, big DECIMAL(38,0),"
            " fine DECIMAL(20,11), wide DECIMAL(31,2), plain DECIMAL(12,2), huge DECIMAL(65,2))"
        )
        cursor.executemany(f"INSERT INTO {table} VALUES (%s, %s, %s, %s, %s, %s)", WIDE)
    try:
        yield table
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {table}")
        connection.close()


def test_decimals_beyond_rust_decimal_come_back_exactly(mysql_dsn: str, wide_table: str) -> None:
    adapter = MySQLAdapter(SourceSettings(name="maria", kind="mysql", dsn=mysql_dsn))
    schema = adapter.schema(wide_table)
    assert schema.field("big").type == pa.decimal128(38, 0)
    assert schema.field("huge").type == pa.float64()  # wider than Arrow: DOUBLE, as DuckDB reads it
    request = ScanRequest(
        wide_table, tuple(ScanColumn(f.name, exp.column(f.name), f.type) for f in schema)
    )
    rendered = adapter.render(request)
    assert "CAST(`big` AS CHAR)" in rendered and "CAST(`huge` AS CHAR)" in rendered
    assert "CAST(`plain`" not in rendered  # within rust_decimal: read as DECIMAL
    rows = adapter.scan(request).read_all().sort_by("id").to_pylist()
    for row, (key, big, fine, wide, plain, huge) in zip(rows, WIDE, strict=True):
        assert row["id"] == key
        assert row["big"] == (None if big is None else Decimal(big))
        assert row["fine"] == (None if fine is None else Decimal(fine))
        assert row["wide"] == (None if wide is None else Decimal(wide))
        assert row["plain"] == (None if plain is None else Decimal(plain))
        assert row["huge"] == (None if huge is None else float(huge))
    adapter.close()

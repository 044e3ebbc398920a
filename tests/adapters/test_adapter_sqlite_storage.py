"""SQLite lets every value carry its own storage class; ADBC fixes a column's Arrow type from the
first batch. These are the cases that broke a plain ``SELECT`` (see adapters/sqlite.py)."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import adbc_driver_manager
import pyarrow as pa
import pytest
import sqlglot
from sqlglot import exp

from adapters import Pushdown, ScanColumn, ScanRequest, SourceSettings
from adapters.sqlite import BATCH_ROWS, SqliteAdapter

ROWS = BATCH_ROWS + 5_000  # past the first batch, where ADBC settles the types


def _adapter(path: Path) -> SqliteAdapter:
    return SqliteAdapter(SourceSettings(name="household", kind="sqlite", path=str(path)))


def test_columns_that_start_null_or_whole_still_read(tmp_path: Path) -> None:
    path = tmp_path / "mixed.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (id INTEGER, name TEXT, amount DECIMAL(12,2))")
        # NULL text, then text; DECIMAL stored as INTEGER (5.00 → 5), then as REAL.
        connection.executemany(
            "INSERT INTO t VALUES (?, ?, ?)",
            (
                (i, None if i < BATCH_ROWS else f"n{i}", 5 if i < BATCH_ROWS else 5.25)
                for i in range(ROWS)
            ),
        )
    adapter = _adapter(path)
    request = ScanRequest(
        "t", tuple(ScanColumn(f.name, exp.column(f.name), f.type) for f in adapter.schema("t"))
    )
    table = adapter.scan(request).read_all()
    adapter.close()
    assert table.num_rows == ROWS
    assert table.column("name").null_count == BATCH_ROWS
    assert table.column("amount").to_pylist()[-1] == Decimal("5.25")
    assert table.column("amount").type == pa.decimal128(12, 2)


def test_a_nocase_column_still_compares_exactly(tmp_path: Path) -> None:
    path = tmp_path / "nocase.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (name TEXT COLLATE NOCASE)")
        connection.executemany("INSERT INTO t VALUES (?)", [("abc",), ("ABC",), ("b",)])
    adapter = _adapter(path)
    condition = sqlglot.parse_one("name = 'abc'")
    assert adapter.judge_filters("t", [condition])[0].pushdown is Pushdown.EXACT
    request = ScanRequest("t", (ScanColumn("name", exp.column("name"), pa.string()),), (condition,))
    assert adapter.scan(request).read_all().column("name").to_pylist() == ["abc"]
    adapter.close()


def test_the_database_is_opened_read_only(tmp_path: Path) -> None:
    path = tmp_path / "ro.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (id INTEGER)")
    adapter = _adapter(path)
    connection, _ = adapter._connections().acquire()
    cursor = connection.cursor()
    with pytest.raises(adbc_driver_manager.Error, match="readonly"):
        cursor.execute("INSERT INTO t VALUES (1)")
    cursor.close()
    connection.close()
    adapter.close()

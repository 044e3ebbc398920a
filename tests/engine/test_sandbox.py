"""The DuckDB session user SQL runs in reaches nothing outside the query (invariant 4)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from engine.sandbox import Sandbox


@pytest.fixture()
def cursor() -> duckdb.DuckDBPyConnection:
    sandbox = Sandbox(memory_limit="256MB", threads=1)
    cur = sandbox.cursor()
    yield cur
    cur.close()
    sandbox.close()


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM glob('/*')",
        "COPY (SELECT 1) TO '{tmp}/out.csv'",
        "ATTACH '{tmp}/x.duckdb' AS x",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET memory_limit = '100GB'",
        "SET enable_external_access = true",
        "SET lock_configuration = false",
        "SELECT * FROM '{tmp}/data.csv'",
    ],
)
def test_outside_world_is_unreachable(
    cursor: duckdb.DuckDBPyConnection, tmp_path: Path, sql: str
) -> None:
    (tmp_path / "data.csv").write_text("a\n1\n")
    with pytest.raises(duckdb.Error):
        cursor.execute(sql.format(tmp=tmp_path)).fetchall()
    assert not (tmp_path / "out.csv").exists()
    assert not (tmp_path / "x.duckdb").exists()


def test_sessions_do_not_see_each_others_scans() -> None:
    sandbox = Sandbox(memory_limit="256MB", threads=1)
    first, second = sandbox.cursor(), sandbox.cursor()
    first.register("scan_1", pa.table({"secret": ["x"]}))
    with pytest.raises(duckdb.CatalogException):
        second.execute("SELECT * FROM scan_1").fetchall()
    first.close()
    second.close()
    sandbox.close()


def test_memory_limit_stops_a_runaway_cross_join(cursor: duckdb.DuckDBPyConnection) -> None:
    big = pa.table({"v": pa.array(range(200_000))})
    cursor.register("a", big)
    cursor.register("b", big)
    with pytest.raises((duckdb.OutOfMemoryException, duckdb.IOException, duckdb.Error)):
        cursor.execute("SELECT list(a.v || b.v) FROM a, b").fetchall()

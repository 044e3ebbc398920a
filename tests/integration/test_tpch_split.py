"""TPC-H across six source kinds: every query returns what DuckDB returns on local copies.

The eight tables (SF 0.01) go to PostgreSQL, MariaDB, SQLite, a DuckDB file, Parquet and CSV
(benchmarks.tpch_split.DEFAULT_SPLIT). Each of the 22 queries runs through civicfed and
through DuckDB's own scanners on that split, and both must give DuckDB-native's answer.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import sqlglot
from sqlglot import exp

from benchmarks.answers import answer_difference
from benchmarks.peers import NativePeer, ScannerPeer
from benchmarks.tpch_split import (
    BENCH_PURPOSE,
    BENCH_USER,
    DEFAULT_SPLIT,
    SOURCE_KINDS,
    drop_split,
    federated_query,
    generate,
    load_split,
    tpch_query,
)

SF = 0.01
QUERIES = range(1, 23)

pytestmark = pytest.mark.slow  # server tests are marked `server` by conftest


@pytest.fixture(scope="module")
def tpch_tables() -> dict[str, pa.Table]:
    return generate(SF)


@pytest.fixture(scope="module")
def split_config(
    tmp_path_factory: pytest.TempPathFactory,
    tpch_tables: dict[str, pa.Table],
    pg_dsn: str,
    mysql_dsn: str,
) -> Iterator[Path]:
    # A namespace of our own: another test run or the benchmark may be loading at the same time.
    namespace = f"tpch_test_{os.getpid()}"
    directory = tmp_path_factory.mktemp("tpch-split")
    try:
        yield load_split(tpch_tables, directory, pg_dsn, mysql_dsn, namespace=namespace)
    finally:
        drop_split(pg_dsn, mysql_dsn, namespace)


@pytest.fixture(scope="module")
def native(tpch_tables: dict[str, pa.Table]) -> Iterator[NativePeer]:
    with NativePeer(tpch_tables) as peer:
        yield peer


@pytest.fixture(scope="module")
def unqualified_native(tpch_tables: dict[str, pa.Table]) -> Iterator[NativePeer]:
    with NativePeer(tpch_tables, split=None) as peer:
        yield peer


@pytest.fixture(scope="module")
def scanners(split_config: Path) -> Iterator[ScannerPeer]:
    with ScannerPeer(split_config) as peer:
        yield peer


@pytest.fixture(scope="module")
def civicfed(split_config: Path) -> Iterator[Any]:
    import engine

    if not hasattr(engine, "Federation"):
        pytest.skip("engine.Federation is not built yet")
    fed = engine.Federation.open(split_config)
    try:
        yield fed
    finally:
        fed.close()


def test_split_covers_all_six_source_kinds_and_is_a_valid_config(split_config: Path) -> None:
    from engine.config import load_config

    config = load_config(split_config).config
    assert {s.kind for s in config.sources.values()} == set(SOURCE_KINDS.values())
    assert {g.table for g in config.grants} == {f"{s}.*" for s in config.sources}
    assert all(g.columns == "*" and g.user == BENCH_USER for g in config.grants)
    assert [p.code for p in config.purposes] == [BENCH_PURPOSE]


@pytest.mark.parametrize("n", QUERIES)
def test_qualified_text_gives_the_original_answer(
    n: int, native: NativePeer, unqualified_native: NativePeer
) -> None:
    """The sqlglot rewrite to ``source.table`` names changes nothing but the names."""
    text = federated_query(n)
    tree = sqlglot.parse_one(text, dialect="duckdb")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        if table.name not in ctes:
            assert table.db == DEFAULT_SPLIT[table.name], table.sql()
    expected = unqualified_native.run(tpch_query(n))
    difference = answer_difference(native.run(text), expected, tpch_query(n))
    assert difference is None, f"Q{n}: {difference}"


@pytest.mark.parametrize("n", QUERIES)
def test_duckdb_scanners_match_native(n: int, scanners: ScannerPeer, native: NativePeer) -> None:
    """Validates the loader: every source holds the tables with their declared types."""
    sql = federated_query(n)
    difference = answer_difference(scanners.run(sql), native.run(sql), sql)
    assert difference is None, f"Q{n}: {difference}"


@pytest.mark.parametrize("n", QUERIES)
def test_civicfed_matches_native(n: int, civicfed: Any, native: NativePeer) -> None:
    from engine import Purpose

    sql = federated_query(n)
    purpose = Purpose(case_name="TPC-H", purpose=BENCH_PURPOSE, case_no="tpch")
    actual = civicfed.query(sql, user=BENCH_USER, purpose=purpose)
    difference = answer_difference(actual, native.run(sql), sql)
    assert difference is None, f"Q{n}: {difference}"

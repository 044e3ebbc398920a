"""``python -m benchmarks --split embedded``: the TPC-H split over embedded files only.

Fast checks: the flag's default and the result file names (the servers split keeps its own), and
a small embedded split (SF 0.01, no server) loaded and queried through civicfed, DuckDB's
scanners and DuckDB native, whose answers must agree.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from benchmarks import run
from benchmarks.answers import answer_difference
from benchmarks.peers import NativePeer, ScannerPeer
from benchmarks.tpch_schema import TPCH_TABLES
from benchmarks.tpch_split import (
    BENCH_PURPOSE,
    BENCH_USER,
    DEFAULT_SPLIT,
    EMBEDDED_SOURCE_KINDS,
    EMBEDDED_SPLIT,
    SERVER_KINDS,
    SOURCE_KINDS,
    SPLITS,
    federated_query,
    generate,
    load_split,
    split_files,
)

DAY = dt.date(2026, 11, 26)
# One query per shape that matters: lineitem alone (Q1), lineitem⋈orders⋈customer across a
# DuckDB file and a SQLite file (Q3), all six sources with lineitem⋈partsupp across two DuckDB
# files (Q9), customer⋈orders inside one SQLite file (Q13).
QUERIES = (1, 3, 9, 13)


def test_without_the_flag_the_split_is_servers_and_the_files_keep_their_names() -> None:
    args = run._parse_args([])
    assert args.split == "servers"
    assert SPLITS["servers"] == (DEFAULT_SPLIT, SOURCE_KINDS)
    assert run.result_stem(DAY, "servers", 0.1) == "2026-11-26-tpch-split"
    assert run.result_stem(DAY, "servers", 1.0) == "2026-11-26-tpch-split-sf1"


def test_the_embedded_split_writes_files_of_its_own() -> None:
    assert run._parse_args(["--split", "embedded"]).split == "embedded"
    assert run.result_stem(DAY, "embedded", 0.1) == "2026-11-26-tpch-split-embedded"
    assert run.result_stem(DAY, "embedded", 1.0) == "2026-11-26-tpch-split-embedded-sf1"
    with pytest.raises(SystemExit):
        run._parse_args(["--split", "nowhere"])


def test_the_embedded_split_places_every_table_on_an_embedded_source() -> None:
    assert set(EMBEDDED_SPLIT) == set(TPCH_TABLES)
    kinds = {EMBEDDED_SOURCE_KINDS[source] for source in EMBEDDED_SPLIT.values()}
    assert kinds == {"sqlite", "duckdb", "parquet", "csv"}
    assert not kinds & SERVER_KINDS
    # The servers split's join graph: the same tables share a source in both.
    together = {frozenset(t for t in DEFAULT_SPLIT if DEFAULT_SPLIT[t] == s) for s in SOURCE_KINDS}
    embedded_together = {
        frozenset(t for t in EMBEDDED_SPLIT if EMBEDDED_SPLIT[t] == s)
        for s in EMBEDDED_SOURCE_KINDS
    }
    assert together == embedded_together


@pytest.fixture(scope="module")
def tables() -> dict[str, pa.Table]:
    return generate(0.01)


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory, tables: dict[str, pa.Table]) -> Path:
    directory = tmp_path_factory.mktemp("tpch-embedded")
    return load_split(
        tables, directory, None, None, split=EMBEDDED_SPLIT, kinds=EMBEDDED_SOURCE_KINDS
    )


def test_loading_needs_no_server_and_writes_one_file_per_source(config: Path) -> None:
    settings = tomllib.loads(config.read_text(encoding="utf-8"))
    sources = settings["sources"]
    assert {name: s["kind"] for name, s in sources.items()} == dict(EMBEDDED_SOURCE_KINDS)
    assert all("dsn" not in s for s in sources.values())
    files = split_files(config.parent, EMBEDDED_SPLIT, EMBEDDED_SOURCE_KINDS)
    assert len(files) == len(EMBEDDED_SOURCE_KINDS)
    assert all(f.exists() for f in files)


@pytest.fixture(scope="module")
def systems(config: Path, tables: dict[str, pa.Table]) -> Iterator[dict[str, Any]]:
    from engine import Federation, Purpose

    purpose = Purpose(case_name="TPC-H", purpose=BENCH_PURPOSE, case_no="tpch")
    native = NativePeer(tables, EMBEDDED_SPLIT)
    scanners = ScannerPeer(config)
    fed = Federation.open(config)
    try:
        yield {
            "native": native.run,
            "scanners": scanners.run,
            "civicfed": lambda sql: fed.query(sql, user=BENCH_USER, purpose=purpose),
        }
    finally:
        fed.close()
        scanners.close()
        native.close()


@pytest.mark.parametrize("n", QUERIES)
def test_civicfed_and_the_scanners_give_natives_answer(n: int, systems: dict[str, Any]) -> None:
    sql = federated_query(n, EMBEDDED_SPLIT)
    assert "pg." not in sql and "maria." not in sql
    expected = systems["native"](sql)
    for name in ("scanners", "civicfed"):
        difference = answer_difference(systems[name](sql), expected, sql)
        assert difference is None, f"{name} Q{n}: {difference}"

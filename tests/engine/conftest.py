"""A small demo build (real SQLite, DuckDB, Parquet and CSV sources) and its ground truth:
the same tables loaded into one local DuckDB, where the same SQL runs unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from demo.scenario import read_facts, setup
from engine import Federation, Purpose
from tests.ground_truth import local_copies

SCALE = 3000
SEED = 7

FULL = "demo_fullaccess"
MAINTENANCE = Purpose(case_name="資料維護測試", purpose="data-maintenance", case_no="T-1")
STATISTICS = Purpose(case_name="統計測試", purpose="statistics", case_no="T-2")


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo")
    setup(directory, scale=SCALE, seed=SEED)
    return directory


@pytest.fixture(scope="session")
def facts(demo_dir: Path) -> dict[str, object]:
    return read_facts(demo_dir)


@pytest.fixture()
def fed(demo_dir: Path) -> Iterator[Federation]:
    federation = Federation.open(demo_dir / "civicfed.toml")
    yield federation
    federation.close()


@pytest.fixture(scope="session")
def truth() -> Iterator[duckdb.DuckDBPyConnection]:
    """The demo tables as local DuckDB copies, under the same source.table names."""
    conn = local_copies(SCALE, SEED)
    yield conn
    conn.close()

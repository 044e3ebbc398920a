"""The civicfed command: every format, and clear errors instead of tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from api.cli import app
from demo.scenario import setup

runner = CliRunner()
CASE = [
    "--user",
    "demo_fullaccess",
    "--case-name",
    "測試",
    "--purpose",
    "statistics",
    "--case-no",
    "T-9",
]


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("cli-demo")
    return setup(directory, scale=1000, seed=3)


def civicfed(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args], capture_output=True, text=True, timeout=120
    )


SQL = "SELECT district, count(*) AS n FROM household.persons GROUP BY 1 ORDER BY 1"


def test_query_as_json_and_csv(config: Path) -> None:
    out = runner.invoke(app, ["query", SQL, *CASE, "--format", "json", "--config", str(config)])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert len(data) == 12 and sum(r["n"] for r in data) == 1000
    out = runner.invoke(app, ["query", SQL, *CASE, "-f", "csv", "-c", str(config)])
    assert out.exit_code == 0
    lines = out.stdout.strip().splitlines()
    assert lines[0] == '"district","n"' and len(lines) == 13


def test_query_to_parquet_file(config: Path, tmp_path: Path) -> None:
    target = tmp_path / "r.parquet"
    out = runner.invoke(
        app, ["query", SQL, *CASE, "-f", "parquet", "-o", str(target), "-c", str(config)]
    )
    assert out.exit_code == 0, out.output
    assert pq.read_table(target).num_rows == 12


def test_query_as_table_and_explain_and_sources(config: Path) -> None:
    out = runner.invoke(app, ["query", SQL, *CASE, "-c", str(config)])
    assert out.exit_code == 0 and "大安區" in out.stdout
    out = runner.invoke(app, ["explain", SQL, *CASE, "-c", str(config)])
    assert out.exit_code == 0 and "sent: SELECT" in out.stdout
    out = runner.invoke(app, ["sources", "-c", str(config)])
    assert out.exit_code == 0 and "persons" in out.stdout and "inspections" in out.stdout


@pytest.mark.parametrize(
    ("sql", "extra", "expected"),
    [
        ("DROP TABLE household.persons", [], "invalid_query: only SELECT"),
        ("SELECT * FROM household.secrets", [], "does not exist or is not granted"),
        ("SELECT * FROM read_csv('/etc/passwd')", [], "table functions"),
        (SQL, ["--purpose", "nonsense"], "purpose_required"),
    ],
)
def test_errors_are_one_clear_line_without_traceback(
    config: Path, sql: str, extra: list[str], expected: str
) -> None:
    args = ["query", sql, *CASE, *extra, "--config", str(config)]
    result = civicfed(*args)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_missing_config_is_explained(tmp_path: Path) -> None:
    result = civicfed("query", SQL, *CASE, "--config", str(tmp_path / "none.toml"))
    assert result.returncode == 2
    assert "configuration file not found" in result.stderr
    assert "Traceback" not in result.stderr

"""Partial aggregation at the source returns exactly what DuckDB returns on local copies, with
DuckDB's own types, while moving one row per group instead of the table."""

from __future__ import annotations

import duckdb
import pytest

from engine import Federation

from .conftest import FULL, STATISTICS

PUSHED = [
    # welfare: a DuckDB file; building: Parquet; fire: CSV
    """SELECT program, count(*) AS n, sum(monthly_amount) AS total, avg(monthly_amount) AS mean,
              min(start_date) AS first, max(monthly_amount) AS top
       FROM welfare.recipients WHERE district IN ('大安區', '信義區') GROUP BY program""",
    "SELECT count(*), sum(floors), avg(floors) FROM building.permits",
    "SELECT sum(floors * 2 + 1) AS weighted FROM building.permits WHERE floors > 100",
    """SELECT district, count(*) AS n FROM fire.inspections GROUP BY district
       HAVING count(*) > 3 ORDER BY n DESC, district""",
    """WITH per_program AS (SELECT program, sum(monthly_amount) AS total
                            FROM welfare.recipients GROUP BY program)
       SELECT max(total) FROM per_program""",
    # a function filter the DuckDB file applies exactly, so the aggregate goes below it
    "SELECT program, count(*) FROM welfare.recipients WHERE length(case_id) > 3 GROUP BY 1",
]


@pytest.mark.parametrize("sql", PUSHED)
def test_pushed_aggregate_matches_local_copies(
    fed: Federation, truth: duckdb.DuckDBPyConnection, sql: str
) -> None:
    plan = fed.explain(sql, FULL, STATISTICS)
    assert any(s.request.group_by or "agg_1" in s.columns for s in plan.scans), str(plan)
    ours = fed.query(sql, FULL, STATISTICS)
    expected = truth.execute(sql)
    assert ours.column_names == [d[0] for d in expected.description]
    expected_table = truth.execute(sql).to_arrow_table()
    assert ours.schema.types == expected_table.schema.types
    got = sorted(map(repr, ours.to_pylist()))
    want = sorted(map(repr, expected_table.to_pylist()))
    assert got == want


NOT_PUSHED = [
    # a filter that stays above the scan (SQLite's lower() is ASCII-only), DISTINCT
    # aggregates, windows, joins
    "SELECT sex, count(*) FROM household.persons WHERE lower(name) <> 'x' GROUP BY 1",
    "SELECT count(DISTINCT program) FROM welfare.recipients",
    "SELECT program, sum(count(*)) OVER () FROM welfare.recipients GROUP BY program",
    """SELECT r.program, count(*) FROM welfare.recipients r
       JOIN household.persons p ON p.national_id = r.national_id GROUP BY 1""",
]


@pytest.mark.parametrize("sql", NOT_PUSHED)
def test_aggregates_that_cannot_be_pushed_still_answer_correctly(
    fed: Federation, truth: duckdb.DuckDBPyConnection, sql: str
) -> None:
    plan = fed.explain(sql, FULL, STATISTICS)
    assert not any(s.request.group_by for s in plan.scans)
    got = sorted(map(repr, fed.query(sql, FULL, STATISTICS).to_pylist()))
    want = sorted(map(repr, truth.execute(sql).to_arrow_table().to_pylist()))
    assert got == want

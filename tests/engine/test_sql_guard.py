"""The SQL guard refuses everything but one read-only query over catalog tables."""

from __future__ import annotations

import duckdb
import pytest

from engine.errors import InvalidQuery
from engine.functions import ALLOWED_FUNCTIONS
from engine.sql import parse_query

REFUSED = {
    "insert": ("INSERT INTO household.persons VALUES (1)", "only SELECT"),
    "update": ("UPDATE household.persons SET name = 'x'", "only SELECT"),
    "delete": ("DELETE FROM household.persons", "only SELECT"),
    "create": ("CREATE TABLE x AS SELECT 1", "only SELECT"),
    "drop": ("DROP TABLE household.persons", "only SELECT"),
    "attach": ("ATTACH 'other.db' AS o", "only SELECT"),
    "detach": ("DETACH o", "only SELECT"),
    "copy": ("COPY household.persons TO 'out.csv'", "only SELECT"),
    "pragma": ("PRAGMA database_list", "only SELECT"),
    "set": ("SET memory_limit = '100GB'", "only SELECT"),
    "install": ("INSTALL httpfs", "only SELECT"),
    "load": ("LOAD httpfs", "only SELECT"),
    "call": ("CALL dbgen(sf=1)", ""),
    "summarize": ("SUMMARIZE household.persons", "only SELECT"),
    "describe": ("DESCRIBE household.persons", "only SELECT"),
    "show": ("SHOW TABLES", ""),
    "stacked": ("SELECT 1; SELECT 2", "exactly one statement"),
    "stacked_after_comment": ("SELECT 1 -- x\n; DROP TABLE t", "exactly one statement"),
    "read_csv": ("SELECT * FROM read_csv('/etc/passwd')", "table functions"),
    "read_parquet": ("SELECT * FROM read_parquet('x.parquet')", "table functions"),
    "glob": ("SELECT * FROM glob('*')", "table functions"),
    "query_table_function": ("SELECT * FROM query('SELECT 1')", "table functions"),
    "read_text_scalar_context": (
        "SELECT (SELECT content FROM read_text('/etc/passwd'))",
        "table functions",
    ),
    "getvariable": ("SELECT getvariable('x')", "not available"),
    "current_setting": ("SELECT current_setting('memory_limit')", "not available"),
    "current_query": ("SELECT current_query()", "not available"),
    "columns_star": ("SELECT COLUMNS('.*') FROM household.persons", "COLUMNS"),
    "star_exclude": ("SELECT * EXCLUDE (phone) FROM household.persons", "EXCLUDE"),
    "star_replace": ("SELECT * REPLACE (1 AS phone) FROM household.persons", "REPLACE"),
    "positional": ("SELECT #1 FROM household.persons", "positional"),
    "parameter": ("SELECT * FROM household.persons WHERE national_id = ?", "parameters"),
    "select_into": ("SELECT 1 INTO t", ""),
    "three_part_name": ("SELECT * FROM db.household.persons", "does not exist"),
    "empty": ("   ", "empty"),
    "garbage": ("SELEC * FRM x", "SELECT"),
    "unbalanced": ("SELECT (1", "could not be parsed"),
    "not_a_query": ("VALUES (1)", ""),
    "error_function": ("SELECT error('boom')", "not available"),
    "sleep": ("SELECT pg_sleep(10)", "not available"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused(name: str) -> None:
    sql, fragment = REFUSED[name]
    with pytest.raises(InvalidQuery) as info:
        parse_query(sql)
    assert info.value.code == "invalid_query"
    assert fragment.lower() in info.value.message.lower()


ACCEPTED = [
    "SELECT 1",
    "SELECT a, sum(b) OVER (PARTITION BY a ORDER BY c) FROM s.t",
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r",
    "SELECT a FROM s.t UNION ALL SELECT a FROM s.u",
    "SELECT a FROM s.t GROUP BY ROLLUP (a)",
    "SELECT date_trunc('month', d), count(*) FROM s.t GROUP BY 1",
    "SELECT x FROM s.t, unnest([1, 2]) AS u(x)",
    "SELECT CASE WHEN a > 1 THEN 'big' ELSE 'small' END FROM s.t",
    "SELECT list_transform([1, 2], x -> x + 1)",
    "SELECT strftime(now(), '%Y')",
]


@pytest.mark.parametrize("sql", ACCEPTED)
def test_accepted(sql: str) -> None:
    parse_query(sql)


def test_huge_query_is_refused_before_parsing() -> None:
    with pytest.raises(InvalidQuery, match="longer than"):
        parse_query("SELECT " + "1 + " * 60_000 + "1")


def test_deeply_nested_query_is_refused_cleanly() -> None:
    sql = "SELECT " + "(" * 2000 + "1" + ")" * 2000
    with pytest.raises(InvalidQuery):
        parse_query(sql)


def test_allowlist_names_exist_in_pinned_duckdb() -> None:
    conn = duckdb.connect()
    names = {
        r[0]
        for r in conn.execute("SELECT DISTINCT function_name FROM duckdb_functions()").fetchall()
    }
    assert names >= ALLOWED_FUNCTIONS


def test_allowlist_excludes_everything_that_reaches_outside() -> None:
    for name in (
        "read_csv",
        "read_parquet",
        "glob",
        "getenv",
        "current_setting",
        "getvariable",
        "current_query",
        "pg_sleep",
        "write_log",
        "error",
        "sqlite_scan",
        "query",
    ):
        assert name not in ALLOWED_FUNCTIONS

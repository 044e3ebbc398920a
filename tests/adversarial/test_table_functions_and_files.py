"""Table functions and file readers: everything that reads outside the query's own scans
(Trino's table-function bypasses, DuckDB's readers and scanners, a file path used as a table)."""

from __future__ import annotations

import pytest

from .conftest import ANALYST, Adversary

TABLE_FUNCTIONS = {
    "read_csv": "read_csv('data/fire/inspections.csv')",
    "read_csv_auto": "read_csv_auto('/etc/passwd')",
    "read_parquet": "read_parquet('data/building/permits.parquet')",
    "parquet_scan": "parquet_scan('data/building/*.parquet')",
    "parquet_metadata": "parquet_metadata('data/building/permits.parquet')",
    "read_json": "read_json('/etc/hosts')",
    "read_json_auto": "read_json_auto('x.json')",
    "read_text": "read_text('/etc/passwd')",
    "read_blob": "read_blob('data/household.sqlite')",
    "glob": "glob('data/*')",
    "query": "query('SELECT * FROM scan_1')",
    "query_table": "query_table('scan_1')",
    "sqlite_scan": "sqlite_scan('data/household.sqlite', 'persons')",
    "sqlite_attach": "sqlite_attach('data/household.sqlite')",
    "postgres_scan": "postgres_scan('dbname=test', 'public', 'persons')",
    "mysql_scan": "mysql_scan('welfare', 'recipients')",
    "duckdb_tables": "duckdb_tables()",
    "duckdb_columns": "duckdb_columns()",
    "duckdb_settings": "duckdb_settings()",
    "duckdb_secrets": "duckdb_secrets()",
    "duckdb_extensions": "duckdb_extensions()",
    "pragma_table_info": "pragma_table_info('scan_1')",
    "iceberg_scan": "iceberg_scan('s3://bucket/t')",
    "delta_scan": "delta_scan('file:///tmp/t')",
    "http_csv": "read_csv('https://example.org/x.csv')",
    "range": "range(10)",
}


@pytest.mark.parametrize("name", sorted(TABLE_FUNCTIONS))
def test_table_function_in_from_is_refused(adversary: Adversary, name: str) -> None:
    adversary.refused(f"SELECT * FROM {TABLE_FUNCTIONS[name]}", codes=["invalid_query"])


@pytest.mark.parametrize(
    "path",
    [
        "'data/fire/inspections.csv'",
        "'data/building/permits.parquet'",
        "'data/household.sqlite'",
        "'/etc/passwd'",
        '"data/fire/inspections.csv"',
    ],
    ids=["csv_path", "parquet_path", "sqlite_path", "etc_passwd", "quoted_identifier_path"],
)
def test_file_path_used_as_a_table_is_refused(adversary: Adversary, path: str) -> None:
    adversary.refused(f"SELECT * FROM {path}", codes=["invalid_query"])


def test_table_function_in_a_scalar_subquery_is_refused(adversary: Adversary) -> None:
    sql = f"""SELECT p.name, (SELECT count(*) FROM read_text('/etc/passwd')) AS n
              FROM household.persons p WHERE p.national_id = '{adversary.people.subject}'"""
    adversary.refused(sql, codes=["invalid_query"])


def test_table_function_in_a_cte_is_refused(adversary: Adversary) -> None:
    sql = "WITH f AS (SELECT * FROM read_csv('data/fire/inspections.csv')) SELECT * FROM f"
    adversary.refused(sql, codes=["invalid_query"])


def test_table_function_in_a_lateral_join_is_refused(adversary: Adversary) -> None:
    sql = f"""SELECT p.name, g.file FROM household.persons p, LATERAL glob(p.address) g
              WHERE p.national_id = '{adversary.people.subject}'"""
    adversary.refused(sql, codes=["invalid_query"])


def test_analyst_table_function_joined_to_an_aggregate_is_refused(adversary: Adversary) -> None:
    sql = """SELECT r.district, count(*) FROM welfare.recipients r,
             read_parquet('data/building/permits.parquet') b GROUP BY r.district"""
    adversary.refused(sql, ANALYST, codes=["invalid_query"])


@pytest.mark.parametrize(
    "select",
    [
        "getenv('HOME')",
        "current_setting('memory_limit')",
        "getvariable('x')",
        "current_query()",
        "version()",
        "current_database()",
        "current_schema()",
        "current_user",
        "pg_sleep(5)",
        "setseed(0.5)",
        "nextval('s')",
    ],
)
def test_scalar_function_reaching_outside_the_query_is_refused(
    adversary: Adversary, select: str
) -> None:
    adversary.refused(f"SELECT {select}", codes=["invalid_query"])

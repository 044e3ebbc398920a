"""Statements other than SELECT (ATTACH, COPY, INSTALL, LOAD, PRAGMA, SET, CALL, SUMMARIZE,
DESCRIBE, SHOW, …), catalog views, and the rule that a table without a grant reads exactly
like a table that does not exist (DESIGN.md invariant 5)."""

from __future__ import annotations

import pytest

from engine import Purpose

from .conftest import ANALYST, CLERK, Adversary

STATEMENTS = {
    "attach": "ATTACH 'data/household.sqlite' AS h (TYPE sqlite)",
    "attach_memory": "ATTACH ':memory:' AS m",
    "detach": "DETACH h",
    "copy_to": "COPY (SELECT 1) TO '/tmp/civicfed-leak.csv'",
    "copy_table_to": "COPY household.persons TO '/tmp/civicfed-leak.csv'",
    "copy_from": "COPY household.persons FROM '/etc/passwd'",
    "install": "INSTALL sqlite",
    "force_install": "FORCE INSTALL httpfs",
    "load": "LOAD sqlite",
    "pragma": "PRAGMA table_info('household.persons')",
    "pragma_show_tables": "PRAGMA show_tables",
    "set": "SET enable_external_access = true",
    "set_local": "SET LOCAL memory_limit = '100GB'",
    "reset": "RESET lock_configuration",
    "call": "CALL pragma_table_info('household.persons')",
    "summarize_table": "SUMMARIZE household.persons",
    "summarize_query": "SUMMARIZE SELECT phone FROM household.persons",
    "describe_table": "DESCRIBE household.persons",
    "describe_query": "DESCRIBE SELECT * FROM household.persons",
    "show_table": "SHOW household.persons",
    "show_tables": "SHOW TABLES",
    "show_all_tables": "SHOW ALL TABLES",
    "export": "EXPORT DATABASE '/tmp/civicfed-leak'",
    "import": "IMPORT DATABASE '/tmp/civicfed-leak'",
    "checkpoint": "CHECKPOINT",
    "use": "USE household",
    "explain": "EXPLAIN SELECT phone FROM household.persons",
    "explain_analyze": "EXPLAIN ANALYZE SELECT phone FROM household.persons",
    "create_secret": "CREATE SECRET s (TYPE s3, KEY_ID 'k', SECRET 'v')",
    "prepare": "PREPARE q AS SELECT phone FROM household.persons",
    "execute": "EXECUTE q",
    "vacuum": "VACUUM",
    "begin": "BEGIN TRANSACTION",
    "pivot": "PIVOT household.persons ON sex USING count(*)",
    "unpivot": "UNPIVOT welfare.recipients ON national_id, program INTO NAME k VALUE v",
}


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_non_select_statement_is_refused(adversary: Adversary, name: str) -> None:
    adversary.refused(STATEMENTS[name], codes=["invalid_query"])


@pytest.mark.parametrize(
    "table",
    [
        "information_schema.tables",
        "information_schema.columns",
        "pg_catalog.pg_tables",
        "duckdb_tables",
        "sqlite_master",
        "main.scan_1",
        "memory.main.scan_1",
        "system.main.duckdb_tables",
        "temp.main.scan_1",
    ],
)
def test_catalog_view_or_internal_table_is_refused(adversary: Adversary, table: str) -> None:
    adversary.refused(f"SELECT * FROM {table}", codes=["invalid_query"])


def _same_as_nonexistent(
    adversary: Adversary, sql: str, real: str, fake: str, user: str = CLERK
) -> None:
    hidden = adversary.refused(sql.format(table=real), user, codes=["invalid_query"])
    missing = adversary.refused(sql.format(table=fake), user, codes=["invalid_query"])
    assert hidden.replace(real, "T") == missing.replace(fake, "T"), (hidden, missing)


@pytest.mark.parametrize(
    ("real", "fake"),
    [
        ("household.households", "household.nonexistent"),
        ("fire.inspections", "fire.nonexistent"),
        ("building.permits", "building.nonexistent"),
    ],
)
def test_ungranted_table_reads_exactly_like_a_nonexistent_table(
    adversary: Adversary, real: str, fake: str
) -> None:
    _same_as_nonexistent(adversary, "SELECT * FROM {table}", real, fake)


def test_column_probe_on_an_ungranted_table_reads_like_a_nonexistent_table(
    adversary: Adversary,
) -> None:
    _same_as_nonexistent(
        adversary,
        "SELECT head_national_id FROM {table} WHERE head_national_id = 'A1'",
        "household.households",
        "household.nonexistent",
    )


def test_ungranted_table_joined_to_a_granted_one_reads_like_a_nonexistent_table(
    adversary: Adversary,
) -> None:
    nid = adversary.people.subject
    _same_as_nonexistent(
        adversary,
        "SELECT p.name FROM household.persons p JOIN {table} h ON h.household_id = p.national_id "
        f"WHERE p.national_id = '{nid}'",
        "household.households",
        "household.nonexistent",
    )


def test_ungranted_table_in_a_subquery_reads_like_a_nonexistent_table(
    adversary: Adversary,
) -> None:
    _same_as_nonexistent(
        adversary,
        "SELECT 1 WHERE EXISTS (SELECT 1 FROM {table})",
        "household.households",
        "household.nonexistent",
    )


def test_ungranted_source_reads_like_a_nonexistent_source(adversary: Adversary) -> None:
    _same_as_nonexistent(
        adversary, "SELECT * FROM {table}", "fire.inspections", "nosuch.inspections"
    )


def test_analyst_ungranted_land_ownership_reads_like_a_nonexistent_table(
    adversary: Adversary,
) -> None:
    _same_as_nonexistent(
        adversary,
        "SELECT count(*) FROM {table}",
        "land.ownership",
        "land.nonexistent",
        ANALYST,
    )


def test_ungranted_table_with_a_purpose_no_grant_names_reads_like_a_nonexistent_table(
    adversary: Adversary,
) -> None:
    purpose = Purpose(case_name="建管", purpose="data-maintenance", case_no="X-1")
    hidden = adversary.refused(
        "SELECT * FROM building.permits", CLERK, codes=["invalid_query"], purpose=purpose
    )
    missing = adversary.refused(
        "SELECT * FROM building.nonexistent", CLERK, codes=["invalid_query"], purpose=purpose
    )
    assert hidden.replace("building.permits", "T") == missing.replace("building.nonexistent", "T")

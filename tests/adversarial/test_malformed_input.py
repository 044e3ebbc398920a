"""DML/DDL, stacked statements, comments hiding statements or conditions, huge and deeply
nested SQL, garbage input and Unicode look-alikes of identifiers."""

from __future__ import annotations

import pytest

from .conftest import ANALYST, Adversary

DATA_CHANGING = {
    "insert": "INSERT INTO household.persons (national_id) VALUES ('A1')",
    "insert_select": "INSERT INTO household.persons SELECT * FROM household.persons",
    "update": "UPDATE household.persons SET district = '大安區'",
    "delete": "DELETE FROM welfare.recipients",
    "truncate": "TRUNCATE household.persons",
    "create_table": "CREATE TABLE t AS SELECT phone FROM household.persons",
    "create_temp_table": "CREATE TEMP TABLE t AS SELECT 1",
    "create_view": "CREATE VIEW v AS SELECT phone FROM household.persons",
    "create_macro": "CREATE MACRO phone_of(x) AS x",
    "create_function": "CREATE FUNCTION f(x) AS x + 1",
    "drop_table": "DROP TABLE household.persons",
    "alter_table": "ALTER TABLE household.persons ADD COLUMN x INT",
    "select_into": "SELECT phone INTO t FROM household.persons",
    "comment_on": "COMMENT ON TABLE household.persons IS 'x'",
    "merge": (
        "MERGE INTO household.persons p USING household.persons q "
        "ON p.national_id = q.national_id WHEN MATCHED THEN DELETE"
    ),
    "cte_wrapping_insert": "WITH x AS (SELECT 1) INSERT INTO household.persons SELECT * FROM x",
}


@pytest.mark.parametrize("name", sorted(DATA_CHANGING))
def test_data_changing_statement_is_refused(adversary: Adversary, name: str) -> None:
    adversary.refused(DATA_CHANGING[name], codes=["invalid_query"])


@pytest.mark.parametrize(
    "tail",
    [
        "; DROP TABLE household.persons",
        "; SELECT phone FROM household.persons",
        ";\nATTACH 'x.db' AS x",
        "; SET lock_configuration = false",
        " -- c\n; SELECT phone FROM household.persons",
        " /* c */ ; PRAGMA show_tables",
    ],
    ids=["drop", "select_phone", "attach", "set", "after_line_comment", "after_block_comment"],
)
def test_stacked_statement_is_refused(adversary: Adversary, tail: str) -> None:
    sql = f"SELECT name FROM household.persons WHERE national_id = '{adversary.people.subject}'"
    adversary.refused(sql + tail, codes=["invalid_query"])


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT name /* , phone */ FROM household.persons WHERE national_id = '{nid}'",
        "SELECT name FROM household.persons WHERE national_id = '{nid}' -- OR 1 = 1",
        "SELECT name FROM household.persons WHERE national_id = '{nid}' /* OR 1 = 1 */",
        "SELECT name FROM household.persons WHERE national_id = '{nid}' -- ; DROP TABLE x",
        "SELECT name FROM household.persons WHERE /* national_id = 'x' OR */ national_id = '{nid}'",
        "SELECT name FROM household.persons WHERE national_id = '{nid}' /* ; SELECT phone */;",
        "/* SELECT phone FROM household.persons; */ SELECT name FROM household.persons "
        "WHERE national_id = '{nid}'",
    ],
    ids=[
        "commented_out_column",
        "line_comment_tautology",
        "block_comment_tautology",
        "line_comment_statement",
        "comment_inside_where",
        "comment_then_semicolon",
        "leading_comment_statement",
    ],
)
def test_comments_hide_nothing(adversary: Adversary, sql: str) -> None:
    outcome = adversary.safe(sql.format(nid=adversary.people.subject))
    if not outcome.refused:
        assert outcome.table.column_names == ["name"]
        assert outcome.table.num_rows == 1


def test_query_longer_than_the_limit_is_refused_without_echoing_it(adversary: Adversary) -> None:
    padding = " " * 100_001
    sql = f"SELECT name FROM household.persons WHERE national_id = '{adversary.people.subject}'"
    message = adversary.refused(sql + padding, codes=["invalid_query"])
    assert len(message) < 500


def test_huge_in_list_is_refused_cleanly(adversary: Adversary) -> None:
    values = ", ".join(f"'A{i:09d}'" for i in range(5000))
    message = adversary.refused(
        f"SELECT name FROM household.persons WHERE national_id IN ({values})"
    )
    assert len(message) < 500


def test_deeply_nested_parentheses_are_refused_cleanly(adversary: Adversary) -> None:
    adversary.refused("SELECT " + "(" * 5000 + "1" + ")" * 5000, codes=["invalid_query"])


def test_deeply_nested_subqueries_are_refused_cleanly(adversary: Adversary) -> None:
    inner = "SELECT 1 AS x"
    for _ in range(300):
        inner = f"SELECT x FROM ({inner}) t"
    adversary.refused(inner, codes=["invalid_query"])


def test_deeply_nested_boolean_expression_is_refused_cleanly(adversary: Adversary) -> None:
    nid = adversary.people.subject
    condition = " AND ".join(["1 = 1"] * 3000)
    sql = f"SELECT name FROM household.persons WHERE national_id = '{nid}' AND {condition}"
    adversary.safe(sql)


@pytest.mark.parametrize(
    "sql",
    [
        "",
        "   \n\t ",
        ";",
        ";;;",
        "-- only a comment",
        "/* only a comment */",
        "SELECT",
        "SELECT 'unterminated",
        "SELECT \x00 FROM household.persons",
        "\x1b[31m\x07 SELECT",
        "🙂🙂🙂",
        "SELEC name FRM household.persons",
        "SELECT name FROM household.persons WHERE national_id = '",
        "SELECT " + "a" * 70_000,
        "\ufeffSELECT phone FROM household.persons",
    ],
    ids=[
        "empty",
        "whitespace",
        "semicolon",
        "semicolons",
        "line_comment",
        "block_comment",
        "keyword_only",
        "unterminated_string",
        "nul_byte",
        "control_characters",
        "emoji",
        "misspelled",
        "dangling_quote",
        "long_identifier",
        "byte_order_mark",
    ],
)
def test_garbage_input_is_refused_cleanly(adversary: Adversary, sql: str) -> None:
    adversary.refused(sql, codes=["invalid_query", "access_denied"])


def test_non_string_query_is_refused_cleanly(adversary: Adversary) -> None:
    adversary.refused(None, codes=["invalid_query"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "column",
    [
        "ph\u043ene",  # Cyrillic o
        "\uff50\uff48\uff4f\uff4e\uff45",  # fullwidth
        "pho\u200dne",  # zero-width joiner
        '"PHONE"',
        '"phone "',
        'p."phone"',
    ],
    ids=[
        "cyrillic_o",
        "fullwidth",
        "zero_width_joiner",
        "quoted_upper",
        "trailing_space",
        "quoted",
    ],
)
def test_unicode_look_alike_of_phone_reaches_no_phone(adversary: Adversary, column: str) -> None:
    sql = f"""SELECT {column} FROM household.persons p
              WHERE p.national_id = '{adversary.people.subject}'"""
    outcome = adversary.safe(sql)
    assert outcome.refused, outcome.describe()


@pytest.mark.parametrize(
    "table",
    [
        "household.pers\u043ens",
        "household.\uff50ersons",
        "house\u200dhold.persons",
        "HOUSEHOLD.HOUSEHOLDS",
    ],
    ids=["cyrillic_o", "fullwidth_p", "zero_width_joiner", "upper_case_ungranted"],
)
def test_unicode_look_alike_table_reads_like_a_nonexistent_table(
    adversary: Adversary, table: str
) -> None:
    message = adversary.refused(f"SELECT * FROM {table}", codes=["invalid_query"])
    assert "does not exist" in message


def test_look_alike_national_id_pin_pins_nobody(adversary: Adversary) -> None:
    confusable = adversary.people.subject.replace("A", "\u0391")  # Greek capital alpha
    outcome = adversary.safe(
        f"SELECT name FROM household.persons WHERE national_id = '{confusable}'"
    )
    if not outcome.refused:
        assert outcome.table.num_rows == 0


def test_analyst_garbage_after_a_valid_aggregate_is_refused(adversary: Adversary) -> None:
    sql = "SELECT district, count(*) FROM household.persons GROUP BY district; SELECT 1"
    adversary.refused(sql, ANALYST, codes=["invalid_query"])

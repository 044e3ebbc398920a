"""``SELECT *`` and its DuckDB relatives: ``*`` expands to the columns the user may project
(DESIGN.md §4); ``COLUMNS()``, ``* EXCLUDE/REPLACE/RENAME``, ``* LIKE`` and ``#n`` are refused;
NATURAL joins must not reveal ungranted column names."""

from __future__ import annotations

import pytest

from .conftest import ANALYST, Adversary

GRANTED_PERSONS = {"national_id", "name", "sex", "birth_date", "district", "address"}
GRANTED_RECIPIENTS = {"national_id", "program", "start_date", "end_date", "district"}
UNGRANTED = {"phone", "household_id", "monthly_amount", "case_id"}


def _columns(adversary: Adversary, sql: str) -> set[str]:
    outcome = adversary.safe(sql)
    assert not outcome.refused, outcome.describe()
    return set(outcome.table.column_names)


def test_qualified_star_over_a_join_omits_ungranted_columns(adversary: Adversary) -> None:
    sql = f"""SELECT p.*, r.* FROM household.persons p
              JOIN welfare.recipients r ON r.national_id = p.national_id
              WHERE p.national_id = '{adversary.people.subject}'"""
    names = _columns(adversary, sql)
    assert not names & UNGRANTED, names


def test_from_first_query_expands_only_granted_columns(adversary: Adversary) -> None:
    sql = f"FROM household.persons WHERE national_id = '{adversary.people.subject}'"
    assert _columns(adversary, sql) == GRANTED_PERSONS


def test_star_of_a_derived_table_omits_ungranted_columns(adversary: Adversary) -> None:
    sql = f"""SELECT * FROM (SELECT * FROM household.persons
              WHERE national_id = '{adversary.people.subject}') t"""
    assert _columns(adversary, sql) == GRANTED_PERSONS


def test_star_of_a_cte_omits_ungranted_columns(adversary: Adversary) -> None:
    sql = f"""WITH c AS (SELECT * FROM welfare.recipients
                         WHERE national_id = '{adversary.people.subject}')
              SELECT * FROM c"""
    assert _columns(adversary, sql) == GRANTED_RECIPIENTS


def test_star_in_both_union_branches_omits_ungranted_columns(adversary: Adversary) -> None:
    nid = adversary.people.subject
    sql = f"""SELECT * FROM household.persons WHERE national_id = '{nid}'
              UNION ALL SELECT * FROM household.persons WHERE national_id = '{nid}'"""
    assert _columns(adversary, sql) == GRANTED_PERSONS


REFUSED_EXPANSIONS = {
    "columns_regex": "SELECT COLUMNS('ph.*') FROM household.persons WHERE national_id = '{nid}'",
    "columns_star": "SELECT COLUMNS(*) FROM household.persons WHERE national_id = '{nid}'",
    "columns_lambda": (
        "SELECT COLUMNS(c -> c LIKE 'ph%') FROM household.persons WHERE national_id = '{nid}'"
    ),
    "unpacked_columns": (
        "SELECT *COLUMNS('ph.*') FROM household.persons WHERE national_id = '{nid}'"
    ),
    "columns_in_where": (
        "SELECT name FROM household.persons WHERE national_id = '{nid}' "
        "AND COLUMNS('ph.*') LIKE '09%'"
    ),
    "star_exclude": ("SELECT * EXCLUDE (name) FROM household.persons WHERE national_id = '{nid}'"),
    "star_replace": (
        "SELECT * REPLACE (upper(name) AS name) FROM household.persons WHERE national_id = '{nid}'"
    ),
    "star_rename": (
        "SELECT * RENAME (name AS n) FROM household.persons WHERE national_id = '{nid}'"
    ),
    "star_like": "SELECT * LIKE 'ph%' FROM household.persons WHERE national_id = '{nid}'",
    "star_similar_to": (
        "SELECT * SIMILAR TO 'ph.*' FROM household.persons WHERE national_id = '{nid}'"
    ),
    "positional_reference": "SELECT #8 FROM household.persons WHERE national_id = '{nid}'",
    "positional_in_where": (
        "SELECT name FROM household.persons WHERE national_id = '{nid}' AND #8 LIKE '09%'"
    ),
    "positional_in_order_by": (
        "SELECT name FROM household.persons WHERE national_id = '{nid}' ORDER BY #8"
    ),
}


@pytest.mark.parametrize("name", sorted(REFUSED_EXPANSIONS))
def test_column_expansion_trick_is_refused(adversary: Adversary, name: str) -> None:
    sql = REFUSED_EXPANSIONS[name].format(nid=adversary.people.subject)
    adversary.refused(sql, codes=["invalid_query"])


def test_natural_self_join_does_not_name_ungranted_columns(adversary: Adversary) -> None:
    # NATURAL JOIN joins on every common column, including phone and household_id, which the
    # user never typed: a refusal must not name them.
    nid = adversary.people.subject
    sql = f"""SELECT a.name FROM household.persons a NATURAL JOIN household.persons b
              WHERE a.national_id = '{nid}'"""
    adversary.safe(sql)


def test_natural_join_of_persons_and_recipients_does_not_name_ungranted_columns(
    adversary: Adversary,
) -> None:
    sql = f"""SELECT * FROM household.persons NATURAL JOIN welfare.recipients
              WHERE national_id = '{adversary.people.subject}'"""
    outcome = adversary.safe(sql)
    if not outcome.refused:
        assert not set(outcome.table.column_names) & UNGRANTED


def test_using_join_on_ungranted_household_id_is_refused(adversary: Adversary) -> None:
    nid = adversary.people.subject
    sql = f"""SELECT a.name FROM household.persons a JOIN household.persons b USING (household_id)
              WHERE a.national_id = '{nid}' AND b.national_id = '{nid}'"""
    adversary.refused(sql, codes=["access_denied"])


def test_analyst_select_star_on_an_aggregate_only_table_is_refused(adversary: Adversary) -> None:
    adversary.refused("SELECT * FROM household.persons", ANALYST)


def test_analyst_group_by_star_columns_does_not_include_national_id(adversary: Adversary) -> None:
    sql = "SELECT *, count(*) AS n FROM welfare.recipients GROUP BY ALL"
    adversary.safe(sql, ANALYST)

"""Whole-row references and struct/JSON packing: a table alias used as a value, or ``t.*``
inside a function, would carry every column past the column checks (REFERENCES.md, DuckDB)."""

from __future__ import annotations

import pytest

from .conftest import ANALYST, Adversary

WHOLE_ROW = {
    "bare_alias": "SELECT p FROM household.persons p WHERE p.national_id = '{nid}'",
    "bare_table_name": "SELECT persons FROM household.persons WHERE national_id = '{nid}'",
    "to_json": "SELECT to_json(p) FROM household.persons p WHERE p.national_id = '{nid}'",
    "struct_pack_star": (
        "SELECT struct_pack(p.*) FROM household.persons p WHERE p.national_id = '{nid}'"
    ),
    "row_star": "SELECT row(p.*) FROM household.persons p WHERE p.national_id = '{nid}'",
    "struct_literal": "SELECT {{'a': p}} FROM household.persons p WHERE p.national_id = '{nid}'",
    "list_of_rows": "SELECT [p] FROM household.persons p WHERE p.national_id = '{nid}'",
    "cast_to_varchar": (
        "SELECT CAST(p AS VARCHAR) FROM household.persons p WHERE p.national_id = '{nid}'"
    ),
    "hash": "SELECT hash(p) FROM household.persons p WHERE p.national_id = '{nid}'",
    "in_where": (
        "SELECT p.name FROM household.persons p WHERE p.national_id = '{nid}' AND p IS NOT NULL"
    ),
    "in_order_by": (
        "SELECT p.name FROM household.persons p WHERE p.national_id = '{nid}' ORDER BY p"
    ),
    "json_object_star": (
        "SELECT json_object(p.*) FROM household.persons p WHERE p.national_id = '{nid}'"
    ),
    "struct_extract_of_row": (
        "SELECT struct_extract(p, 'phone') FROM household.persons p WHERE p.national_id = '{nid}'"
    ),
    "row_to_json_of_row": (
        "SELECT row_to_json(p) FROM household.persons p WHERE p.national_id = '{nid}'"
    ),
    "star_in_function": "SELECT concat(*) FROM household.persons WHERE national_id = '{nid}'",
}


@pytest.mark.parametrize("name", sorted(WHOLE_ROW))
def test_whole_row_reference_to_persons_is_refused(adversary: Adversary, name: str) -> None:
    adversary.refused(WHOLE_ROW[name].format(nid=adversary.people.subject))


def test_output_alias_named_like_the_table_alias_does_not_become_a_whole_row(
    adversary: Adversary,
) -> None:
    sql = f"""SELECT p.name AS p FROM household.persons p
              WHERE p.national_id = '{adversary.people.subject}' ORDER BY p"""
    outcome = adversary.safe(sql)
    if not outcome.refused:
        assert outcome.table.column_names == ["p"]
        assert all(isinstance(v, str) for v in outcome.column("p"))


def test_struct_of_named_columns_cannot_smuggle_phone(adversary: Adversary) -> None:
    sql = f"""SELECT struct_pack(a := p.name, b := p.phone) FROM household.persons p
              WHERE p.national_id = '{adversary.people.subject}'"""
    adversary.refused(sql, codes=["access_denied"])


def test_json_object_of_columns_cannot_smuggle_household_id(adversary: Adversary) -> None:
    sql = f"""SELECT json_object('h', p.household_id) FROM household.persons p
              WHERE p.national_id = '{adversary.people.subject}'"""
    adversary.refused(sql, codes=["access_denied"])


def test_map_of_columns_cannot_smuggle_phone(adversary: Adversary) -> None:
    sql = f"""SELECT map([p.name], [p.phone]) FROM household.persons p
              WHERE p.national_id = '{adversary.people.subject}'"""
    adversary.refused(sql, codes=["access_denied"])


def test_whole_row_of_a_subquery_over_persons_holds_no_ungranted_column(
    adversary: Adversary,
) -> None:
    sql = f"""SELECT t FROM (SELECT * FROM household.persons
              WHERE national_id = '{adversary.people.subject}') t"""
    outcome = adversary.safe(sql)
    if not outcome.refused:
        (row,) = outcome.rows()
        packed = next(iter(row.values()))
        assert "phone" not in packed and "household_id" not in packed, packed


def test_analyst_count_distinct_of_a_whole_row_is_refused(adversary: Adversary) -> None:
    sql = "SELECT district, count(DISTINCT r) FROM welfare.recipients r GROUP BY district"
    adversary.refused(sql, ANALYST)


def test_analyst_group_by_a_whole_row_is_refused(adversary: Adversary) -> None:
    sql = "SELECT count(*) AS n FROM welfare.recipients r GROUP BY r"
    adversary.refused(sql, ANALYST)


def test_analyst_to_json_of_a_whole_row_in_a_group_key_is_refused(adversary: Adversary) -> None:
    sql = "SELECT to_json(r) AS j, count(*) FROM welfare.recipients r GROUP BY j"
    adversary.refused(sql, ANALYST)

"""Principal attributes in row filters: substituted as literals that no value can break out of;
a missing attribute denies, with a reason."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from policies import Authorizer
from tests.policies.builders import PERSONS, grant, principal

HOSTILE = [
    "O'Neil",
    "大安區' OR '1'='1",
    "x'; DROP TABLE persons; --",
    "back\\slash' OR 1=1 --",
    "'",
    "''",
    '" OR "1"="1',
    "{user.name}",
]


def decide_with(filter_text: str, **attributes: str):  # type: ignore[no-untyped-def]
    authorizer = Authorizer(
        [grant("g", user="alice", table="household.persons", row_filter=filter_text)]
    )
    return authorizer.decide(principal("alice", **attributes), PERSONS, "p")


@pytest.mark.parametrize("value", HOSTILE)
def test_attribute_with_quotes_stays_one_literal(value: str) -> None:
    decision = decide_with("district = {user.district}", district=value)
    assert decision.allowed
    assert decision.row_filter is not None
    tree = sqlglot.parse_one(decision.row_filter, dialect="duckdb")
    assert isinstance(tree, exp.EQ), decision.row_filter
    assert tree.this == exp.column("district")
    assert isinstance(tree.expression, exp.Literal) and tree.expression.is_string
    assert tree.expression.this == value


@pytest.mark.parametrize("value", HOSTILE)
def test_attribute_survives_transpiling_to_each_source_dialect(value: str) -> None:
    decision = decide_with("district = {user.district} AND sex = 'F'", district=value)
    assert decision.row_filter is not None
    for dialect in ("duckdb", "postgres", "mysql", "sqlite"):
        sent = sqlglot.transpile(decision.row_filter, read="duckdb", write=dialect)[0]
        back = sqlglot.parse_one(sent, dialect=dialect)
        assert isinstance(back, exp.And), (dialect, sent)
        literals = [lit.this for lit in back.find_all(exp.Literal)]
        assert sorted(literals) == sorted([value, "F"]), (dialect, sent)


def test_agency_and_name_attributes() -> None:
    decision = decide_with("district = {user.agency} OR name = {user.name}")
    assert decision.row_filter == "district = 'DAAN' OR name = 'alice'"


def test_missing_attribute_denies_with_a_reason() -> None:
    decision = decide_with("district = {user.district}")  # alice has no district
    assert not decision.allowed and decision.visible
    assert "needs your district" in decision.reasons[0]
    assert not decision.columns


def test_empty_attribute_counts_as_missing() -> None:
    decision = decide_with("district = {user.district}", district="")
    assert not decision.allowed


def test_row_filter_on_a_column_the_table_lacks_denies_without_naming_it() -> None:
    decision = decide_with("secret_flag = 1")
    assert not decision.allowed
    assert "secret_flag" not in " ".join(decision.reasons)


def test_row_filter_columns_take_the_table_spelling() -> None:
    decision = decide_with("DISTRICT = {user.district}", district="大安區")
    assert decision.row_filter == "district = '大安區'"

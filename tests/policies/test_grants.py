"""Grant validation: every DESIGN.md §4 key, with errors that name the key and the fix."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from engine import Federation
from engine.errors import ConfigError
from policies import AggregateRule, ColumnMode, ColumnRule, GrantError, RequiredCondition
from policies.column_rules import intersect_rules, parse_column_rule
from tests.policies.builders import grant


def test_a_full_grant_reads_every_key() -> None:
    g = grant(
        "g1",
        user="clerk_daan",
        table="household.persons",
        columns={
            "national_id": "read",
            "district": "condition",
            "household_id": "join",
            "birth_date": "mask:year_only",
            "name": "mask:first:1",
            "phone": "mask:last:4",
            "address": "mask:redact",
            "sex": "mask:null",
            "head": "mask:hash",
            "amount": "mask:round:-3",
        },
        row_filter="district = {user.district}",
        require=[{"column": "national_id", "max_values": 10}],
        aggregate_only={"min_group": 10, "entity": "national_id"},
        max_rows=100,
        purposes=["welfare-eligibility", "statistics"],
        valid_from="2026-01-01",
        valid_until="2027-05-31",
    )
    assert g.columns != "*"
    assert g.columns["district"] == ColumnRule(ColumnMode.CONDITION)
    assert g.columns["household_id"] == ColumnRule(ColumnMode.JOIN)
    assert g.columns["birth_date"] == ColumnRule(ColumnMode.MASK, "year_only")
    assert g.columns["name"].mask_parameter == 1
    assert g.columns["amount"] == ColumnRule(ColumnMode.MASK, "round:-3")
    assert g.row_filter is not None and g.row_filter.attributes == {"district"}
    assert g.require == (RequiredCondition("national_id", 10),)
    assert g.aggregate_only == AggregateRule(10, "national_id")
    assert g.max_rows == 100
    assert g.purposes == ("welfare-eligibility", "statistics")
    assert (g.valid_from, g.valid_until) == (dt.date(2026, 1, 1), dt.date(2027, 5, 31))


@pytest.mark.parametrize(
    ("change", "key", "fragment"),
    [
        ({"columns": {"a": "write"}}, "columns.a", "unknown column mode 'write'"),
        ({"columns": {"a": "mask:blur"}}, "columns.a", "unknown mask kind 'blur'"),
        ({"columns": {"a": "mask:first"}}, "columns.a", "needs an integer parameter"),
        ({"columns": {"a": "mask:first:0"}}, "columns.a", "N ≥ 1"),
        ({"columns": {"a": "mask:round:x"}}, "columns.a", "needs an integer parameter"),
        ({"columns": {"a": "mask:hash:3"}}, "columns.a", "takes no parameter"),
        ({"columns": {"a.b": "read"}}, "columns", "not a column name"),
        ({"columns": {"a|b": "read"}}, "columns", "not a column name"),
        ({"columns": {}}, "columns", 'write "*"'),
        ({"table": "household"}, "table", "source.table"),
        ({"table": "household.per sons"}, "table", "source.table"),
        ({"user": None}, "user", "exactly one of user"),
        ({"agency": "DAAN"}, "user", "exactly one of user"),
        ({"row_filter": "district = '{user.district}'"}, "row_filter", "without quotes"),
        ({"row_filter": "{user.password} = 1"}, "row_filter", "unknown attribute"),
        ({"row_filter": "id IN (SELECT id FROM t)"}, "row_filter", "may not use"),
        ({"row_filter": "district ="}, "row_filter", "not valid SQL"),
        ({"require": [{"column": "a", "max_values": 0}]}, "require.0.max_values", "1 to 1000"),
        ({"require": [{"max_values": 2}]}, "require.0.column", "name the column"),
        ({"aggregate_only": {"min_group": 1, "entity": "a"}}, "aggregate_only.min_group", "≥ 2"),
        ({"aggregate_only": {"min_group": 5}}, "aggregate_only", "min_group = N"),
        ({"max_rows": 0}, "max_rows", "≥ 1"),
        ({"purposes": "statistics"}, "purposes", "list of codes"),
        ({"valid_until": "31/05/2027"}, "valid_until", "YYYY-MM-DD"),
        ({"valid_from": "2027-01-01", "valid_until": "2026-01-01"}, "valid_until", "before"),
        ({"colums": "*"}, "colums", "unknown key"),
    ],
)
def test_invalid_grant_names_the_key_and_the_fix(
    change: dict[str, Any], key: str, fragment: str
) -> None:
    spec: dict[str, Any] = {"user": "u", "table": "household.persons", "columns": "*"}
    spec.update(change)
    spec = {k: v for k, v in spec.items() if v is not None}
    with pytest.raises(GrantError) as info:
        grant("g", **spec)
    assert info.value.key == key
    assert fragment in info.value.message


def test_a_grant_without_purposes_loads_and_allows_no_purpose() -> None:
    from policies import Authorizer
    from tests.policies.builders import PERSONS, principal

    authorizer = Authorizer([grant("g", user="alice", table="household.persons", purposes=None)])
    decision = authorizer.decide(principal("alice"), PERSONS, "statistics")
    assert not decision.allowed and decision.visible
    assert "names no purpose" in decision.reasons[0]


# The stricter of two rules (delegation and equally specific grants), as a table.
STRICTER = [
    ("read", "read", "read"),
    ("read", "condition", "condition"),
    ("read", "join", "join"),
    ("read", "mask:hash", "mask:hash"),
    ("condition", "join", "join"),
    ("condition", "condition", "condition"),
    ("condition", "mask:year_only", None),  # a mask never turns into a raw-value mode
    ("join", "mask:hash", None),
    ("mask:first:4", "mask:first:1", "mask:first:1"),
    ("mask:last:2", "mask:last:4", "mask:last:2"),
    ("mask:round:0", "mask:round:-3", "mask:round:-3"),
    ("mask:hash", "mask:null", "mask:null"),
    ("mask:year_only", "mask:redact", "mask:redact"),
    ("mask:hash", "mask:year_only", None),
]


@pytest.mark.parametrize(("a", "b", "expected"), STRICTER)
def test_stricter_rule(a: str, b: str, expected: str | None) -> None:
    want = None if expected is None else parse_column_rule(expected)
    assert intersect_rules(parse_column_rule(a), parse_column_rule(b)) == want
    assert intersect_rules(parse_column_rule(b), parse_column_rule(a)) == want


def test_bad_grant_in_config_names_file_key_and_fix(tmp_path: Path) -> None:
    (tmp_path / "s.sqlite").touch()
    config = tmp_path / "civicfed.toml"
    config.write_text(
        """
[[agencies]]
code = "A"
name = "a"
[sources.s]
kind = "sqlite"
path = "s.sqlite"
owner = "A"
[[purposes]]
code = "p"
name = "p"
[[users]]
name = "u"
agency = "A"
[[grants]]
user = "u"
table = "s.t"
columns = { a = "mask:blur" }
purposes = ["p"]
""",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        Federation.open(config)
    assert str(config) in str(info.value)
    assert "grants.0.columns.a" in str(info.value)
    assert "kinds are redact" in str(info.value)

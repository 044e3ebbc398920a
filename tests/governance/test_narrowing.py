"""Narrowing a spec: an approval or a delegation may only take away."""

from __future__ import annotations

from typing import Any

import pytest

from api.governance import GovernanceError
from api.governance.narrowing import narrow

BASE: dict[str, Any] = {
    "agency": "DAAN",
    "table": "household.persons",
    "columns": {"national_id": "read", "name": "read", "birth_date": "mask:year_only"},
    "row_filter": "district = '大安區'",
    "require": [{"column": "national_id", "max_values": 10}],
    "max_rows": 100,
    "purposes": ["welfare-eligibility", "statistics"],
    "valid_until": "2027-05-31",
}


def test_nothing_to_narrow_keeps_the_request() -> None:
    assert narrow(BASE, {}, "the application") == BASE


def test_every_key_may_be_narrowed() -> None:
    result = narrow(
        BASE,
        {
            "columns": {"national_id": "condition", "birth_date": "mask:year_only"},
            "row_filter": "sex = 'F'",
            "require": [{"column": "national_id", "max_values": 3}, {"column": "name"}],
            "max_rows": 10,
            "purposes": ["statistics"],
            "valid_until": "2026-12-31",
        },
        "the application",
    )
    assert result["columns"] == {"national_id": "condition", "birth_date": "mask:year_only"}
    assert result["row_filter"] == "(district = '大安區') AND (sex = 'F')"
    assert result["require"] == [
        {"column": "national_id", "max_values": 3},
        {"column": "name", "max_values": 1},
    ]
    assert (result["max_rows"], result["purposes"], result["valid_until"]) == (
        10,
        ["statistics"],
        "2026-12-31",
    )
    assert result["agency"] == "DAAN" and result["table"] == "household.persons"


@pytest.mark.parametrize(
    ("narrower", "says"),
    [
        ({"columns": {"phone": "read"}}, "columns.phone: not in the application"),
        ({"columns": {"birth_date": "read"}}, "columns.birth_date: read is looser"),
        ({"columns": "*"}, 'not "\\*"'),
        ({"columns": {"name": "bogus"}}, "columns.name: unknown column mode"),
        ({"purposes": ["land-admin"]}, "purposes: land-admin is not in the application"),
        ({"purposes": []}, "purposes: list at least one"),
        ({"max_rows": 1000}, "max_rows: the application caps rows at 100"),
        ({"valid_until": "2030-01-01"}, "valid_until: the application ends on 2027-05-31"),
        ({"valid_until": "soon"}, "valid_until: write a date"),
        ({"table": "household.households"}, "table: cannot be changed"),
        ({"agency": "XINYI"}, "agency: cannot be changed"),
        ({"require": "national_id"}, "require: write a list"),
    ],
)
def test_reaching_outside_is_refused_naming_the_key(narrower: dict[str, Any], says: str) -> None:
    with pytest.raises(GovernanceError, match=says):
        narrow(BASE, narrower, "the application")


def test_an_aggregation_rule_is_kept_or_made_stricter() -> None:
    base = {**BASE, "aggregate_only": {"min_group": 10, "entity": "national_id"}}
    stricter = {"aggregate_only": {"min_group": 20, "entity": "national_id"}}
    assert narrow(base, stricter, "the grant")["aggregate_only"]["min_group"] == 20
    with pytest.raises(GovernanceError, match=r"aggregate_only\.min_group"):
        narrow(base, {"aggregate_only": {"min_group": 5, "entity": "national_id"}}, "the grant")
    with pytest.raises(GovernanceError, match="keep that entity"):
        narrow(base, {"aggregate_only": {"min_group": 10, "entity": "name"}}, "the grant")
    added = narrow(BASE, stricter, "the grant")
    assert added["aggregate_only"] == stricter["aggregate_only"]


def test_all_columns_may_be_narrowed_to_a_list() -> None:
    base = {**BASE, "columns": "*"}
    assert narrow(base, {"columns": {"phone": "read"}}, "x")["columns"] == {"phone": "read"}

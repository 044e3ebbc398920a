"""Decisions for the demo scenario's users and grants (DESIGN.md §6), written as data.

Each row: (user, table, column, usage, purpose, date) → what the decision must say. ``usage``
is how the query would use the column: ``select`` (project raw rows), ``aggregate`` (group by
or aggregate it), ``condition`` (WHERE/ON) or ``join`` (equi-join with another table).
Table-level expectations (row filter, pins, aggregation rule, row cap) ride along on the rows
of the columns they govern.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from policies import AccessDecision, Authorizer, ColumnMode, Principal, TableRef

WE, STATS, LAND, MAINT = "welfare-eligibility", "statistics", "land-admin", "data-maintenance"
TODAY = dt.date(2026, 3, 2)
LATER = dt.date(2031, 12, 31)  # the demo grants have no end date
DAAN, XINYI = "district = '大安區'", "district = '信義區'"
PIN_ID = (("national_id", 10),)
PIN_OWNER = (("owner_national_id", 10),)
GROUPS = (10, "national_id")
NOT_GRANTED = "no grant names this table"
P, HH, R = "household.persons", "household.households", "welfare.recipients"
OWN, LP, BP, FI = "land.ownership", "land.parcels", "building.permits", "fire.inspections"


def ok(mode: str, **table_level: Any) -> dict[str, Any]:
    """The use is allowed; the column has ``mode`` (``mask:<kind>`` for masks)."""
    return {"use": True, "mode": mode, **table_level}


def refused(mode: str | None, **table_level: Any) -> dict[str, Any]:
    """The table is allowed but not this use of the column (``mode`` None: not granted)."""
    return {"use": False, "mode": mode, "allowed": True, **table_level}


def denied(reason: str) -> dict[str, Any]:
    """The table is refused for this purpose, visibly, with ``reason`` in the reasons."""
    return {"use": False, "allowed": False, "visible": True, "reason": reason}


def hidden() -> dict[str, Any]:
    """No grant names the table: refused exactly like a table that does not exist."""
    return {"use": False, "allowed": False, "visible": False, "reason": NOT_GRANTED}


def clerk(district: str) -> dict[str, Any]:
    return {"row_filter": district, "required": PIN_ID, "max_rows": 100, "aggregate": None}


CLERK_DAAN, CLERK_XINYI = clerk(DAAN), clerk(XINYI)
PARCELS = {"row_filter": None, "required": (), "max_rows": 100}
OWNERSHIP = {"row_filter": None, "required": PIN_OWNER, "max_rows": 100}
ANALYST = {"row_filter": None, "required": (), "aggregate": GROUPS, "max_rows": None}
OWNER = {"row_filter": None, "required": (), "aggregate": None, "max_rows": None}

# fmt: off
TRUTH: list[tuple[str, str, str, str, str, dt.date, dict[str, Any]]] = [
    # --- clerk_daan: persons of 大安區, pinned by national ID, welfare-eligibility only -----
    ("clerk_daan", P, "national_id", "select", WE, TODAY, ok("read", **CLERK_DAAN)),
    ("clerk_daan", P, "national_id", "condition", WE, TODAY, ok("read")),
    ("clerk_daan", P, "name", "select", WE, TODAY, ok("read", **CLERK_DAAN)),
    ("clerk_daan", P, "sex", "select", WE, TODAY, ok("read")),
    ("clerk_daan", P, "birth_date", "select", WE, TODAY, ok("read")),
    ("clerk_daan", P, "district", "select", WE, TODAY, ok("read")),
    ("clerk_daan", P, "address", "select", WE, LATER, ok("read", **CLERK_DAAN)),
    ("clerk_daan", P, "phone", "select", WE, TODAY, refused(None, **CLERK_DAAN)),
    ("clerk_daan", P, "phone", "condition", WE, TODAY, refused(None)),
    ("clerk_daan", P, "household_id", "join", WE, TODAY, refused(None)),
    ("clerk_daan", P, "name", "select", STATS, TODAY, denied("allowed: welfare-eligibility")),
    ("clerk_daan", P, "name", "select", LAND, TODAY, denied("'land-admin' is not allowed")),
    ("clerk_daan", HH, "household_id", "select", WE, TODAY, hidden()),
    # recipients: not monthly_amount
    ("clerk_daan", R, "national_id", "select", WE, TODAY, ok("read", **CLERK_DAAN)),
    ("clerk_daan", R, "program", "select", WE, TODAY, ok("read", **CLERK_DAAN)),
    ("clerk_daan", R, "start_date", "select", WE, TODAY, ok("read")),
    ("clerk_daan", R, "end_date", "select", WE, TODAY, ok("read")),
    ("clerk_daan", R, "district", "condition", WE, TODAY, ok("read")),
    ("clerk_daan", R, "monthly_amount", "select", WE, TODAY, refused(None, **CLERK_DAAN)),
    ("clerk_daan", R, "monthly_amount", "aggregate", WE, TODAY, refused(None)),
    ("clerk_daan", R, "case_id", "select", WE, TODAY, refused(None)),
    ("clerk_daan", R, "program", "select", STATS, TODAY, denied("allowed: welfare-eligibility")),
    # land: a citizen's land wherever it lies (no row filter), for two purposes
    ("clerk_daan", OWN, "owner_national_id", "select", WE, TODAY, ok("read", **OWNERSHIP)),
    ("clerk_daan", OWN, "parcel_no", "select", LAND, TODAY, ok("read", **OWNERSHIP)),
    ("clerk_daan", OWN, "share", "select", WE, TODAY, ok("read")),
    ("clerk_daan", OWN, "share", "select", STATS, TODAY, denied("land-admin, welfare-eligibility")),
    ("clerk_daan", LP, "zoning", "select", WE, TODAY, ok("read", **PARCELS)),
    ("clerk_daan", LP, "area_m2", "select", LAND, TODAY, ok("read", **PARCELS)),
    ("clerk_daan", LP, "parcel_no", "join", WE, TODAY, ok("read")),
    ("clerk_daan", LP, "section", "select", WE, TODAY, ok("read")),
    ("clerk_daan", LP, "district", "select", WE, TODAY, ok("read")),
    ("clerk_daan", LP, "announced_value", "select", WE, TODAY, refused(None, **PARCELS)),
    ("clerk_daan", BP, "permit_no", "select", WE, TODAY, hidden()),
    ("clerk_daan", FI, "result", "select", LAND, TODAY, hidden()),
    # --- clerk_xinyi: the same for 信義區 ------------------------------------------------
    ("clerk_xinyi", P, "name", "select", WE, TODAY, ok("read", **CLERK_XINYI)),
    ("clerk_xinyi", P, "phone", "select", WE, TODAY, refused(None, **CLERK_XINYI)),
    ("clerk_xinyi", R, "program", "select", WE, TODAY, ok("read", **CLERK_XINYI)),
    ("clerk_xinyi", R, "monthly_amount", "select", WE, TODAY, refused(None)),
    ("clerk_xinyi", OWN, "share", "select", LAND, TODAY, ok("read", **OWNERSHIP)),
    ("clerk_xinyi", LP, "announced_value", "condition", LAND, TODAY, refused(None)),
    ("clerk_xinyi", P, "name", "select", MAINT, TODAY, denied("allowed: welfare-eligibility")),
    # --- analyst_dbas: aggregates over groups of ≥ 10 persons, statistics only -------------
    ("analyst_dbas", P, "sex", "aggregate", STATS, TODAY, ok("read", **ANALYST)),
    ("analyst_dbas", P, "sex", "select", STATS, TODAY, refused("read", **ANALYST)),
    ("analyst_dbas", P, "district", "aggregate", STATS, TODAY, ok("read")),
    ("analyst_dbas", P, "district", "condition", STATS, TODAY, ok("read")),
    ("analyst_dbas", P, "birth_date", "aggregate", STATS, TODAY, ok("mask:year_only")),
    ("analyst_dbas", P, "national_id", "join", STATS, TODAY, ok("join", **ANALYST)),
    ("analyst_dbas", P, "national_id", "condition", STATS, TODAY, refused("join")),
    ("analyst_dbas", P, "national_id", "aggregate", STATS, TODAY, refused("join")),
    ("analyst_dbas", P, "name", "aggregate", STATS, TODAY, refused(None)),
    ("analyst_dbas", P, "address", "condition", STATS, TODAY, refused(None)),
    ("analyst_dbas", P, "sex", "aggregate", WE, TODAY, denied("allowed: statistics")),
    ("analyst_dbas", R, "program", "aggregate", STATS, TODAY, ok("read", **ANALYST)),
    ("analyst_dbas", R, "monthly_amount", "aggregate", STATS, TODAY, ok("read")),
    ("analyst_dbas", R, "monthly_amount", "select", STATS, TODAY, refused("read")),
    ("analyst_dbas", R, "district", "aggregate", STATS, LATER, ok("read")),
    ("analyst_dbas", R, "national_id", "join", STATS, TODAY, ok("join", **ANALYST)),
    ("analyst_dbas", R, "national_id", "select", STATS, TODAY, refused("join")),
    ("analyst_dbas", R, "case_id", "aggregate", STATS, TODAY, refused(None)),
    ("analyst_dbas", LP, "district", "aggregate", STATS, TODAY, hidden()),
    ("analyst_dbas", HH, "district", "aggregate", STATS, TODAY, hidden()),
    # --- data owners: their own source, every column, data-maintenance ------------------
    ("owner_cra", P, "phone", "select", MAINT, TODAY, ok("read", **OWNER)),
    ("owner_cra", P, "national_id", "select", MAINT, TODAY, ok("read")),
    ("owner_cra", HH, "head_national_id", "select", MAINT, TODAY, ok("read", **OWNER)),
    ("owner_cra", P, "phone", "select", STATS, TODAY, denied("allowed: data-maintenance")),
    ("owner_cra", R, "program", "select", MAINT, TODAY, hidden()),
    ("owner_dsw", R, "monthly_amount", "select", MAINT, TODAY, ok("read", **OWNER)),
    ("owner_dsw", R, "case_id", "condition", MAINT, LATER, ok("read")),
    ("owner_dsw", R, "program", "select", WE, TODAY, denied("allowed: data-maintenance")),
    ("owner_dsw", P, "name", "select", MAINT, TODAY, hidden()),
    # --- no data at all -----------------------------------------------------------------
    ("admin", P, "name", "select", MAINT, TODAY, hidden()),
    ("admin", R, "program", "aggregate", STATS, TODAY, hidden()),
    ("auditor_ethics", P, "district", "aggregate", STATS, TODAY, hidden()),
    ("auditor_ethics", R, "program", "select", WE, TODAY, hidden()),
    ("manager_daan", P, "name", "select", WE, TODAY, hidden()),
    ("manager_daan", LP, "zoning", "select", LAND, TODAY, hidden()),
]
# fmt: on


def usable(decision: AccessDecision, column: str, usage: str) -> bool:
    """Whether ``decision`` lets a query use ``column`` this way (the planner's reading of
    the modes, DESIGN.md §4)."""
    if not decision.allowed or column not in decision.columns:
        return False
    rule = decision.columns[column]
    if usage == "select":
        return rule.projectable and decision.aggregate_only is None
    if usage == "aggregate":
        return rule.projectable
    if usage == "condition":
        return rule.mode is not ColumnMode.JOIN
    return usage == "join"


def mode_text(decision: AccessDecision, column: str) -> str | None:
    rule = decision.columns.get(column)
    if rule is None:
        return None
    return f"mask:{rule.mask}" if rule.mode is ColumnMode.MASK else rule.mode.value


@pytest.mark.parametrize(
    ("user", "table", "column", "usage", "purpose", "day", "expected"),
    TRUTH,
    ids=[f"{r[0]}-{r[1]}.{r[2]}-{r[3]}-{r[4]}-{r[5]}" for r in TRUTH],
)
def test_decision_truth_table(
    demo_authorizer: Authorizer,
    demo_principals: dict[str, Principal],
    demo_tables: dict[str, TableRef],
    user: str,
    table: str,
    column: str,
    usage: str,
    purpose: str,
    day: dt.date,
    expected: dict[str, Any],
) -> None:
    decision = demo_authorizer.decide(demo_principals[user], demo_tables[table], purpose, day)
    assert usable(decision, column, usage) is expected["use"], decision
    if "allowed" in expected:
        assert decision.allowed is expected["allowed"], decision.reasons
    if "visible" in expected:
        assert decision.visible is expected["visible"]
    if "mode" in expected:
        assert mode_text(decision, column) == expected["mode"]
    if "reason" in expected:
        assert any(expected["reason"] in r for r in decision.reasons), decision.reasons
    if "row_filter" in expected:
        assert decision.row_filter == expected["row_filter"]
    if "required" in expected:
        assert tuple((r.column, r.max_values) for r in decision.required) == expected["required"]
    if "aggregate" in expected:
        rule = decision.aggregate_only
        assert (None if rule is None else (rule.min_group, rule.entity)) == expected["aggregate"]
    if "max_rows" in expected:
        assert decision.max_rows == expected["max_rows"]
    if decision.allowed:
        assert purpose in decision.purposes
        assert decision.grants, "an allowed decision names the grants behind it"
    else:
        assert not decision.columns, "a refused decision grants no column"


def test_every_demo_user_is_in_the_truth_table(demo_config: Any) -> None:
    """The table covers each §6 account (demo_fullaccess is temporary and left out)."""
    users = {u.name for u in demo_config.config.users} - {"demo_fullaccess"}
    assert users <= {row[0] for row in TRUTH}

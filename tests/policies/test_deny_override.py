"""Casbin decides each column, and an explicit denial beats every grant (deny override);
its explanations are the decision's reasons; nobody can switch it off."""

from __future__ import annotations

import datetime as dt

import pytest

from policies import Authorizer, ColumnMode, DenialError, Grant
from policies.casbin_gate import TableCheck, action_covers, object_match
from tests.policies.builders import PERSONS, grant, principal

DAY = dt.date(2026, 6, 1)
ALICE = principal("alice", "DAAN")
CLERK_COLUMNS = {
    "national_id": "read",
    "name": "read",
    "district": "condition",
    "household_id": "join",
    "birth_date": "mask:year_only",
}


def authorizer_with(*grants_: Grant) -> Authorizer:
    default = grant("g", user="alice", table="household.persons", columns=CLERK_COLUMNS)
    return Authorizer(grants_ or [default])


def modes(authorizer: Authorizer) -> dict[str, str]:
    decision = authorizer.decide(ALICE, PERSONS, "p", DAY)
    return {
        c: (f"mask:{r.mask}" if r.mode is ColumnMode.MASK else r.mode.value)
        for c, r in decision.columns.items()
    }


# (denied action on a column, whose denial) → the column's mode afterwards (None: removed)
DENIALS = [
    ("name", "select", {"user": "alice"}, "condition"),
    ("name", "condition", {"user": "alice"}, "join"),
    ("name", "join", {"user": "alice"}, None),
    ("name", "select", {"agency": "DAAN"}, "condition"),  # an agency denial binds its members
    ("name", "select", {"agency": "XINYI"}, "read"),  # another agency's denial does not
    ("name", "select", {"user": "bob"}, "read"),
    ("district", "select", {"user": "alice"}, "condition"),  # already below select
    ("district", "condition", {"user": "alice"}, "join"),
    ("household_id", "condition", {"user": "alice"}, "join"),
    ("household_id", "join", {"user": "alice"}, None),
    ("birth_date", "select", {"user": "alice"}, None),  # a mask is never lowered to raw
    ("birth_date", "join", {"user": "alice"}, None),
    ("*", "join", {"user": "alice"}, None),
]


@pytest.mark.parametrize(("column", "action", "holder", "expected"), DENIALS)
def test_denial_beats_the_grant(
    column: str, action: str, holder: dict[str, str], expected: str | None
) -> None:
    authorizer = authorizer_with()
    before = modes(authorizer)
    denial = authorizer.create_denial(
        f"household.persons.{column}", action, "owner_cra", "complaint", **holder
    )
    after = modes(authorizer)
    targets = before if column == "*" else {column: before[column]}
    for name in targets:
        assert after.get(name) == expected, (name, after)
    untouched = {c: m for c, m in before.items() if c not in targets}
    assert {c: after.get(c) for c in untouched} == untouched
    decision = authorizer.decide(ALICE, PERSONS, "p", DAY)
    if expected != before.get(column) and decision.allowed:
        assert any(denial.id in r for r in decision.reasons), decision.reasons
    authorizer.revoke_denial(denial.id, "owner_cra")
    assert modes(authorizer) == before


def test_denying_every_column_refuses_the_table_visibly() -> None:
    authorizer = authorizer_with()
    denial = authorizer.create_denial(
        "household.*.*", "join", "owner_cra", "suspended", user="alice"
    )
    decision = authorizer.decide(ALICE, PERSONS, "p", DAY)
    assert (decision.allowed, decision.visible) == (False, True)
    assert "every column of the grant is denied" in decision.reasons[0]
    assert denial.id in decision.reasons[0]


def test_denial_beats_a_full_grant_and_an_aggregate_grant() -> None:
    authorizer = authorizer_with(
        grant("all", user="alice", table="household.*"),
    )
    authorizer.create_denial("household.persons.phone", "select", "o", "r", user="alice")
    assert modes(authorizer)["phone"] == "condition"
    analyst = authorizer_with(
        grant(
            "agg",
            user="alice",
            table="household.persons",
            columns={"sex": "read", "national_id": "join"},
            aggregate_only={"min_group": 10, "entity": "national_id"},
        )
    )
    analyst.create_denial("household.persons.sex", "aggregate", "o", "r", user="alice")
    assert modes(analyst) == {"national_id": "join", "sex": "condition"}


def test_allowed_decision_explains_itself_with_casbin_rules() -> None:
    decision = authorizer_with().decide(ALICE, PERSONS, "p", DAY)
    text = " | ".join(decision.reasons)
    assert "grant g (user alice, household.persons) governs" in text
    assert "select on national_id, name, birth_date: allowed by [user:alice, *, " in text
    assert "condition on district: allowed by" in text
    assert "join on household_id: allowed by" in text


def test_enforcement_cannot_be_switched_off() -> None:
    check = TableCheck(ALICE, [])
    with pytest.raises(PermissionError):
        check._enforcer.enable_enforce(False)
    check._enforcer.enabled = False  # even forced, a disabled enforcer allows nothing
    assert not check.check(PERSONS, ["name"], "select").allowed


def test_no_rule_means_no() -> None:
    check = TableCheck(ALICE, [])
    verdict = check.check(PERSONS, ["name"], "join")
    assert not verdict.allowed and verdict.explain() == "no rule allows it"


@pytest.mark.parametrize(
    ("effect", "ruled", "requested", "expected"),
    [
        ("allow", "select", "join", True),
        ("allow", "condition", "select", False),
        ("allow", "aggregate", "condition", True),
        ("allow", "aggregate", "select", False),
        ("deny", "condition", "select", True),
        ("deny", "condition", "join", False),
        ("deny", "select", "aggregate", False),
        ("allow", "select", "drop", False),
    ],
)
def test_action_ladder(effect: str, ruled: str, requested: str, expected: bool) -> None:
    assert action_covers(effect, ruled, requested) is expected


@pytest.mark.parametrize(
    ("effect", "requested", "pattern", "expected"),
    [
        ("allow", "h.p.a|b", "h.p.a|b|c", True),
        ("allow", "h.p.a|d", "h.p.a|b|c", False),  # an allow must cover every column
        ("deny", "h.p.a|d", "h.p.a|b|c", True),  # a deny needs to hit one
        ("deny", "h.p.d", "h.p.a|b|c", False),
        ("allow", "h.p.a", "h.*.a", True),
        ("allow", "h.p.a", "h.*.*", True),
        ("allow", "h.p.a", "h.q.*", False),
        ("allow", "hh.p.a", "h.*.*", False),
    ],
)
def test_object_patterns(effect: str, requested: str, pattern: str, expected: bool) -> None:
    assert object_match(effect, requested, pattern) is expected


def test_denial_validation() -> None:
    authorizer = authorizer_with()
    with pytest.raises(DenialError, match="actions are"):
        authorizer.create_denial("household.persons.name", "delete", "o", "r", user="alice")
    with pytest.raises(DenialError, match=r"source\.table\.column"):
        authorizer.create_denial("household.persons", "select", "o", "r", user="alice")
    with pytest.raises(DenialError, match="exactly one"):
        authorizer.create_denial("household.persons.name", "select", "o", "r")

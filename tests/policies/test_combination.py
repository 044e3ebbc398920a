"""Several grants on one table: the most specific governs, ties intersect, nothing mixes;
validity windows and purposes refuse with reasons that say what would be allowed."""

from __future__ import annotations

import datetime as dt

from policies import Authorizer, ColumnMode
from tests.policies.builders import PERSONS, grant, principal

DAY = dt.date(2026, 6, 1)
ALICE = principal("alice", district="大安區")


def test_user_grant_beats_agency_grant_even_when_agency_grant_is_looser() -> None:
    authorizer = Authorizer(
        [
            grant("agency", agency="DAAN", table="household.persons", max_rows=1000),
            grant(
                "user",
                user="alice",
                table="household.persons",
                columns={"name": "read"},
                row_filter="district = {user.district}",
                max_rows=10,
            ),
        ]
    )
    decision = authorizer.decide(ALICE, PERSONS, "p", DAY)
    assert decision.grants == ("user",)
    assert set(decision.columns) == {"name"}
    assert decision.row_filter == "district = '大安區'"
    assert decision.max_rows == 10
    # another member of the agency, without a grant of their own, has nothing: an agency
    # grant reaches its members only through the subsets their manager hands them
    bob = authorizer.decide(principal("bob"), PERSONS, "p", DAY)
    assert not bob.allowed and not bob.visible


def test_table_grant_beats_source_wildcard_grant() -> None:
    authorizer = Authorizer(
        [
            grant("wild", user="alice", table="household.*"),
            grant("persons", user="alice", table="household.persons", columns={"sex": "read"}),
        ]
    )
    decision = authorizer.decide(ALICE, PERSONS, "p", DAY)
    assert decision.grants == ("persons",)
    assert list(decision.columns) == ["sex"]


def test_narrower_grant_cannot_be_escaped_by_another_purpose() -> None:
    authorizer = Authorizer(
        [
            grant("agency", agency="DAAN", table="household.persons", purposes=["statistics"]),
            grant("user", user="alice", table="household.persons", columns={"sex": "read"}),
        ]
    )
    decision = authorizer.decide(ALICE, PERSONS, "statistics", DAY)
    assert not decision.allowed and decision.visible
    assert "allowed: p" in decision.reasons[0]


def test_narrower_grant_cannot_be_escaped_by_waiting_for_it_to_expire() -> None:
    authorizer = Authorizer(
        [
            grant("agency", agency="DAAN", table="household.persons"),
            grant(
                "user",
                user="alice",
                table="household.persons",
                columns={"sex": "read"},
                valid_until="2026-05-31",
            ),
        ]
    )
    decision = authorizer.decide(ALICE, PERSONS, "p", DAY)
    assert not decision.allowed
    assert "expired on 2026-05-31" in decision.reasons[0]


def test_equally_specific_grants_intersect_and_never_mix() -> None:
    authorizer = Authorizer(
        [
            grant(
                "wide-rows",
                user="alice",
                table="household.persons",
                columns={"name": "read", "sex": "read", "phone": "read"},
                max_rows=500,
                purposes=["p", "q"],
            ),
            grant(
                "narrow-rows",
                user="alice",
                table="household.persons",
                columns={"name": "mask:first:1", "sex": "condition", "district": "read"},
                row_filter="district = {user.district}",
                require=[{"column": "name", "max_values": 3}],
                max_rows=50,
                purposes=["p"],
            ),
        ]
    )
    decision = authorizer.decide(ALICE, PERSONS, "p", DAY)
    assert decision.allowed
    assert set(decision.grants) == {"wide-rows", "narrow-rows"}
    assert decision.columns["name"].mask == "first:1"
    assert decision.columns["sex"].mode is ColumnMode.CONDITION
    assert "phone" not in decision.columns and "district" not in decision.columns
    assert decision.row_filter == "district = '大安區'"
    assert decision.max_rows == 50
    assert decision.purposes == ("p",)
    # purpose q: only one grant of the tier allows it, so it alone governs
    only = authorizer.decide(ALICE, PERSONS, "q", DAY)
    assert only.grants == ("wide-rows",) and only.row_filter is None


def test_ties_with_different_aggregation_entities_deny() -> None:
    authorizer = Authorizer(
        [
            grant(
                "a",
                user="alice",
                table="household.persons",
                aggregate_only={"min_group": 5, "entity": "national_id"},
            ),
            grant(
                "b",
                user="alice",
                table="household.persons",
                aggregate_only={"min_group": 5, "entity": "household_id"},
            ),
        ]
    )
    decision = authorizer.decide(ALICE, PERSONS, "p", DAY)
    assert not decision.allowed and "different entities" in decision.reasons[0]


def test_validity_window_is_inclusive_at_both_ends() -> None:
    authorizer = Authorizer(
        [
            grant(
                "g",
                user="alice",
                table="household.persons",
                valid_from="2026-01-01",
                valid_until="2026-12-31",
            )
        ]
    )

    def on(day: dt.date) -> bool:
        return authorizer.decide(ALICE, PERSONS, "p", day).allowed

    assert not on(dt.date(2025, 12, 31))
    assert on(dt.date(2026, 1, 1)) and on(dt.date(2026, 12, 31))
    assert not on(dt.date(2027, 1, 1))
    before = authorizer.decide(ALICE, PERSONS, "p", dt.date(2025, 12, 31))
    assert before.visible and "valid from 2026-01-01" in before.reasons[0]
    after = authorizer.decide(ALICE, PERSONS, "p", dt.date(2027, 1, 1))
    assert after.visible and "expired on 2026-12-31" in after.reasons[0]
    current = authorizer.decide(ALICE, PERSONS, "p", dt.date(2026, 6, 1))
    assert (current.valid_from, current.valid_until) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))


def test_a_valid_grant_of_the_tier_governs_when_another_has_expired() -> None:
    authorizer = Authorizer(
        [
            grant("old", user="alice", table="household.persons", valid_until="2026-01-31"),
            grant("new", user="alice", table="household.persons", columns={"sex": "read"}),
        ]
    )
    decision = authorizer.decide(ALICE, PERSONS, "p", DAY)
    assert decision.grants == ("new",)


def test_no_grant_reads_like_no_table() -> None:
    authorizer = Authorizer([grant("g", user="bob", table="household.persons")])
    decision = authorizer.decide(ALICE, PERSONS, "p", DAY)
    assert (decision.allowed, decision.visible) == (False, False)
    assert decision.reasons == ("no grant names this table",)


def test_a_grant_on_another_source_or_table_does_not_apply() -> None:
    authorizer = Authorizer(
        [
            grant("w", user="alice", table="welfare.*"),
            grant("h", user="alice", table="household.households"),
        ]
    )
    assert not authorizer.decide(ALICE, PERSONS, "p", DAY).visible


def test_a_grant_naming_a_column_the_table_lacks_denies() -> None:
    authorizer = Authorizer(
        [grant("g", user="alice", table="household.persons", columns={"ssn": "read"})]
    )
    decision = authorizer.decide(ALICE, PERSONS, "p", DAY)
    assert not decision.allowed and "ssn" in decision.reasons[0]


def test_decisions_are_cached_until_grants_change() -> None:
    authorizer = Authorizer([grant("g", user="alice", table="household.persons")])
    first = authorizer.decide(ALICE, PERSONS, "p", DAY)
    assert authorizer.decide(ALICE, PERSONS, "p", DAY) is first
    version = authorizer.version
    authorizer.create_grant(
        {
            "user": "alice",
            "table": "household.persons",
            "columns": {"sex": "read"},
            "purposes": ["p"],
        },
        created_by="owner",
    )
    assert authorizer.version != version
    again = authorizer.decide(ALICE, PERSONS, "p", DAY)
    assert again is not first
    assert list(again.columns) == ["sex"]  # the two grants of the tier intersect

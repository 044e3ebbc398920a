"""Required-condition evasion: the clerk's grants require national_id (persons, recipients) and
owner_national_id (ownership) pinned by ``=`` or ``IN`` with at most ten constants, as a
top-level AND of WHERE/ON or through an equi-join to a pinned column (DESIGN.md §4).

An evasion that is answered must still return only the pinned people; the assertions check
that on the ground truth as well as the refusal.
"""

from __future__ import annotations

import pytest

from .conftest import CLERK, LAND_ADMIN, Adversary


def _only(adversary: Adversary, sql: str, column: str, allowed: set[str], purpose=None) -> None:
    outcome = adversary.safe(sql, CLERK, purpose)
    if not outcome.refused:
        seen = {v for v in outcome.column(column) if v is not None}
        assert seen <= allowed, (
            f"the pin was evaded: {len(seen - allowed)} other people returned, e.g. "
            f"{sorted(seen - allowed)[:3]}"
        )


def test_query_without_a_pin_is_refused(adversary: Adversary) -> None:
    message = adversary.refused("SELECT name FROM household.persons")
    assert "national_id" in message


@pytest.mark.parametrize(
    "where",
    [
        "national_id = '{nid}' OR 1 = 1",
        "national_id = '{nid}' OR district = '大安區'",
        "national_id = national_id",
        "national_id = '{nid}' OR national_id <> '{nid}'",
        "NOT (national_id <> '{nid}')",
        "national_id <> '{nid}'",
        "national_id LIKE 'A2%'",
        "national_id BETWEEN 'A1' AND 'A3'",
        "national_id >= '{nid}' AND national_id <= '{nid}'",
        "national_id = ANY(['{nid}', 'A1'])",
        "list_contains(['{nid}'], national_id)",
        "national_id = (SELECT '{nid}')",
        "national_id IN (SELECT '{nid}')",
        "coalesce(national_id, '') = '{nid}'",
        "upper(national_id) = '{nid}'",
        "national_id IS NOT NULL",
        "(national_id = '{nid}') IS NOT FALSE",
        "CASE WHEN national_id = '{nid}' THEN true ELSE true END",
    ],
    ids=[
        "or_tautology",
        "or_district",
        "self_equality_tautology",
        "or_negation",
        "double_negation",
        "not_equal",
        "like_pattern",
        "between_range",
        "closed_range",
        "any_array",
        "list_contains",
        "scalar_subquery",
        "in_subquery",
        "function_wrapped",
        "upper_wrapped",
        "is_not_null",
        "is_not_false",
        "case_tautology",
    ],
)
def test_pin_evasion_is_refused_or_returns_only_the_pinned_person(
    adversary: Adversary, where: str
) -> None:
    nid = adversary.people.subject
    sql = f"SELECT national_id, name FROM household.persons WHERE {where.format(nid=nid)}"
    _only(adversary, sql, "national_id", {nid})


def test_in_list_with_eleven_values_is_refused(adversary: Adversary) -> None:
    ids = sorted(adversary.people.daan_ids)[:11]
    values = ", ".join(f"'{i}'" for i in ids)
    message = adversary.refused(
        f"SELECT name FROM household.persons WHERE national_id IN ({values})"
    )
    for nid in ids:
        assert nid not in message or nid in values


def test_eleven_values_split_over_two_in_lists_are_refused(adversary: Adversary) -> None:
    ids = sorted(adversary.people.daan_ids)[:11]
    first = ", ".join(f"'{i}'" for i in ids[:6])
    second = ", ".join(f"'{i}'" for i in ids[6:])
    sql = f"""SELECT national_id FROM household.persons
              WHERE national_id IN ({first}) OR national_id IN ({second})"""
    adversary.refused(sql)


def test_in_list_with_ten_values_and_duplicates_is_answered_within_the_ten(
    adversary: Adversary,
) -> None:
    ids = sorted(adversary.people.daan_ids)[:10]
    values = ", ".join(f"'{i}'" for i in ids + ids[:5])
    sql = f"SELECT national_id FROM household.persons WHERE national_id IN ({values})"
    outcome = adversary.safe(sql)
    assert not outcome.refused, outcome.describe()
    assert set(outcome.column("national_id")) == set(ids)


def test_pin_only_inside_a_subquery_is_refused(adversary: Adversary) -> None:
    nid = adversary.people.subject
    sql = f"""SELECT name FROM household.persons WHERE national_id IN
              (SELECT national_id FROM household.persons WHERE national_id = '{nid}')"""
    adversary.refused(sql)


def test_pin_on_a_different_alias_of_the_same_table_is_refused(adversary: Adversary) -> None:
    sql = f"""SELECT a.national_id, a.name FROM household.persons a, household.persons b
              WHERE b.national_id = '{adversary.people.subject}'"""
    adversary.refused(sql)


def test_pin_carried_over_a_non_equi_join_is_refused(adversary: Adversary) -> None:
    sql = f"""SELECT a.national_id FROM household.persons a
              JOIN household.persons b ON a.national_id <> b.national_id
              WHERE b.national_id = '{adversary.people.subject}'"""
    adversary.refused(sql)


def test_pin_carried_over_a_join_on_district_is_refused(adversary: Adversary) -> None:
    sql = f"""SELECT a.national_id FROM household.persons a
              JOIN household.persons b ON a.district = b.district
              WHERE b.national_id = '{adversary.people.subject}'"""
    adversary.refused(sql)


def test_join_to_values_is_not_a_pin(adversary: Adversary) -> None:
    ids = sorted(adversary.people.daan_ids)[:20]
    values = ", ".join(f"('{i}')" for i in ids)
    sql = f"""SELECT p.national_id FROM household.persons p
              JOIN (VALUES {values}) v(id) ON p.national_id = v.id"""
    _only(adversary, sql, "national_id", set())


def test_pin_in_a_left_join_on_clause_does_not_pin_the_preserved_persons(
    adversary: Adversary,
) -> None:
    # ON of a LEFT JOIN filters only the right side: every person on the left stays.
    nid = adversary.people.subject
    sql = f"""SELECT p.national_id, p.name FROM household.persons p
              LEFT JOIN land.ownership o
                ON o.owner_national_id = p.national_id AND o.owner_national_id = '{nid}'"""
    _only(adversary, sql, "national_id", {nid})


def test_pin_in_a_left_join_on_clause_does_not_pin_the_preserved_ownership(
    adversary: Adversary,
) -> None:
    # land.ownership has no row filter: this would list every citizen's land.
    nid = adversary.people.subject
    sql = f"""SELECT o.owner_national_id, o.parcel_no FROM land.ownership o
              LEFT JOIN household.persons p
                ON p.national_id = o.owner_national_id AND o.owner_national_id = '{nid}'"""
    _only(adversary, sql, "owner_national_id", {nid})


def test_pin_in_a_left_join_on_clause_does_not_pin_the_preserved_side_for_recipients(
    adversary: Adversary,
) -> None:
    nid = adversary.people.subject
    sql = f"""SELECT p.national_id FROM household.persons p
              LEFT JOIN welfare.recipients r
                ON r.national_id = p.national_id AND r.national_id = '{nid}'"""
    _only(adversary, sql, "national_id", {nid})


def test_pin_in_a_right_join_on_clause_does_not_pin_the_preserved_side(
    adversary: Adversary,
) -> None:
    nid = adversary.people.subject
    sql = f"""SELECT p.national_id FROM land.ownership o
              RIGHT JOIN household.persons p
                ON p.national_id = o.owner_national_id AND o.owner_national_id = '{nid}'"""
    _only(adversary, sql, "national_id", {nid})


def test_pin_in_a_full_join_on_clause_is_not_a_pin(adversary: Adversary) -> None:
    nid = adversary.people.subject
    sql = f"""SELECT p.national_id FROM household.persons p
              FULL JOIN land.ownership o
                ON o.owner_national_id = p.national_id AND p.national_id = '{nid}'"""
    _only(adversary, sql, "national_id", {nid})


def test_pin_through_an_anti_join_is_not_a_pin(adversary: Adversary) -> None:
    # ANTI JOIN keeps the persons that do NOT match the pinned owner: everyone else.
    nid = adversary.people.subject
    sql = f"""SELECT p.national_id FROM household.persons p
              ANTI JOIN land.ownership o
                ON o.owner_national_id = p.national_id AND o.owner_national_id = '{nid}'"""
    _only(adversary, sql, "national_id", {nid})


def test_pin_through_a_semi_join_returns_only_the_pinned_person(adversary: Adversary) -> None:
    nid = adversary.people.subject
    sql = f"""SELECT p.national_id FROM household.persons p
              SEMI JOIN land.ownership o
                ON o.owner_national_id = p.national_id AND o.owner_national_id = '{nid}'"""
    _only(adversary, sql, "national_id", {nid})


def test_pin_with_a_volatile_value_returns_only_the_pinned_person(adversary: Adversary) -> None:
    nid = adversary.people.subject
    sql = f"""SELECT national_id FROM household.persons
              WHERE national_id = CASE WHEN random() < 2 THEN '{nid}' END"""
    _only(adversary, sql, "national_id", {nid})


def test_ownership_without_an_owner_pin_is_refused(adversary: Adversary) -> None:
    adversary.refused("SELECT owner_national_id FROM land.ownership", purpose=LAND_ADMIN)


def test_ownership_pinned_only_by_parcel_is_refused(adversary: Adversary) -> None:
    sql = "SELECT owner_national_id FROM land.ownership WHERE parcel_no = '0100-0001-0000'"
    adversary.refused(sql, purpose=LAND_ADMIN)


def test_ownership_reached_through_parcels_without_a_pin_is_refused(adversary: Adversary) -> None:
    sql = """SELECT o.owner_national_id FROM land.parcels l
             JOIN land.ownership o ON o.parcel_no = l.parcel_no
             WHERE l.parcel_no = '0100-0001-0000'"""
    adversary.refused(sql, purpose=LAND_ADMIN)


@pytest.mark.parametrize(
    "shape",
    [
        "national_id = ANY([{ids}])",
        "national_id = ANY(ARRAY[{ids}])",
        "national_id = SOME([{ids}])",
        "national_id = ANY(string_split('{csv}', ','))",
    ],
    ids=["any_list", "any_array", "some_list", "any_split_string"],
)
def test_any_over_a_list_of_fifty_ids_is_not_a_one_value_pin(
    adversary: Adversary, shape: str
) -> None:
    ids = sorted(adversary.people.daan_ids)[:50]
    where = shape.format(ids=", ".join(f"'{i}'" for i in ids), csv=",".join(ids))
    sql = f"SELECT national_id, name FROM household.persons WHERE {where}"
    outcome = adversary.safe(sql)
    if not outcome.refused:
        returned = set(outcome.column("national_id"))
        assert len(returned) <= 10, (
            f"max_values evaded: {len(returned)} people in one query through = ANY(list)"
        )


def test_any_over_a_list_of_owners_cannot_list_fifty_owners_land(adversary: Adversary) -> None:
    owners = sorted(
        r[0]
        for r in adversary.truth.execute(
            "SELECT DISTINCT owner_national_id FROM land.ownership"
        ).fetchall()
    )[:50]
    values = ", ".join(f"'{i}'" for i in owners)
    sql = f"""SELECT owner_national_id, parcel_no FROM land.ownership
              WHERE owner_national_id = ANY([{values}])"""
    outcome = adversary.safe(sql, purpose=LAND_ADMIN)
    if not outcome.refused:
        returned = set(outcome.column("owner_national_id"))
        assert len(returned) <= 10, f"max_values evaded: {len(returned)} owners in one query"


def test_ten_values_per_table_reference_cannot_add_up_past_ten_per_query(
    adversary: Adversary,
) -> None:
    # The refusal text says "at most 10 values in one query"; three UNION branches with ten
    # each would look up thirty people at once.
    ids = sorted(adversary.people.daan_ids)[:30]
    branches = [
        "SELECT national_id FROM household.persons WHERE national_id IN ("
        + ", ".join(f"'{i}'" for i in ids[k : k + 10])
        + ")"
        for k in (0, 10, 20)
    ]
    outcome = adversary.safe(" UNION ALL ".join(branches))
    if not outcome.refused:
        returned = set(outcome.column("national_id"))
        assert len(returned) <= 10, f"{len(returned)} people looked up in one query"


def test_pin_on_the_preserved_side_inside_a_left_join_on_clause_is_not_a_pin(
    adversary: Adversary,
) -> None:
    # A condition on the left table inside ON of a LEFT JOIN filters nothing on the left.
    nid = adversary.people.subject
    sql = f"""SELECT p.national_id FROM household.persons p
              LEFT JOIN land.ownership o
                ON o.owner_national_id = p.national_id AND p.national_id = '{nid}'"""
    _only(adversary, sql, "national_id", {nid})


def test_pin_in_an_asof_left_join_on_clause_does_not_pin_the_preserved_side(
    adversary: Adversary,
) -> None:
    nid = adversary.people.subject
    sql = f"""SELECT p.national_id FROM household.persons p
              ASOF LEFT JOIN land.ownership o
                ON o.owner_national_id = p.national_id AND o.owner_national_id = '{nid}'
               AND o.parcel_no >= p.address"""
    _only(adversary, sql, "national_id", {nid})


def test_pin_in_the_on_clause_of_a_parenthesised_left_join_is_not_a_pin(
    adversary: Adversary,
) -> None:
    nid = adversary.people.subject
    sql = f"""SELECT p.national_id FROM household.persons p
              LEFT JOIN (land.ownership o JOIN land.parcels l ON l.parcel_no = o.parcel_no)
                ON o.owner_national_id = p.national_id AND o.owner_national_id = '{nid}'"""
    _only(adversary, sql, "national_id", {nid})


def test_recursive_cte_walking_from_the_pinned_person_is_refused(adversary: Adversary) -> None:
    nid = adversary.people.subject
    sql = f"""WITH RECURSIVE r(nid, n) AS (
                SELECT national_id, 1 FROM household.persons WHERE national_id = '{nid}'
                UNION ALL
                SELECT p.national_id, r.n + 1 FROM household.persons p
                JOIN r ON p.national_id > r.nid WHERE r.n < 3)
              SELECT nid FROM r"""
    _only(adversary, sql, "nid", {nid})

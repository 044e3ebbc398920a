"""Positive controls: what the grants of DESIGN.md §6 do allow returns exactly the ground truth.

Without these, a suite of refusals would pass against an engine that refuses everything.
"""

from __future__ import annotations

import datetime as dt

from .conftest import (
    ANALYST,
    CLERK,
    CLERK_XINYI,
    LAND_ADMIN,
    STATISTICS,
    Adversary,
    as_tuples,
    ground_truth,
)

LOOKUP = """
SELECT p.national_id, p.name, p.sex, p.birth_date, p.district, p.address,
       r.program, r.start_date, r.end_date,
       o.parcel_no, o.share
FROM household.persons AS p
LEFT JOIN welfare.recipients AS r ON r.national_id = p.national_id
LEFT JOIN land.ownership AS o ON o.owner_national_id = p.national_id
WHERE p.national_id = '{nid}'
ORDER BY r.program, o.parcel_no"""

STATISTICS_SQL = """
SELECT p.district, r.program, count(*) AS persons, sum(r.monthly_amount) AS monthly_total
FROM household.persons AS p
JOIN welfare.recipients AS r ON r.national_id = p.national_id
GROUP BY p.district, r.program
ORDER BY p.district, r.program"""

STATISTICS_TRUTH = """
SELECT p.district, r.program, count(*) AS persons, sum(r.monthly_amount) AS monthly_total
FROM household.persons AS p
JOIN welfare.recipients AS r ON r.national_id = p.national_id
GROUP BY p.district, r.program
HAVING count(DISTINCT p.national_id) >= 10 AND count(DISTINCT r.national_id) >= 10
ORDER BY p.district, r.program"""


def test_clerk_point_lookup_across_household_welfare_and_land_returns_exactly_the_ground_truth(
    adversary: Adversary,
) -> None:
    sql = LOOKUP.format(nid=adversary.people.subject)
    outcome = adversary.safe(sql, CLERK)
    assert not outcome.refused, outcome.describe()
    expected = ground_truth(adversary.truth, sql)
    assert expected, "the demo's lookup person has cases and parcels"
    assert as_tuples(outcome.table) == expected


def test_clerk_select_star_expands_to_exactly_the_granted_columns(adversary: Adversary) -> None:
    sql = f"SELECT * FROM household.persons WHERE national_id = '{adversary.people.subject}'"
    outcome = adversary.safe(sql, CLERK)
    assert not outcome.refused, outcome.describe()
    assert outcome.table.column_names == [
        "national_id",
        "name",
        "sex",
        "birth_date",
        "district",
        "address",
    ]
    expected = ground_truth(
        adversary.truth,
        "SELECT national_id, name, sex, birth_date, district, address FROM household.persons "
        "WHERE national_id = ?",
        adversary.people.subject,
    )
    assert as_tuples(outcome.table) == expected


def test_clerk_xinyi_lookup_of_a_xinyi_person_returns_the_ground_truth(
    adversary: Adversary,
) -> None:
    sql = LOOKUP.format(nid=adversary.people.xinyi_subject)
    outcome = adversary.safe(sql, CLERK_XINYI)
    assert not outcome.refused, outcome.describe()
    assert as_tuples(outcome.table) == ground_truth(adversary.truth, sql)


def test_clerk_may_read_the_parcels_of_a_pinned_owner_anywhere_in_the_city(
    adversary: Adversary,
) -> None:
    # land.ownership has no row filter by design: a citizen's land may lie anywhere.
    sql = f"""
    SELECT o.parcel_no, o.share, l.district, l.zoning
    FROM land.ownership o JOIN land.parcels l ON l.parcel_no = o.parcel_no
    WHERE o.owner_national_id = '{adversary.people.outsider}'
    ORDER BY o.parcel_no"""
    outcome = adversary.safe(sql, CLERK, LAND_ADMIN)
    assert not outcome.refused, outcome.describe()
    expected = ground_truth(adversary.truth, sql)
    assert expected
    assert as_tuples(outcome.table) == expected


def test_analyst_statistics_by_district_and_program_equal_ground_truth_without_small_groups(
    adversary: Adversary,
) -> None:
    outcome = adversary.safe(STATISTICS_SQL, ANALYST)
    assert not outcome.refused, outcome.describe()
    expected = ground_truth(adversary.truth, STATISTICS_TRUTH)
    assert expected, "some groups reach ten persons at this scale"
    assert outcome.table.column_names == ["district", "program", "persons", "monthly_total"]
    assert as_tuples(outcome.table) == expected


def test_analyst_is_told_how_many_small_groups_were_removed(adversary: Adversary) -> None:
    _, report = adversary.fed.run(STATISTICS_SQL, user=ANALYST, purpose=STATISTICS)
    (all_groups,) = ground_truth(
        adversary.truth,
        "SELECT count(*) FROM (SELECT 1 FROM household.persons p JOIN welfare.recipients r "
        "ON r.national_id = p.national_id GROUP BY p.district, r.program)",
    )[0]
    kept = len(ground_truth(adversary.truth, STATISTICS_TRUTH))
    assert report.stats.suppressed_groups == all_groups - kept > 0


def test_analyst_birth_statistics_see_only_birth_years(adversary: Adversary) -> None:
    sql = """
    SELECT district, birth_date, count(*) AS persons FROM household.persons
    GROUP BY district, birth_date ORDER BY district, birth_date"""
    outcome = adversary.safe(sql, ANALYST)
    assert not outcome.refused, outcome.describe()
    assert all(d == dt.date(d.year, 1, 1) for d in outcome.column("birth_date"))
    expected = ground_truth(
        adversary.truth,
        """SELECT district, CAST(date_trunc('year', birth_date) AS DATE) AS y, count(*)
           FROM household.persons GROUP BY ALL HAVING count(DISTINCT national_id) >= 10
           ORDER BY 1, 2""",
    )
    assert as_tuples(outcome.table) == expected

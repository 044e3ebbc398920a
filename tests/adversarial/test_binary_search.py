"""Binary search: learning a column the user may not read (ungranted, join-only, masked) one
comparison at a time, through WHERE, ORDER BY, GROUP BY, HAVING, windows, joins and CASE."""

from __future__ import annotations

import pytest

from .conftest import ANALYST, LAND_ADMIN, Adversary


def _clerk(adversary: Adversary, select: str, tail: str) -> str:
    nid = adversary.people.subject
    return f"SELECT {select} FROM household.persons p WHERE p.national_id = '{nid}' {tail}"


@pytest.mark.parametrize(
    ("select", "tail"),
    [
        ("p.name", "AND p.phone LIKE '09%'"),
        ("p.name", "AND p.phone > '0920000000'"),
        ("p.name", "AND p.household_id BETWEEN 'H0' AND 'H5'"),
        ("p.name", "AND starts_with(p.phone, '092')"),
        ("p.name", "AND p.phone IS NOT NULL"),
        ("p.name", "ORDER BY p.phone"),
        ("p.name", "GROUP BY p.name, p.household_id"),
        ("p.name, count(*)", "GROUP BY p.name HAVING max(p.phone) > '09'"),
        ("p.name, row_number() OVER (PARTITION BY p.household_id)", ""),
        ("p.name", "QUALIFY row_number() OVER (ORDER BY p.phone) = 1"),
        ("CASE WHEN p.phone LIKE '09%' THEN 1 ELSE 0 END", ""),
        ("list_transform([1], x -> p.phone)", ""),
        ("p.name", "AND length(p.phone) = 10"),
    ],
    ids=[
        "like_prefix_on_phone",
        "range_on_phone",
        "between_on_household_id",
        "starts_with_on_phone",
        "is_not_null_on_phone",
        "order_by_phone",
        "group_by_household_id",
        "having_on_phone",
        "window_partitioned_by_household_id",
        "qualify_ordered_by_phone",
        "case_probing_phone",
        "lambda_capturing_phone",
        "length_of_phone",
    ],
)
def test_search_on_ungranted_person_column_is_refused(
    adversary: Adversary, select: str, tail: str
) -> None:
    message = adversary.refused(_clerk(adversary, select, tail), codes=["access_denied"])
    assert "phone" in message or "household_id" in message, message


@pytest.mark.parametrize("spelling", ["PHONE", '"Phone"', "p.PHONE", '"p"."phone"'])
def test_other_spellings_of_phone_are_refused(adversary: Adversary, spelling: str) -> None:
    adversary.refused(_clerk(adversary, "p.name", f"AND {spelling} LIKE '09%'"))


def test_monthly_amount_threshold_search_by_clerk_is_refused(adversary: Adversary) -> None:
    sql = f"""SELECT r.program FROM household.persons p
              JOIN welfare.recipients r ON r.national_id = p.national_id
              WHERE p.national_id = '{adversary.people.subject}' AND r.monthly_amount > 5000"""
    message = adversary.refused(sql, codes=["access_denied"])
    assert "monthly_amount" in message


def test_order_by_monthly_amount_by_clerk_is_refused(adversary: Adversary) -> None:
    sql = f"""SELECT r.program FROM welfare.recipients r
              WHERE r.national_id = '{adversary.people.subject}' ORDER BY r.monthly_amount"""
    adversary.refused(sql, codes=["access_denied"])


def test_self_join_on_ungranted_household_id_is_refused(adversary: Adversary) -> None:
    # Joining on household_id would list the subject's household members.
    sql = f"""SELECT b.name FROM household.persons a
              JOIN household.persons b ON a.household_id = b.household_id
              WHERE a.national_id = '{adversary.people.subject}'
                AND b.national_id = '{adversary.people.subject}'"""
    adversary.refused(sql, codes=["access_denied"])


def test_exists_subquery_searching_phone_is_refused(adversary: Adversary) -> None:
    nid = adversary.people.subject
    sql = f"""SELECT p.name FROM household.persons p WHERE p.national_id = '{nid}'
              AND EXISTS (SELECT 1 FROM household.persons q
                          WHERE q.national_id = '{nid}' AND q.phone LIKE '09%')"""
    adversary.refused(sql, codes=["access_denied"])


def test_analyst_prefix_search_on_join_only_national_id_is_refused(adversary: Adversary) -> None:
    sql = """SELECT district, count(*) FROM welfare.recipients
             WHERE national_id LIKE 'A2%' GROUP BY district"""
    message = adversary.refused(sql, ANALYST, codes=["access_denied"])
    assert "national_id" in message


def test_analyst_range_search_on_national_id_through_the_join_is_refused(
    adversary: Adversary,
) -> None:
    sql = """SELECT r.program, count(*) FROM welfare.recipients r
             JOIN household.persons p ON p.national_id = r.national_id AND p.national_id > 'A2'
             GROUP BY r.program"""
    adversary.refused(sql, ANALYST, codes=["access_denied"])


def test_analyst_order_by_join_only_national_id_is_refused(adversary: Adversary) -> None:
    sql = """SELECT r.program, count(*) FROM welfare.recipients r
             JOIN household.persons p ON p.national_id = r.national_id
             GROUP BY r.program ORDER BY min(p.national_id)"""
    adversary.refused(sql, ANALYST)


def test_analyst_having_on_national_id_is_refused(adversary: Adversary) -> None:
    sql = """SELECT district, count(*) FROM welfare.recipients GROUP BY district
             HAVING sum(CASE WHEN national_id > 'A2' THEN 1 ELSE 0 END) > 5"""
    adversary.refused(sql, ANALYST)


def test_analyst_range_search_on_masked_birth_date_sees_only_years(
    adversary: Adversary,
) -> None:
    # Between February and December no masked birth date exists: the mask is 1 January.
    sql = """SELECT district, count(*) AS n FROM household.persons
             WHERE birth_date BETWEEN DATE '1960-02-01' AND DATE '1960-12-31'
             GROUP BY district"""
    (in_truth,) = adversary.truth.execute(
        "SELECT count(*) FROM household.persons "
        "WHERE birth_date BETWEEN DATE '1960-02-01' AND DATE '1960-12-31'"
    ).fetchone()
    assert in_truth > 0
    outcome = adversary.safe(sql, ANALYST)
    if not outcome.refused:
        assert outcome.table.num_rows == 0, outcome.describe()


def test_analyst_equality_on_a_raw_birth_date_matches_no_one(adversary: Adversary) -> None:
    day = adversary.people.subject_birth_date
    sql = f"""SELECT sex, count(*) FROM household.persons
              WHERE birth_date = DATE '{day.isoformat()}' GROUP BY sex"""
    outcome = adversary.safe(sql, ANALYST)
    if not outcome.refused:
        assert outcome.table.num_rows == 0, outcome.describe()


def test_search_on_ungranted_announced_value_of_parcels_is_refused(adversary: Adversary) -> None:
    sql = """SELECT parcel_no FROM land.parcels WHERE district = '大安區'
             AND announced_value > 50000000 ORDER BY parcel_no LIMIT 5"""
    message = adversary.refused(sql, codes=["access_denied"], purpose=LAND_ADMIN)
    assert "announced_value" in message


def test_analyst_filter_on_ungranted_name_is_refused(adversary: Adversary) -> None:
    sql = f"""SELECT sex, count(*) FROM household.persons
              WHERE name = '{adversary.people.outsider_name}' GROUP BY sex"""
    adversary.refused(sql, ANALYST, codes=["access_denied"])


def test_analyst_filter_on_ungranted_address_is_refused(adversary: Adversary) -> None:
    sql = """SELECT sex, count(*) FROM household.persons
             WHERE address LIKE '%仁愛路四段%' GROUP BY sex"""
    adversary.refused(sql, ANALYST, codes=["access_denied"])

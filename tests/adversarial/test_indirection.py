"""Indirection: CTEs, derived tables, UNION, LATERAL, correlated subqueries and name shadowing
used to reach a column or rows the grant does not allow."""

from __future__ import annotations

from .conftest import ANALYST, CLERK, Adversary


def test_cte_selecting_phone_is_refused(adversary: Adversary) -> None:
    sql = f"""WITH c AS (SELECT national_id, phone FROM household.persons
                         WHERE national_id = '{adversary.people.subject}')
              SELECT national_id FROM c"""
    adversary.refused(sql, codes=["access_denied"])


def test_derived_table_renaming_phone_is_refused(adversary: Adversary) -> None:
    sql = f"""SELECT t.x FROM (SELECT phone AS x FROM household.persons
              WHERE national_id = '{adversary.people.subject}') t"""
    adversary.refused(sql, codes=["access_denied"])


def test_union_branch_reading_phone_is_refused(adversary: Adversary) -> None:
    nid = adversary.people.subject
    sql = f"""SELECT name FROM household.persons WHERE national_id = '{nid}'
              UNION ALL SELECT phone FROM household.persons WHERE national_id = '{nid}'"""
    adversary.refused(sql, codes=["access_denied"])


def test_union_with_an_unpinned_branch_is_refused(adversary: Adversary) -> None:
    nid = adversary.people.subject
    sql = f"""SELECT name FROM household.persons WHERE national_id = '{nid}'
              UNION ALL SELECT name FROM household.persons"""
    adversary.refused(sql)


def test_lateral_subquery_reading_the_outer_rows_phone_is_refused(adversary: Adversary) -> None:
    sql = f"""SELECT p.name, l.x FROM household.persons p,
              LATERAL (SELECT p.phone AS x) l WHERE p.national_id = '{adversary.people.subject}'"""
    adversary.refused(sql)


def test_correlated_scalar_subquery_reading_phone_is_refused(adversary: Adversary) -> None:
    sql = f"""SELECT p.name, (SELECT p.household_id) AS h FROM household.persons p
              WHERE p.national_id = '{adversary.people.subject}'"""
    adversary.refused(sql)


def test_recursive_cte_over_persons_cannot_reach_phone(adversary: Adversary) -> None:
    sql = f"""WITH RECURSIVE r(n, ph) AS (
                SELECT 1, phone FROM household.persons
                WHERE national_id = '{adversary.people.subject}'
                UNION ALL SELECT n + 1, ph FROM r WHERE n < 3)
              SELECT n FROM r"""
    adversary.refused(sql, codes=["access_denied"])


def test_in_subquery_over_ungranted_household_id_is_refused(adversary: Adversary) -> None:
    nid = adversary.people.subject
    sql = f"""SELECT name FROM household.persons WHERE national_id = '{nid}'
              AND 'H1' IN (SELECT household_id FROM household.persons
                           WHERE national_id = '{nid}')"""
    adversary.refused(sql, codes=["access_denied"])


def test_correlated_subquery_over_unpinned_recipients_is_refused(adversary: Adversary) -> None:
    sql = f"""SELECT p.name, (SELECT list(r.program) FROM welfare.recipients r) AS programs
              FROM household.persons p WHERE p.national_id = '{adversary.people.subject}'"""
    adversary.refused(sql)


def test_exists_select_list_cannot_smuggle_phone(adversary: Adversary) -> None:
    nid = adversary.people.subject
    sql = f"""SELECT p.name FROM household.persons p WHERE p.national_id = '{nid}'
              AND EXISTS (SELECT q.phone FROM household.persons q
                          WHERE q.national_id = '{nid}')"""
    adversary.safe(sql)


def test_except_cannot_reveal_whether_an_outsider_exists(adversary: Adversary) -> None:
    people = adversary.people
    sql = f"""SELECT national_id FROM household.persons
              WHERE national_id IN ('{people.subject}', '{people.outsider}')
              EXCEPT SELECT national_id FROM household.persons
              WHERE national_id = '{people.subject}'"""
    outcome = adversary.safe(sql)
    if not outcome.refused:
        assert outcome.table.num_rows == 0, outcome.describe()


def test_cte_named_like_an_internal_scan_cannot_read_the_unpinned_scan(
    adversary: Adversary,
) -> None:
    # A CTE defined in one subquery makes its name "known" to the table check everywhere; out
    # of its scope the same name reaches the connection's registered scan of persons. The pin
    # here cannot be pushed (random() is not folded), so that scan holds every 大安區 person.
    nid = adversary.people.subject
    sql = f"""SELECT p.name, (SELECT list(x.name) FROM scan_1 x) AS everyone
              FROM household.persons p
              WHERE p.national_id = CASE WHEN random() < 2 THEN '{nid}' END
                AND p.name NOT IN (WITH scan_1 AS (SELECT 'x' AS d) SELECT d FROM scan_1)"""
    adversary.refused(sql, CLERK)


def test_analyst_cte_named_like_an_internal_scan_cannot_read_raw_national_ids(
    adversary: Adversary,
) -> None:
    sql = """SELECT r.district, count(*) AS n, (SELECT list(x.national_id) FROM scan_1 x) AS ids
             FROM welfare.recipients r
             WHERE r.district IN (WITH scan_1 AS (SELECT '大安區' AS d) SELECT d FROM scan_1)
             GROUP BY r.district"""
    adversary.refused(sql, ANALYST)


def test_unqualified_internal_scan_name_is_refused(adversary: Adversary) -> None:
    sql = f"""SELECT p.name, (SELECT count(*) FROM scan_1) AS n FROM household.persons p
              WHERE p.national_id = '{adversary.people.subject}'"""
    adversary.refused(sql, codes=["invalid_query"])


def test_cte_shadowing_a_catalog_table_name_does_not_change_its_grant(
    adversary: Adversary,
) -> None:
    sql = f"""WITH persons AS (SELECT 'x' AS phone)
              SELECT p.name, c.phone FROM household.persons p, persons c
              WHERE p.national_id = '{adversary.people.subject}'"""
    outcome = adversary.safe(sql)
    if not outcome.refused:
        assert outcome.column("phone") == ["x"]

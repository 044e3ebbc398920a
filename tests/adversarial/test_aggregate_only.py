"""Aggregate-only evasion by analyst_dbas: persons and recipients may be read only as count,
sum, avg, stddev and variance over groups of at least ten distinct persons, grouped by read or
masked columns; national_id is join-only; GROUPING SETS/ROLLUP/CUBE and value-revealing
aggregates are refused (DESIGN.md §4, §6)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import ANALYST, Adversary


def _groups_of_at_least_ten(adversary: Adversary, sql: str, truth_sql: str) -> Any:
    """Answered or refused; if answered, every returned group is one of the ground truth's
    groups with ten or more persons (``truth_sql`` lists those group keys)."""
    outcome = adversary.safe(sql, ANALYST)
    if not outcome.refused:
        allowed = {tuple(r) for r in adversary.truth.execute(truth_sql).fetchall()}
        keys = outcome.table.column_names[: len(next(iter(allowed), ()))]
        for row in outcome.rows():
            key = tuple(row[k] for k in keys)
            assert key in allowed, f"group {key} has fewer than ten persons: {row}"
    return outcome


def test_raw_rows_of_persons_are_refused(adversary: Adversary) -> None:
    adversary.refused("SELECT sex, district, birth_date FROM household.persons", ANALYST)


def test_raw_rows_of_recipients_are_refused(adversary: Adversary) -> None:
    adversary.refused("SELECT program, monthly_amount FROM welfare.recipients", ANALYST)


def test_distinct_raw_rows_are_refused(adversary: Adversary) -> None:
    adversary.refused(
        "SELECT DISTINCT district, program, monthly_amount FROM welfare.recipients", ANALYST
    )


def test_distinct_on_is_refused(adversary: Adversary) -> None:
    adversary.refused(
        "SELECT DISTINCT ON (district) district, monthly_amount FROM welfare.recipients",
        ANALYST,
    )


@pytest.mark.parametrize(
    "aggregate",
    [
        "min(monthly_amount)",
        "max(monthly_amount)",
        "any_value(monthly_amount)",
        "arbitrary(monthly_amount)",
        "first(monthly_amount)",
        "last(monthly_amount)",
        "list(monthly_amount)",
        "array_agg(monthly_amount)",
        "string_agg(program, ',')",
        "median(monthly_amount)",
        "quantile_cont(monthly_amount, 0.5)",
        "quantile_disc(monthly_amount, 0.99)",
        "mode(monthly_amount)",
        "arg_max(program, monthly_amount)",
        "max_by(monthly_amount, start_date)",
        "histogram(monthly_amount)",
        "approx_top_k(monthly_amount, 3)",
        "product(monthly_amount)",
        "bit_or(CAST(monthly_amount AS INT))",
        "bool_or(monthly_amount > 20000)",
        "mad(monthly_amount)",
        "kurtosis(monthly_amount)",
    ],
)
def test_value_revealing_aggregate_is_refused(adversary: Adversary, aggregate: str) -> None:
    sql = f"SELECT district, {aggregate} FROM welfare.recipients GROUP BY district"
    adversary.refused(sql, ANALYST)


def test_min_of_masked_birth_date_is_refused(adversary: Adversary) -> None:
    adversary.refused(
        "SELECT district, min(birth_date) FROM household.persons GROUP BY district", ANALYST
    )


def test_group_by_national_id_is_refused(adversary: Adversary) -> None:
    message = adversary.refused(
        "SELECT national_id, sum(monthly_amount) FROM welfare.recipients GROUP BY national_id",
        ANALYST,
    )
    assert "national_id" in message


def test_group_by_an_expression_of_national_id_is_refused(adversary: Adversary) -> None:
    sql = """SELECT substr(national_id, 1, 3) AS k, count(*) FROM welfare.recipients
             GROUP BY substr(national_id, 1, 3)"""
    adversary.refused(sql, ANALYST)


def test_national_id_compared_to_a_constant_is_refused(adversary: Adversary) -> None:
    sql = f"""SELECT program, sum(monthly_amount) FROM welfare.recipients
              WHERE national_id = '{adversary.people.subject}' GROUP BY program"""
    adversary.refused(sql, ANALYST)


def test_national_id_in_a_list_of_constants_is_refused(adversary: Adversary) -> None:
    sql = f"""SELECT r.program, sum(r.monthly_amount) FROM welfare.recipients r
              JOIN household.persons p ON p.national_id = r.national_id
              AND p.national_id IN ('{adversary.people.subject}') GROUP BY r.program"""
    adversary.refused(sql, ANALYST)


def test_count_distinct_national_id_reveals_no_one(adversary: Adversary) -> None:
    outcome = adversary.safe(
        "SELECT program, count(DISTINCT national_id) AS n FROM welfare.recipients GROUP BY program",
        ANALYST,
    )
    if not outcome.refused:
        assert all(n >= 10 for n in outcome.column("n"))


@pytest.mark.parametrize(
    "group_by",
    [
        "ROLLUP (district)",
        "ROLLUP (district, program)",
        "CUBE (district, program)",
        "GROUPING SETS ((district, program), (district))",
        "district, ROLLUP (program)",
        "district, GROUPING SETS ((program), ())",
        "district, CUBE (program)",
    ],
)
def test_grouping_sets_rollup_and_cube_are_refused(adversary: Adversary, group_by: str) -> None:
    # Within one answer, a district total minus its kept per-programme groups is exactly the
    # sum of the groups that were removed for being small.
    select = "district, " if group_by.startswith("district") else ""
    sql = (
        f"SELECT {select}count(*), sum(monthly_amount) FROM welfare.recipients GROUP BY {group_by}"
    )
    adversary.refused(sql, ANALYST)


def test_rollup_with_only_aggregates_projected_is_refused(adversary: Adversary) -> None:
    sql = """SELECT count(*), sum(monthly_amount) FROM welfare.recipients
             GROUP BY ROLLUP (district, program)"""
    adversary.refused(sql, ANALYST)


def test_grouping_function_is_refused(adversary: Adversary) -> None:
    sql = """SELECT grouping(district), count(*) FROM welfare.recipients
             GROUP BY CUBE (district)"""
    adversary.refused(sql, ANALYST)


def test_group_by_all_is_refused(adversary: Adversary) -> None:
    adversary.refused("SELECT district, count(*) FROM welfare.recipients GROUP BY ALL", ANALYST)


def test_narrowing_a_group_to_one_person_with_where_removes_the_group(
    adversary: Adversary,
) -> None:
    (top,) = adversary.truth.execute(
        "SELECT max(monthly_amount) FROM welfare.recipients"
    ).fetchone()
    (holders,) = adversary.truth.execute(
        "SELECT count(DISTINCT national_id) FROM welfare.recipients WHERE monthly_amount = ?",
        [top],
    ).fetchone()
    assert holders < 10
    sql = f"""SELECT program, sum(monthly_amount) AS total FROM welfare.recipients
              WHERE monthly_amount = {top} GROUP BY program"""
    outcome = adversary.safe(sql, ANALYST)
    if not outcome.refused:
        assert outcome.table.num_rows == 0, outcome.describe()


def test_narrowing_through_the_joined_persons_removes_the_group(adversary: Adversary) -> None:
    day = adversary.people.subject_birth_date
    sql = f"""SELECT r.program, sum(r.monthly_amount) AS total FROM welfare.recipients r
              JOIN household.persons p ON p.national_id = r.national_id
              WHERE p.district = '大安區' AND p.sex = '女'
                AND p.birth_date = DATE '{day.year}-01-01'
              GROUP BY r.program"""
    outcome = adversary.safe(sql, ANALYST)
    if not outcome.refused:
        assert outcome.table.num_rows == 0, outcome.describe()


def test_filter_clause_isolating_one_person_is_refused(adversary: Adversary) -> None:
    sql = """SELECT district, sum(monthly_amount) FILTER (WHERE program = '急難救助')
             FROM welfare.recipients GROUP BY district"""
    adversary.refused(sql, ANALYST)


def test_case_inside_sum_isolating_one_person_is_refused(adversary: Adversary) -> None:
    sql = """SELECT district,
                    sum(CASE WHEN monthly_amount > 19000 THEN monthly_amount ELSE 0 END)
             FROM welfare.recipients GROUP BY district"""
    adversary.refused(sql, ANALYST)


def test_arithmetic_inside_sum_is_refused(adversary: Adversary) -> None:
    sql = "SELECT district, sum(monthly_amount / 1) FROM welfare.recipients GROUP BY district"
    adversary.refused(sql, ANALYST)


def test_aggregation_in_a_subquery_then_reselecting_is_refused(adversary: Adversary) -> None:
    sql = """SELECT d, s FROM (SELECT district AS d, sum(monthly_amount) AS s
             FROM welfare.recipients GROUP BY district) t"""
    adversary.refused(sql, ANALYST)


def test_aggregation_in_a_cte_then_filtering_is_refused(adversary: Adversary) -> None:
    sql = """WITH g AS (SELECT district, program, count(*) AS n FROM welfare.recipients
                        GROUP BY district, program)
             SELECT * FROM g WHERE n < 10"""
    adversary.refused(sql, ANALYST)


def test_union_of_two_aggregates_is_refused(adversary: Adversary) -> None:
    sql = """SELECT district, sum(monthly_amount) FROM welfare.recipients GROUP BY district
             UNION ALL
             SELECT program, sum(monthly_amount) FROM welfare.recipients GROUP BY program"""
    adversary.refused(sql, ANALYST)


def test_window_function_over_an_aggregate_only_table_is_refused(adversary: Adversary) -> None:
    sql = """SELECT district, sum(sum(monthly_amount)) OVER () FROM welfare.recipients
             GROUP BY district"""
    adversary.refused(sql, ANALYST)


def test_correlated_subquery_listing_the_outer_groups_rows_is_refused(
    adversary: Adversary,
) -> None:
    # An aggregate whose argument is only outer references is computed by the outer query:
    # list() over the group's raw rows.
    sql = """SELECT district, count(*) AS n, (SELECT list(r.monthly_amount)) AS amounts
             FROM welfare.recipients r GROUP BY district"""
    adversary.refused(sql, ANALYST)


def test_correlated_subquery_max_of_the_outer_group_is_refused(adversary: Adversary) -> None:
    sql = """SELECT district, count(*) AS n, (SELECT max(r.monthly_amount)) AS top
             FROM welfare.recipients r GROUP BY district"""
    adversary.refused(sql, ANALYST)


def test_correlated_subquery_string_agg_of_persons_is_refused(adversary: Adversary) -> None:
    sql = """SELECT district, count(*) AS n, (SELECT string_agg(p.sex, '')) AS sexes
             FROM household.persons p GROUP BY district"""
    adversary.refused(sql, ANALYST)


def test_correlated_subquery_with_a_filter_clause_is_refused(adversary: Adversary) -> None:
    sql = """SELECT district, count(*) AS n,
                    (SELECT sum(r.monthly_amount) FILTER (WHERE r.monthly_amount > 19000)) AS s
             FROM welfare.recipients r GROUP BY district"""
    adversary.refused(sql, ANALYST)


def test_correlated_subquery_max_in_having_is_refused(adversary: Adversary) -> None:
    sql = """SELECT district, count(*) FROM welfare.recipients r GROUP BY district
             HAVING (SELECT max(r.monthly_amount)) > 20000"""
    adversary.refused(sql, ANALYST)


def test_having_cannot_reveal_a_small_group(adversary: Adversary) -> None:
    sql = """SELECT district, program, count(*) AS n FROM welfare.recipients
             GROUP BY district, program HAVING count(*) < 3"""
    outcome = adversary.safe(sql, ANALYST)
    if not outcome.refused:
        assert outcome.table.num_rows == 0, outcome.describe()


def test_fine_grained_grouping_returns_only_groups_of_ten(adversary: Adversary) -> None:
    _groups_of_at_least_ten(
        adversary,
        """SELECT district, program, monthly_amount, count(*) AS n FROM welfare.recipients
           GROUP BY district, program, monthly_amount""",
        """SELECT district, program, monthly_amount FROM welfare.recipients
           GROUP BY ALL HAVING count(DISTINCT national_id) >= 10""",
    )


def test_limit_and_offset_cannot_page_into_removed_groups(adversary: Adversary) -> None:
    _groups_of_at_least_ten(
        adversary,
        """SELECT district, program, count(*) AS n FROM welfare.recipients
           GROUP BY district, program ORDER BY n LIMIT 3 OFFSET 0""",
        """SELECT district, program FROM welfare.recipients
           GROUP BY ALL HAVING count(DISTINCT national_id) >= 10""",
    )


def test_group_by_ordinal_is_still_guarded(adversary: Adversary) -> None:
    _groups_of_at_least_ten(
        adversary,
        "SELECT district, program, count(*) FROM welfare.recipients GROUP BY 1, 2",
        """SELECT district, program FROM welfare.recipients
           GROUP BY ALL HAVING count(DISTINCT national_id) >= 10""",
    )


def test_order_by_a_column_that_is_not_a_group_key_is_refused(adversary: Adversary) -> None:
    sql = """SELECT district, count(*) FROM welfare.recipients GROUP BY district
             ORDER BY monthly_amount"""
    adversary.refused(sql, ANALYST)


def test_exists_over_recipients_in_a_subquery_is_refused(adversary: Adversary) -> None:
    sql = """SELECT p.district, count(*) FROM household.persons p
             WHERE EXISTS (SELECT 1 FROM welfare.recipients r
                           WHERE r.national_id = p.national_id AND r.monthly_amount > 19000)
             GROUP BY p.district"""
    adversary.refused(sql, ANALYST)


def test_masked_birth_date_group_keys_are_years(adversary: Adversary) -> None:
    sql = """SELECT month(birth_date) AS m, day(birth_date) AS d, count(*) AS n
             FROM household.persons GROUP BY month(birth_date), day(birth_date)"""
    outcome = adversary.safe(sql, ANALYST)
    if not outcome.refused:
        assert outcome.rows() == [{"m": 1, "d": 1, "n": 3000}]

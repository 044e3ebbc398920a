"""Filters that call functions must never widen what a grant allows. A function is not sent
below a grant's row filter (DESIGN invariant 3: the source could evaluate it on rows the grant
hides, and a failure there would tell the user they exist), the grant's row filter is still
applied at the source, a masked column's predicate still sees the masked value, and a
``year()`` predicate — rewritten into plain comparisons, which cannot fail — goes below the
row filter without letting a hidden row through.

welfare.recipients is a DuckDB file (which takes DuckDB functions exactly when no row filter
stands in the way); household.persons is SQLite."""

from __future__ import annotations

from engine import Purpose
from engine.plan import PlannedScan, QueryPlan

from .conftest import ANALYST, CLERK, DAAN, STATISTICS, WELFARE, Adversary
from .test_row_filters import _same_as_nobody


def _scan(
    adversary: Adversary,
    sql: str,
    table: str,
    user: str = CLERK,
    purpose: Purpose = WELFARE,
) -> tuple[QueryPlan, PlannedScan]:
    plan = adversary.fed.explain(sql, user, purpose)
    [scan] = [s for s in plan.scans if s.table == table]
    return plan, scan


def test_a_function_filter_stays_above_the_row_filter_of_a_duckdb_table(
    adversary: Adversary,
) -> None:
    sql = f"""SELECT program FROM welfare.recipients
              WHERE national_id = '{adversary.people.subject}' AND lower(program) <> 'none'"""
    plan, scan = _scan(adversary, sql, "recipients")
    [grant] = [n for n in scan.filters if n.policy]
    [function] = [n for n in scan.filters if "LOWER" in n.sql]
    assert grant.verdict == "exact" and DAAN in grant.sql
    assert function.verdict == "unsupported", str(plan)
    assert "row filter" in function.reason
    assert "LOWER" not in scan.statement and DAAN in scan.statement
    outcome = adversary.safe(sql)
    assert not outcome.refused, outcome.describe()


def test_a_failing_function_on_an_outsiders_case_is_never_evaluated(
    adversary: Adversary,
) -> None:
    for failing in ("CAST(program AS INT) = 1", "strptime(program, '%Y') IS NOT NULL"):
        _same_as_nobody(
            adversary,
            "SELECT program FROM welfare.recipients WHERE national_id = '{nid}' AND " + failing,
        )


def test_a_function_filter_that_is_always_true_does_not_widen_the_row_filter(
    adversary: Adversary,
) -> None:
    people = adversary.people
    sql = f"""SELECT national_id, district FROM welfare.recipients
              WHERE national_id IN ('{people.subject}', '{people.outsider}')
                AND (lower(district) <> 'x' OR coalesce(district, '') = '' OR true)"""
    outcome = adversary.safe(sql)
    if not outcome.refused:
        assert set(outcome.column("district")) <= {DAAN}
        assert set(outcome.column("national_id")) <= {people.subject}


def test_a_year_range_goes_below_the_row_filter_and_lets_no_hidden_row_through(
    adversary: Adversary,
) -> None:
    people = adversary.people
    sql = f"""SELECT national_id, district, start_date FROM welfare.recipients
              WHERE national_id IN ('{people.subject}', '{people.outsider}')
                AND year(start_date) >= 1900"""
    plan, scan = _scan(adversary, sql, "recipients")
    [ranged] = [n for n in scan.filters if "rewritten from" in n.reason]
    assert ranged.verdict == "exact", str(plan)
    assert "YEAR" not in ranged.sql and "start_date" in scan.statement
    assert any(n.policy for n in scan.filters)
    outcome = adversary.safe(sql)
    assert not outcome.refused, outcome.describe()
    assert outcome.table is not None and outcome.table.num_rows > 0
    assert set(outcome.column("district")) == {DAAN}
    assert set(outcome.column("national_id")) == {people.subject}


def test_year_of_a_sqlite_persons_row_outside_daan_is_indistinguishable(
    adversary: Adversary,
) -> None:
    _same_as_nobody(
        adversary,
        """SELECT name FROM household.persons WHERE national_id = '{nid}'
           AND year(birth_date) BETWEEN 1900 AND 2100""",
    )


def test_a_masked_columns_function_filter_is_kept_above_on_the_masked_value(
    adversary: Adversary,
) -> None:
    """The analyst sees birth_date as its year only: a function over it must compare the
    masked value, so it is never sent to the source, where the raw date lives."""
    sql = """SELECT district, count(*) AS n FROM household.persons
             WHERE month(birth_date) = 1 AND year(birth_date) >= 1950 GROUP BY district"""
    plan, scan = _scan(adversary, sql, "persons", ANALYST, STATISTICS)
    notes = [n for n in scan.filters if not n.policy]
    assert len(notes) == 2 and all(n.verdict == "unsupported" for n in notes), str(plan)
    assert all("masked" in n.reason for n in notes)
    assert "1950" not in scan.statement
    outcome = adversary.safe(sql, ANALYST, STATISTICS)
    assert not outcome.refused, outcome.describe()
    # Every masked birth date is 1 January: month() = 1 holds for all of them.
    total = adversary.truth.execute(
        "SELECT count(*) FROM household.persons WHERE year(birth_date) >= 1950"
    ).fetchone()
    assert sum(outcome.column("n")) <= total[0]


def test_a_function_over_a_join_only_column_is_still_refused(adversary: Adversary) -> None:
    adversary.refused(
        "SELECT count(*) AS n FROM household.persons WHERE lower(national_id) LIKE 'a%'",
        ANALYST,
        purpose=STATISTICS,
    )

"""What the planner offers a source for a predicate that calls a function (engine/pushdown.py),
and what EXPLAIN says about it.

``year(col) <op> N`` becomes a range of ``col``; the range must select exactly the rows the
original does under three-valued logic — NULLs, ±infinity (whose year() is NULL), 1 January and
a microsecond before it — which DuckDB, the truth, checks here for every operator. Any other
deterministic, allowlisted predicate is offered as written; a volatile one is not, and neither
is one a NULL could satisfy below an outer join. Every predicate over a single table shows in
EXPLAIN with its verdict and reason.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import duckdb
import pytest
import sqlglot

from engine import Federation
from engine.functions import ALLOWED_FUNCTIONS
from engine.pushdown import ConstantFolder, Shaped, leakproof, null_rejecting, shape_predicate

from .conftest import FULL, MAINTENANCE

TYPES = {"d": "DATE", "ts": "TIMESTAMP", "tz": "TIMESTAMPTZ", "x": "VARCHAR", "n": "INTEGER"}

DATES = [
    "NULL",
    "'infinity'",
    "'-infinity'",
    "'1995-12-31'",
    "'1996-01-01'",
    "'1996-07-01'",
    "'1996-12-31'",
    "'1997-01-01'",
    "'1999-12-31'",
    "'2000-01-01'",
    "'0990-05-05'",
    "'9999-12-31'",
]
TIMESTAMPS = [
    "NULL",
    "'infinity'",
    "'-infinity'",
    "'1995-12-31 23:59:59.999999'",
    "'1996-01-01 00:00:00'",
    "'1996-12-31 23:59:59.999'",
    "'1997-01-01 00:00:00'",
    "'1999-12-31 23:59:59.999999'",
    "'2000-01-01 00:00:00.000001'",
]


@pytest.fixture(scope="module")
def folder() -> Iterator[ConstantFolder]:
    constants = ConstantFolder()
    yield constants
    constants.close()


@pytest.fixture(scope="module")
def calendar() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    rows = itertools.zip_longest(DATES, TIMESTAMPS, fillvalue="NULL")
    values = ", ".join(f"({i}, {d}::DATE, {t}::TIMESTAMP)" for i, (d, t) in enumerate(rows))
    connection.execute(f"CREATE TABLE calendar AS SELECT * FROM (VALUES {values}) v(id, d, ts)")
    yield connection
    connection.close()


def _shape(condition: str, folder: ConstantFolder) -> Shaped | str:
    return shape_predicate(sqlglot.parse_one(condition, read="duckdb"), "t", folder, TYPES)


def _ids(connection: duckdb.DuckDBPyConnection, condition: str) -> list[int]:
    rows = connection.execute(f"SELECT id FROM calendar AS t WHERE {condition}").fetchall()
    return sorted(r[0] for r in rows)


YEAR_TERMS = ["year(t.{c})", "date_part('year', t.{c})", "extract(year FROM t.{c})"]
YEAR_PREDICATES = [
    "{y} = 1996",
    "{y} <> 1996",
    "{y} < 1997",
    "{y} <= 1996",
    "{y} > 1996",
    "{y} >= 1997",
    "1996 < {y}",
    "{y} IN (1996, 1999)",
    "{y} NOT IN (1996, 1999)",
    "{y} BETWEEN 1996 AND 1999",
    "{y} BETWEEN 1999 AND 1996",
    "{y} NOT BETWEEN 1996 AND 1999",
    "NOT ({y} = 1996)",
    "NOT ({y} >= 1997)",
    "NOT (NOT ({y} = 1996))",
    "{y} = 1996 OR t.{c} IS NULL",
    "NOT ({y} = 1996 OR {y} = 2000)",
]
CASES = [
    p.format(y=term.format(c=column), c=column)
    for column in ("d", "ts")
    for term in YEAR_TERMS
    for p in YEAR_PREDICATES
]


@pytest.mark.parametrize("condition", CASES)
def test_year_rewrite_selects_exactly_what_year_selects(
    calendar: duckdb.DuckDBPyConnection, folder: ConstantFolder, condition: str
) -> None:
    shaped = _shape(condition, folder)
    assert isinstance(shaped, Shaped), shaped
    offered = shaped.expression.sql(dialect="duckdb")
    assert _ids(calendar, offered) == _ids(calendar, condition), offered
    if shaped.rewritten:
        assert "YEAR" not in offered.upper().replace("'YEAR'", "")
        assert leakproof(shaped.expression)


@pytest.mark.parametrize(
    "condition",
    [
        "year(t.d) = 1996",
        "year(t.d) IN (1996, 1999)",
        "year(t.ts) BETWEEN 1996 AND 1999",
        "year(t.d) >= 1997",
        "NOT (year(t.d) = 1996)",
        "year(t.d) <> 1996",
    ],
)
def test_year_comparisons_are_rewritten(folder: ConstantFolder, condition: str) -> None:
    shaped = _shape(condition, folder)
    assert isinstance(shaped, Shaped) and shaped.rewritten


def test_bounded_ranges_need_no_infinity_guard(folder: ConstantFolder) -> None:
    shaped = _shape("year(t.d) = 1996", folder)
    assert isinstance(shaped, Shaped)
    assert shaped.expression.sql(dialect="duckdb") == (
        "\"d\" >= CAST('1996-01-01' AS DATE) AND \"d\" < CAST('1997-01-01' AS DATE)"
    )
    open_ended = _shape("year(t.d) >= 1996", folder)
    assert isinstance(open_ended, Shaped)
    assert "ISFINITE" in open_ended.expression.sql(dialect="duckdb")


@pytest.mark.parametrize(
    "condition",
    [
        "year(t.tz) = 1996",  # the year of a zoned time depends on the session's zone
        "year(t.x) = 1996",  # not a date column
        "year(t.d) = 1996.5",
        "year(t.d) = '1996'",
        "year(t.d) = NULL",
        "year(t.d) IN (1996, NULL)",
        "year(t.d) = 999",  # outside the 4-digit years every source writes alike
        "year(t.d) = t.n",
        "NOT (year(t.d) = 1996 OR t.n = 1)",  # a NOT over an OR: NULL and FALSE differ there
        "date_part('isoyear', t.d) = 1996",
        "month(t.d) = 1",
    ],
)
def test_what_is_not_rewritten_is_offered_as_written(
    folder: ConstantFolder, condition: str
) -> None:
    shaped = _shape(condition, folder)
    assert isinstance(shaped, Shaped), shaped
    assert not shaped.rewritten
    assert not leakproof(shaped.expression)


@pytest.mark.parametrize(
    ("condition", "offered"),
    [
        ("lower(t.x) = 'a'", "LOWER(\"x\") = 'a'"),
        ("t.x ILIKE 'a%'", "\"x\" ILIKE 'a%'"),
        ("abs(t.n) > 3", 'ABS("n") > 3'),
        ("NOT (lower(t.x) = 'a' OR t.n = 1)", 'NOT (LOWER("x") = \'a\' OR "n" = 1)'),
        ("age(t.d, t.d) > INTERVAL 1 DAY", 'AGE("d", "d") > INTERVAL \'1\' DAY'),
    ],
)
def test_deterministic_functions_are_offered_over_bare_columns(
    folder: ConstantFolder, condition: str, offered: str
) -> None:
    shaped = _shape(condition, folder)
    assert isinstance(shaped, Shaped), shaped
    assert shaped.expression.sql(dialect="duckdb") == offered


@pytest.mark.parametrize(
    "condition",
    [
        "t.x = random()::VARCHAR",
        "t.d < current_date",
        "t.ts < now()",
        "t.ts < get_current_timestamp()",
        "t.ts < current_localtimestamp()",
        "t.x = uuid()::VARCHAR",
        "t.x = gen_random_uuid()::VARCHAR",
        "age(t.d) > INTERVAL 1 DAY",  # one argument: counts from today
        "t.ts > ago(INTERVAL 1 DAY)",
        "t.d < today()",
    ],
)
def test_volatile_predicates_are_not_offered(folder: ConstantFolder, condition: str) -> None:
    why = _shape(condition, folder)
    assert not isinstance(why, Shaped)
    assert "volatile" in why


def test_every_allowlisted_function_duckdb_calls_unstable_is_never_offered(
    folder: ConstantFolder,
) -> None:
    """DuckDB's own stability column names the functions whose value can change between two
    calls; each allowlisted one is refused before any source is asked."""
    with duckdb.connect() as connection:
        unstable = {
            name
            for (name,) in connection.execute(
                "SELECT DISTINCT function_name FROM duckdb_functions()"
                " WHERE stability IN ('VOLATILE', 'CONSISTENT_WITHIN_QUERY')"
            ).fetchall()
        }
    for name in sorted(unstable & ALLOWED_FUNCTIONS):
        why = _shape(f"CAST({name}() AS VARCHAR) = t.x", folder)
        assert not isinstance(why, Shaped), name


def test_the_guard_allowlist_applies_to_offered_functions(folder: ConstantFolder) -> None:
    why = _shape("read_text(t.x) = 'a'", folder)
    assert not isinstance(why, Shaped)
    assert "not available" in why


@pytest.mark.parametrize(
    ("condition", "rejecting"),
    [
        ("lower(t.x) = 'a'", True),
        ("year(t.d) = 1996", True),
        ("t.n + 1 = 2", True),
        ("coalesce(t.x, 'a') = 'a'", False),
        ("t.x IS NOT DISTINCT FROM NULL", False),
        ("CASE WHEN t.x IS NULL THEN 1 END = 1", False),
        ("concat(t.x, 'a') = 'a'", False),
        ("ifnull(t.x, 'a') = 'a'", False),
    ],
)
def test_null_rejecting_knows_which_functions_turn_null_into_true(
    condition: str, rejecting: bool
) -> None:
    assert null_rejecting(sqlglot.parse_one(condition, read="duckdb")) is rejecting


# -- EXPLAIN on the demo (SQLite, a DuckDB file, Parquet, CSV) ------------------------------------


def _notes(fed: Federation, sql: str, table: str) -> tuple[str, list[tuple[str, str, str]]]:
    plan = fed.explain(sql, FULL, MAINTENANCE)
    [scan] = [s for s in plan.scans if s.table == table]
    return scan.statement, [(n.sql, n.verdict, n.reason) for n in scan.filters if not n.policy]


def test_explain_shows_the_verdict_for_each_kind(fed: Federation) -> None:
    sent, notes = _notes(
        fed, "SELECT name FROM household.persons WHERE lower(name) = 'x'", "persons"
    )
    assert notes == [
        (
            "LOWER(\"name\") = 'x'",
            "unsupported",
            "lower() is not pushed to SQLite: its case mapping is ASCII-only",
        )
    ]
    assert "LOWER" not in sent
    for source, table, column in (
        ("welfare", "recipients", "program"),
        ("building", "permits", "use_type"),
        ("fire", "inspections", "result"),
    ):
        sql = f"SELECT {column} FROM {source}.{table} WHERE lower({column}) = 'x'"
        sent, notes = _notes(fed, sql, table)
        [(_, verdict, reason)] = notes
        assert verdict == "exact" and "DuckDB evaluates lower()" in reason
        assert "LOWER" in sent


def test_explain_names_the_rewrite(fed: Federation) -> None:
    sent, notes = _notes(
        fed, "SELECT name FROM household.persons WHERE year(birth_date) = 1980", "persons"
    )
    [(_, verdict, reason)] = notes
    assert verdict == "exact"
    assert reason == 'applied by SQLite; rewritten from YEAR("birth_date") = 1980'
    assert "\"birth_date\" >= '1980-01-01' AND \"birth_date\" < '1981-01-01'" in sent


def test_explain_lists_filters_kept_above_for_their_own_reasons(fed: Federation) -> None:
    sql = """SELECT p.name FROM household.persons p
             LEFT JOIN welfare.recipients r ON r.national_id = p.national_id
             WHERE coalesce(r.program, 'none') = 'none' AND p.name = 'x'
               AND random() < 2 AND lower(r.program) = 'x'"""
    _, notes = _notes(fed, sql, "recipients")
    assert ("COALESCE(\"program\", 'none') = 'none'", "unsupported") in [n[:2] for n in notes]
    assert any("outer join" in reason for _, _, reason in notes)
    # lower() rejects NULL, so it may go below the outer join (to the DuckDB file, exactly)
    assert ("LOWER(\"program\") = 'x'", "exact") in [n[:2] for n in notes]


def test_an_exact_function_filter_lets_the_limit_go_to_the_source(fed: Federation) -> None:
    duck = fed.explain(
        "SELECT program FROM welfare.recipients WHERE lower(program) LIKE 'a%' LIMIT 3",
        FULL,
        MAINTENANCE,
    )
    assert duck.scans[0].request.limit == 3
    lite = fed.explain(
        "SELECT name FROM household.persons WHERE lower(name) LIKE 'a%' LIMIT 3",
        FULL,
        MAINTENANCE,
    )
    assert lite.scans[0].request.limit is None


def test_answers_match_local_copies(fed: Federation, truth: duckdb.DuckDBPyConnection) -> None:
    for sql in (
        "SELECT national_id FROM household.persons WHERE year(birth_date) IN (1950, 1980)",
        "SELECT case_id FROM welfare.recipients"
        " WHERE month(start_date) = 2 AND upper(program) > 'L'",
        "SELECT permit_no FROM building.permits WHERE year(issued_on) >= 2015 AND floors % 2 = 0",
        "SELECT inspection_id FROM fire.inspections WHERE lower(result) <> result",
    ):
        got = sorted(fed.query(sql, FULL, MAINTENANCE).column(0).to_pylist())
        want = sorted(r[0] for r in truth.execute(sql).fetchall())
        assert got == want, sql

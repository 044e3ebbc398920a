"""Filters that call functions, on every source kind (the conformance suite's style): what the
planner offers for each shape, what each kind says about it, and — the truth being DuckDB on a
local copy of the table typed as the kind declares it (DESIGN invariant 8) — that an EXACT
verdict scans exactly DuckDB's rows.

``year(col) <op> N`` reaches every kind as a range of ``col`` (engine/pushdown.py), so SQLite,
PostgreSQL and MySQL take it; the kinds DuckDB reads (DuckDB files, Parquet, CSV) take any
deterministic DuckDB expression as it is; the servers and SQLite refuse the rest with the reason
EXPLAIN shows. The table (conftest ``EDGES``) holds non-ASCII text whose case mapping differs
between engines, NULLs and '', dates on both sides of 1 January and timestamps a millisecond
before midnight.

The second half runs the same shapes through a Federation over each kind: the answer is
DuckDB's, EXPLAIN names each filter with its verdict, and a grant's row filter still bounds
what comes back when the query's filters call functions.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
import sqlglot
from sqlglot import exp

from adapters import Pushdown, ScanColumn, ScanRequest
from engine import Federation, Purpose
from engine.catalog import sql_type
from engine.errors import AccessDenied, InvalidQuery
from engine.pushdown import ConstantFolder, Shaped, shape_predicate

E, U = Pushdown.EXACT, Pushdown.UNSUPPORTED
BuiltSource = Any  # conftest.BuiltSource; test modules cannot import conftest under importlib
DUCKDB_READ = ("duckdb", "parquet", "csv")
SERVERS_AND_SQLITE = ("sqlite", "postgres", "mysql")


@dataclass(frozen=True)
class Shape:
    condition: str  # over the columns of alias t
    verdict: Pushdown  # what most kinds say
    per_kind: dict[str, Pushdown] = field(default_factory=dict)
    reason: str = ""  # a phrase the reason must hold where the verdict is UNSUPPORTED
    rewritten: bool = False  # offered as a range of the column

    def expected(self, kind: str) -> Pushdown:
        return self.per_kind.get(kind, self.verdict)


def everywhere(condition: str, *, rewritten: bool = False, **per_kind: Pushdown) -> Shape:
    return Shape(condition, E, per_kind, rewritten=rewritten)


def duckdb_read(condition: str, reason: str = "") -> Shape:
    """Taken exactly by the kinds DuckDB reads, refused by SQLite and the servers."""
    return Shape(condition, U, dict.fromkeys(DUCKDB_READ, E), reason)


def nowhere(condition: str, reason: str) -> Shape:
    return Shape(condition, U, {}, reason)


SHAPES = [
    # year() against integers becomes a range of the column, exact and indexable everywhere
    # (SQLite keeps timestamps as free-form text, so not for `seen` there)
    everywhere("year(t.born) = 1996", rewritten=True),
    everywhere("1996 = year(t.born)", rewritten=True),
    everywhere("year(t.born) IN (1996, 2000)", rewritten=True),
    everywhere("year(t.born) BETWEEN 1996 AND 1999", rewritten=True),
    everywhere("year(t.born) BETWEEN 1999 AND 1996", rewritten=True),
    everywhere("year(t.born) >= 1997", rewritten=True),
    everywhere("year(t.born) < 1996", rewritten=True),
    everywhere("year(t.born) <= 1996", rewritten=True),
    everywhere("year(t.born) > 1996", rewritten=True),
    everywhere("year(t.born) <> 1996", rewritten=True),
    everywhere("NOT (year(t.born) = 1996)", rewritten=True),
    everywhere("year(t.born) NOT IN (1996, 1997)", rewritten=True),
    everywhere("NOT year(t.born) BETWEEN 1996 AND 1999", rewritten=True),
    everywhere("date_part('year', t.born) = 2000", rewritten=True),
    everywhere("extract(year FROM t.born) = 1995 + 1", rewritten=True),
    everywhere("year(t.born) = 1996 OR t.qty < 0", rewritten=True),
    everywhere("year(t.seen) = 1996", rewritten=True, sqlite=U),
    everywhere("year(t.seen) >= 2000", rewritten=True, sqlite=U),
    everywhere("date_part('yr', t.seen) < 1997", rewritten=True, sqlite=U),
    everywhere("extract(year FROM t.seen) BETWEEN 1996 AND 1999", rewritten=True, sqlite=U),
    # year() the rewrite does not cover: a function filter
    duckdb_read("year(t.born) IN (1996, NULL)", "year() is not pushed"),
    duckdb_read("year(t.born) = 1996.0", "year() is not pushed"),
    duckdb_read("NOT (year(t.born) = 1996 OR t.qty = 1)", "year() is not pushed"),
    duckdb_read("year(t.born) = 999", "year() is not pushed"),
    # abs() of a signed number means the same in every kind
    everywhere("abs(t.qty) > 4"),
    everywhere("abs(t.amount) <= 1.1"),
    # case mapping differs beyond ASCII: only where DuckDB evaluates it
    duckdb_read("lower(t.name) = 'clerk#000000951'", "case mapping"),
    duckdb_read("upper(t.name) = 'ÉMILE'", "case mapping"),
    duckdb_read("lower(t.name) IN ('straße', 'émile', 'i̇stanbul', 'istanbul')", "case mapping"),
    duckdb_read("upper(t.name) LIKE 'CLERK%'", "case mapping"),
    duckdb_read("lower(t.name) = 'σίσυφος'", "case mapping"),
    duckdb_read("lower(t.name) IS NULL", "case mapping"),
    duckdb_read("NOT (lower(t.name) = 'clerk#000000951')", "case mapping"),
    # other DuckDB functions and operators
    duckdb_read("length(t.name) = 6", "length() is not pushed"),
    duckdb_read("month(t.born) = 12", "month() is not pushed"),
    duckdb_read("date_trunc('year', t.seen) = TIMESTAMP '1996-01-01'"),
    duckdb_read("strftime(t.seen, '%H:%M:%S.%g') = '23:59:59.999'"),
    duckdb_read("t.name ILIKE 'clerk%'", "ILIKE is not pushed"),
    duckdb_read("coalesce(t.name, 'none') = 'none'"),
    duckdb_read("t.qty + 1 = 0", "arithmetic is not pushed"),
    duckdb_read("TRY_CAST(t.amount AS INTEGER) = 13"),
    duckdb_read("t.born + INTERVAL 1 DAY = DATE '1997-01-01'"),
    # never pushed: the source could fail where the query would not, or the value changes
    nowhere("CAST(t.name AS INTEGER) = 1", "CAST"),
    nowhere("random() <= 1 + abs(t.qty)", "volatile"),  # true wherever qty is not NULL
    nowhere("t.born < current_date - INTERVAL 100 YEAR", "volatile"),
]
IDS = [s.condition for s in SHAPES]


def _bare(condition: str) -> str:
    return condition.replace("t.", "")


def truth(source: BuiltSource, condition: str) -> list[int]:
    """The ids DuckDB selects from a local copy, typed as the kind declares the table."""
    with duckdb.connect() as connection:
        connection.register("edges", source.expected)
        rows = connection.execute(f"SELECT id FROM edges AS t WHERE {condition}").fetchall()
    return sorted(r[0] for r in rows)


@pytest.fixture(scope="module")
def folder() -> Iterator[ConstantFolder]:
    constants = ConstantFolder()
    yield constants
    constants.close()


def offered(source: BuiltSource, condition: str, folder: ConstantFolder) -> Shaped | str:
    """What the planner offers the source for ``condition`` (or why it offers nothing)."""
    node = sqlglot.parse_one(condition, read="duckdb")
    types = {f.name: sql_type(f.type) for f in source.adapter.schema(source.table)}
    return shape_predicate(node, "t", folder, types)


@pytest.mark.parametrize("function_shape", SHAPES, ids=IDS)
def test_function_filter_verdict_and_rows(
    edges: BuiltSource, folder: ConstantFolder, function_shape: Shape
) -> None:
    expected = function_shape.expected(edges.kind)
    shaped = offered(edges, function_shape.condition, folder)
    if not isinstance(shaped, Shaped):
        assert expected is U
        assert function_shape.reason in shaped
        return
    assert shaped.rewritten is function_shape.rewritten
    [verdict] = edges.adapter.judge_filters(edges.table, [shaped.expression])
    assert verdict.pushdown is expected, verdict.reason
    assert verdict.reason
    id_column = (ScanColumn("id", exp.column("id"), edges.types["id"]),)
    request = ScanRequest(edges.table, id_column, (shaped.expression,))
    if expected is U:
        assert function_shape.reason in verdict.reason
        with pytest.raises(ValueError):
            edges.adapter.render(request)
        return
    got = sorted(edges.adapter.scan(request).read_all().column("id").to_pylist())
    assert got == truth(edges, function_shape.condition), edges.adapter.render(request)


def test_year_is_sent_as_a_range_the_kind_can_index(edges: BuiltSource) -> None:
    """The statement each kind receives for year(born) = 1996 compares the column itself."""
    folder = ConstantFolder()
    try:
        shaped = offered(edges, "year(t.born) = 1996", folder)
    finally:
        folder.close()
    assert isinstance(shaped, Shaped)
    id_column = (ScanColumn("id", exp.column("id"), edges.types["id"]),)
    sent = edges.adapter.render(ScanRequest(edges.table, id_column, (shaped.expression,)))
    where = sent.split(" WHERE ", 1)[1].lower()
    assert "year" not in where
    assert "1996-01-01" in where and "1997-01-01" in where


def test_a_kind_that_changes_a_column_type_gets_no_function_filter(tmp_path: Path) -> None:
    """An ENUM reaches the query as VARCHAR, a UUID as VARCHAR: a function could see another
    value at the source than in the query, so the DuckDB file does not get the filter."""
    from adapters import SourceSettings, open_source

    path = tmp_path / "typed.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE TYPE mood AS ENUM ('sad', 'ok')")
        connection.execute("CREATE TABLE t (id BIGINT, m mood, u UUID, v VARCHAR)")
        connection.execute("INSERT INTO t VALUES (1, 'ok', uuid(), 'x')")
    adapter = open_source(SourceSettings(name="typed", kind="duckdb", path=str(path)))
    try:
        filters = [sqlglot.parse_one(f) for f in ("lower(m) = 'ok'", "lower(u) = 'a'")]
        filters.append(sqlglot.parse_one("lower(v) = 'x'"))
        verdicts = adapter.judge_filters("t", filters)
    finally:
        adapter.close()
    assert [v.pushdown for v in verdicts] == [U, U, E]
    assert "ENUM" in verdicts[0].reason and "UUID" in verdicts[1].reason


# -- through a Federation: the answer, EXPLAIN, and a grant's row filter -----------------------

USER, LIMITED, CASE_FILTERED = "analyst", "limited", "case_filtered"
PURPOSE = Purpose(case_name="function pushdown", purpose="testing", case_no="F-1")
ROW_FILTER = "qty >= 0"
CASE_ROW_FILTER = "lower(name) LIKE 'clerk%'"


def _config(source: BuiltSource, directory: Path) -> Path:
    q = json.dumps  # a JSON string is a valid TOML basic string
    settings = source.settings
    location = f"path = {q(settings.path)}" if settings.path else f"dsn = {q(settings.dsn)}"
    table = f"src.{source.table}"
    text = f"""
[federation]
data_dir = "var"

[[agencies]]
code = "T"
name = "Test"

[sources.src]
kind = "{source.kind}"
{location}
owner = "T"
timeout_s = 20

[[purposes]]
code = "testing"
name = "Testing"

[[users]]
name = "{USER}"
agency = "T"
roles = ["user"]

[[users]]
name = "{LIMITED}"
agency = "T"
roles = ["user"]

[[users]]
name = "{CASE_FILTERED}"
agency = "T"
roles = ["user"]

[[grants]]
user = "{CASE_FILTERED}"
table = "{table}"
columns = "*"
row_filter = "{CASE_ROW_FILTER}"
purposes = ["testing"]

[[grants]]
user = "{USER}"
table = "{table}"
columns = "*"
purposes = ["testing"]

[[grants]]
user = "{LIMITED}"
table = "{table}"
columns = "*"
row_filter = "{ROW_FILTER}"
purposes = ["testing"]
"""
    path = directory / "civicfed.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def federation(
    edges: BuiltSource, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Federation]:
    directory = tmp_path_factory.mktemp(f"federation_{edges.kind}")
    fed = Federation.open(_config(edges, directory))
    yield fed
    fed.close()


def _query(source: BuiltSource, condition: str) -> str:
    return f"SELECT id FROM src.{source.table} AS t WHERE {condition}"


@pytest.mark.parametrize("function_shape", SHAPES, ids=IDS)
def test_federated_answer_and_explain(
    edges: BuiltSource, federation: Federation, function_shape: Shape
) -> None:
    sql = _query(edges, function_shape.condition)
    plan = federation.explain(sql, USER, PURPOSE)
    [scan] = plan.scans
    [note] = scan.filters  # every filter over the scan is listed, pushed or kept above
    expected = function_shape.expected(edges.kind)
    assert note.verdict == expected.value, str(plan)
    assert note.reason, str(plan)
    if function_shape.rewritten and expected is E:
        assert "rewritten from" in note.reason
    if expected is U:
        assert function_shape.reason in note.reason
        assert "kept above" in str(plan)
    assert_same_answer(federation, sql, USER, edges, function_shape.condition)


def assert_same_answer(
    federation: Federation, sql: str, user: str, source: BuiltSource, condition: str
) -> None:
    """The federated ids are DuckDB's; where DuckDB fails (a CAST that cannot convert), the
    query fails as an invalid query — not as an unavailable source, which a failure at the
    source would read as."""
    try:
        expected = truth(source, condition)
    except duckdb.ConversionException:
        with pytest.raises(InvalidQuery):
            federation.query(sql, user, PURPOSE)
        return
    got = sorted(federation.query(sql, user, PURPOSE).column("id").to_pylist())
    assert got == expected


@pytest.mark.parametrize("function_shape", SHAPES, ids=IDS)
def test_row_filter_still_bounds_function_filters(
    edges: BuiltSource, federation: Federation, function_shape: Shape
) -> None:
    """Under a grant's row filter a function filter is never sent below it (DESIGN invariant
    3): it stays above, the year() ranges (plain comparisons) still go down, and the answer is
    what the query asks within what the grant allows — never a row beyond it."""
    sql = _query(edges, function_shape.condition)
    plan = federation.explain(sql, LIMITED, PURPOSE)
    [scan] = plan.scans
    policy = [n for n in scan.filters if n.policy]
    [note] = [n for n in scan.filters if not n.policy]
    assert len(policy) == 1 and policy[0].verdict == "exact"
    if function_shape.rewritten:
        assert note.verdict == function_shape.expected(edges.kind).value, str(plan)
    else:
        assert note.verdict == "unsupported", str(plan)
    bounded = f"({function_shape.condition}) AND {ROW_FILTER}"
    assert_same_answer(federation, sql, LIMITED, edges, bounded)
    if "CAST(" not in function_shape.condition:
        got = federation.query(sql, LIMITED, PURPOSE).column("id").to_pylist()
        assert set(got) <= set(truth(edges, ROW_FILTER))


def test_function_filter_below_no_row_filter_keeps_the_limit_and_aggregate_exact(
    edges: BuiltSource, federation: Federation
) -> None:
    """An exact function filter lets the source aggregate; a refused one keeps the rows coming
    up and DuckDB aggregates them: both give DuckDB's answer."""
    condition = "lower(t.name) = 'clerk#000000951'"
    sql = f"SELECT count(*) AS n FROM src.{edges.table} AS t WHERE {condition}"
    plan = federation.explain(sql, USER, PURPOSE)
    pushed_aggregate = bool(plan.scans[0].request.group_by) or "agg_1" in plan.scans[0].columns
    assert pushed_aggregate is (edges.kind in DUCKDB_READ), str(plan)
    got = federation.query(sql, USER, PURPOSE).column("n").to_pylist()
    assert got == [len(truth(edges, condition))]


def test_arrow_types_of_the_answer_do_not_depend_on_pushing(
    edges: BuiltSource, federation: Federation
) -> None:
    sql = f"SELECT id, name, born, seen FROM src.{edges.table} AS t WHERE year(t.born) = 1996"
    table = federation.query(sql, USER, PURPOSE)
    assert table.schema.field("born").type == pa.date32()
    assert sorted(table.column("id").to_pylist()) == truth(edges, "year(t.born) = 1996")


def test_a_row_filter_that_calls_a_function_is_applied_only_where_it_is_exact(
    edges: BuiltSource, federation: Federation
) -> None:
    """A grant's row filter must be applied at the source exactly (DESIGN invariant 2): the
    kinds DuckDB reads apply lower() as the query would; the others cannot, so the query is
    refused rather than answered with another case mapping."""
    sql = f"SELECT id FROM src.{edges.table} AS t"
    if edges.kind not in DUCKDB_READ:
        with pytest.raises(AccessDenied, match="cannot apply exactly"):
            federation.query(sql, CASE_FILTERED, PURPOSE)
        return
    plan = federation.explain(sql, CASE_FILTERED, PURPOSE)
    assert "LOWER" in plan.scans[0].statement
    got = sorted(federation.query(sql, CASE_FILTERED, PURPOSE).column("id").to_pylist())
    assert got == truth(edges, CASE_ROW_FILTER) == [1, 2, 3, 10]

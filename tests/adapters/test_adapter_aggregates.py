"""Aggregates computed at the source, for every source kind: each case is a SELECT over the
fixture table; the truth is DuckDB running it over a local copy (the table as the kind declares
it), whose output types are the types the request asks for, as the engine asks. An EXACT verdict
must return exactly DuckDB's rows with exactly its Arrow types; an UNSUPPORTED one must say why
and refuse to render."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa
import pytest
import sqlglot
from sqlglot import exp

from adapters import Pushdown, ScanColumn, ScanRequest

E, U = Pushdown.EXACT, Pushdown.UNSUPPORTED
# The fixtures' BuiltSource (conftest.py); test modules cannot import conftest under importlib.
BuiltSource = Any


@dataclass(frozen=True)
class AggregateCase:
    select: tuple[str, ...]  # output expressions, named agg_1, agg_2, … unless a group key
    group_by: tuple[str, ...] = ()
    where: tuple[str, ...] = ()
    verdict: Pushdown = E
    per_kind: dict[str, Pushdown] = field(default_factory=dict)

    def expected(self, kind: str) -> Pushdown:
        return self.per_kind.get(kind, self.verdict)

    def names(self) -> list[str]:
        return [
            item if item in self.group_by else f"agg_{i}"
            for i, item in enumerate(self.select, start=1)
        ]

    def sql(self, table: str) -> str:
        items = ", ".join(
            f'{item} AS "{name}"' for item, name in zip(self.select, self.names(), strict=True)
        )
        text = f"SELECT {items} FROM {table}"
        if self.where:
            text += " WHERE " + " AND ".join(f"({w})" for w in self.where)
        if self.group_by:
            text += " GROUP BY " + ", ".join(self.group_by)
        return text

    def label(self) -> str:
        return self.sql("t").removeprefix("SELECT ").replace('"', "")


def agg(
    *select: str,
    group_by: tuple[str, ...] = (),
    where: tuple[str, ...] = (),
    verdict: Pushdown = E,
    **per_kind: Pushdown,
) -> AggregateCase:
    return AggregateCase(select, group_by, where, verdict, per_kind)


CASES = [
    # Every kind: counts, and SUM / MIN / MAX of integers, grouped or not.
    agg("COUNT(*)", "COUNT(note)", "SUM(qty)", "MIN(qty)", "MAX(id)"),
    agg("id", "SUM(qty)", "COUNT(*)", group_by=("id",), where=("id <= 5",)),
    agg("born", "COUNT(*)", "MAX(qty)", group_by=("born",)),
    agg("COUNT(*)", "SUM(qty)", "MAX(id)", "COUNT(name)", where=("id < 0",)),  # no rows
    agg("qty", "COUNT(*)", group_by=("qty",), where=("qty IS NOT NULL",)),
    # Decimals: exact in PostgreSQL and MySQL; REAL in SQLite.
    agg("SUM(amount)", "MIN(amount)", "MAX(amount)", "COUNT(amount)", sqlite=U),
    agg("SUM(amount * (1 - amount))", "SUM(amount * qty + 1)", "SUM(-amount)", sqlite=U),
    agg("SUM(amount + 0.005)", where=("id > 2",), sqlite=U),
    agg("SUM(qty * 2 - id)", sqlite=U),  # SQLite: integer overflow in arithmetic turns REAL
    agg("COUNT(*)", "SUM(amount)", where=("id < 0",), sqlite=U),  # SUM of no rows is NULL
    # Text: grouped and ordered by bytes in PostgreSQL ("C"), SQLite (BINARY) and DuckDB.
    agg("district", "COUNT(*)", "SUM(qty)", group_by=("district",), mysql=U),
    agg("name", "COUNT(*)", group_by=("name",), mysql=U),  # 'abc', 'ABC', 'abc ' apart
    agg("MIN(name)", "MAX(name)", "MIN(district)", mysql=U, sqlite=U),
    agg("district", "MAX(amount)", group_by=("district",), mysql=U, sqlite=U),
    # Dates and timestamps.
    agg("MIN(born)", "MAX(born)", "MIN(seen)", sqlite=U),
    # Booleans and doubles: only where DuckDB reads them.
    agg("active", "COUNT(*)", group_by=("active",), mysql=U, sqlite=U),
    agg("SUM(score)", "MAX(score)", postgres=U, mysql=U, sqlite=U),
    agg("score", "COUNT(*)", group_by=("score",), postgres=U, mysql=U, sqlite=U),
    # Shapes no source computes.
    agg("AVG(qty)", verdict=U),
    agg("COUNT(DISTINCT qty)", verdict=U),
    agg("SUM(LENGTH(name))", verdict=U),
    agg("MIN(qty + 1)", verdict=U),
]


def _request(source: BuiltSource, case: AggregateCase, types: pa.Schema) -> ScanRequest:
    columns = tuple(
        ScanColumn(name, sqlglot.parse_one(item, read="duckdb"), types.field(name).type)
        for item, name in zip(case.select, case.names(), strict=True)
    )
    return ScanRequest(
        source.table,
        columns,
        tuple(sqlglot.parse_one(w, read="duckdb") for w in case.where),
        group_by=tuple(exp.column(key) for key in case.group_by),
    )


def _truth(source: BuiltSource, case: AggregateCase) -> pa.Table:
    with duckdb.connect() as connection:
        connection.register("people", source.expected)
        return connection.execute(case.sql("people")).to_arrow_table()


def _rows(table: pa.Table) -> list[str]:
    return sorted(map(repr, table.to_pylist()))


@pytest.mark.parametrize("case", CASES, ids=[c.label() for c in CASES])
def test_aggregate_verdict_types_and_rows(people: BuiltSource, case: AggregateCase) -> None:
    expected = case.expected(people.kind)
    truth = _truth(people, case)
    request = _request(people, case, truth.schema)
    verdict = people.adapter.judge_aggregates(people.table, request.columns, request.group_by)
    assert verdict.pushdown is expected, verdict.reason
    assert verdict.reason  # EXPLAIN shows it
    if expected is U:
        with pytest.raises(ValueError, match="cannot be pushed"):
            people.adapter.render(request)
        return
    got = people.adapter.scan(request).read_all()
    assert got.schema.equals(truth.schema), (got.schema, truth.schema)
    assert _rows(got) == _rows(truth)


def test_empty_input_gives_one_row_of_null_sums_and_zero_counts(people: BuiltSource) -> None:
    case = agg("COUNT(*)", "SUM(qty)", "MIN(qty)", where=("id < 0",))
    request = _request(people, case, _truth(people, case).schema)
    assert people.adapter.judge_aggregates(people.table, request.columns, ()).pushdown is E
    rows = people.adapter.scan(request).read_all().to_pylist()
    assert rows == [{"agg_1": 0, "agg_2": None, "agg_3": None}]


def test_a_type_other_than_duckdbs_is_refused(people: BuiltSource) -> None:
    """SUM of an integer is HUGEINT in DuckDB (decimal128(38,0) in Arrow), never int64."""
    columns = (ScanColumn("agg_1", sqlglot.parse_one("SUM(qty)"), pa.int64()),)
    verdict = people.adapter.judge_aggregates(people.table, columns, ())
    assert verdict.pushdown is U and "decimal128(38, 0)" in verdict.reason


def test_render_groups_and_names_the_aggregates(people: BuiltSource) -> None:
    case = agg("id", "COUNT(*)", group_by=("id",), where=("id <= 3",))
    request = _request(people, case, _truth(people, case).schema)
    rendered = people.adapter.render(request)
    assert "GROUP BY" in rendered and "agg_2" in rendered
    assert "COUNT(*)" in rendered

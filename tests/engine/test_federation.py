"""End-to-end behaviour of Federation.query / explain over the embedded demo sources."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from audit import MemorySink
from engine import Federation, Purpose
from engine.errors import AccessDenied, InvalidQuery, PurposeRequired

from .conftest import FULL, MAINTENANCE, STATISTICS


def rows(table: pa.Table) -> list[tuple[Any, ...]]:
    return [tuple(r.values()) for r in table.to_pylist()]


def same_rows(ours: pa.Table, expected: list[tuple[Any, ...]], ordered: bool = False) -> None:
    got = rows(ours)
    if ordered:
        assert got == expected
    else:
        assert sorted(got, key=repr) == sorted(expected, key=repr)


LOOKUP = """
SELECT p.national_id, p.name, p.birth_date, r.program, r.monthly_amount, o.parcel_no, o.share
FROM household.persons AS p
LEFT JOIN welfare.recipients AS r ON r.national_id = p.national_id
LEFT JOIN land.ownership AS o ON o.owner_national_id = p.national_id
WHERE p.national_id = '{nid}'
"""


def test_point_lookup_across_three_sources_matches_local_copies(
    fed: Federation, truth: duckdb.DuckDBPyConnection, facts: dict[str, Any]
) -> None:
    sql = LOOKUP.format(nid=facts["lookup_person"]["national_id"])
    result = fed.query(sql, FULL, MAINTENANCE)
    assert result.num_rows >= 1
    same_rows(result, truth.execute(sql).fetchall())


def test_pin_reaches_every_source_of_a_point_lookup(fed: Federation, facts: dict[str, Any]) -> None:
    nid = facts["lookup_person"]["national_id"]
    plan = fed.explain(LOOKUP.format(nid=nid), FULL, MAINTENANCE)
    assert len(plan.scans) == 3
    for scan in plan.scans:
        assert nid in scan.statement, scan.statement
        assert any(nid in f.sql and f.verdict != "unsupported" for f in scan.filters)
    carried = [f for s in plan.scans for f in s.filters if f.derived]
    assert len(carried) == 2
    text = str(plan)
    assert "carried over a join" in text and "sent:" in text


STATISTICS_QUERIES = [
    """SELECT p.district, r.program, count(*) AS persons, sum(r.monthly_amount) AS total
       FROM household.persons AS p JOIN welfare.recipients AS r ON r.national_id = p.national_id
       GROUP BY p.district, r.program""",
    """SELECT p.sex, year(p.birth_date) // 10 * 10 AS decade, count(*) AS n
       FROM household.persons AS p GROUP BY ALL HAVING count(*) > 5""",
    """SELECT b.use_type, count(DISTINCT f.inspection_id) AS inspections, avg(f.violations) AS v
       FROM building.permits AS b JOIN fire.inspections AS f ON f.address = b.address
       WHERE f.result <> '合格' GROUP BY b.use_type""",
    """WITH owners AS (SELECT owner_national_id, sum(share) AS shares
                       FROM land.ownership GROUP BY owner_national_id)
       SELECT p.district, count(*) AS owners, max(o.shares) AS top
       FROM owners AS o JOIN household.persons AS p ON p.national_id = o.owner_national_id
       GROUP BY p.district""",
    """SELECT district, name, birth_date FROM household.persons
       WHERE birth_date BETWEEN DATE '1990-01-01' AND DATE '1990-01-01' + INTERVAL 400 DAY
         AND name LIKE '陳%' AND district IN ('大安區', '信義區')""",
    """SELECT district FROM household.persons WHERE phone IS NULL
       UNION SELECT district FROM land.parcels WHERE area_m2 > 500""",
    """SELECT p.district, count(*) FILTER (WHERE r.national_id IS NULL) AS without_welfare
       FROM household.persons p LEFT JOIN welfare.recipients r ON r.national_id = p.national_id
       AND r.program = '急難救助' GROUP BY 1""",
    """SELECT national_id, rank() OVER (PARTITION BY district ORDER BY birth_date, national_id)
       FROM household.persons WHERE district = '文山區'""",
    """SELECT h.district, count(*) FROM household.households h
       WHERE EXISTS (SELECT 1 FROM household.persons p WHERE p.household_id = h.household_id
                     AND p.sex = '女') GROUP BY 1""",
]


@pytest.mark.parametrize("sql", STATISTICS_QUERIES)
def test_federated_result_equals_duckdb_on_local_copies(
    fed: Federation, truth: duckdb.DuckDBPyConnection, sql: str
) -> None:
    ours = fed.query(sql, FULL, STATISTICS)
    expected = truth.execute(sql)
    assert ours.column_names == [d[0] for d in expected.description]
    same_rows(ours, expected.fetchall())


def test_limit_is_pushed_when_nothing_above_drops_rows(fed: Federation) -> None:
    plan = fed.explain(
        "SELECT name FROM household.persons WHERE district = '大安區' LIMIT 5", FULL, MAINTENANCE
    )
    assert plan.scans[0].request.limit == 5
    plan = fed.explain(
        "SELECT name FROM household.persons ORDER BY name LIMIT 5", FULL, MAINTENANCE
    )
    assert plan.scans[0].request.limit is None
    assert fed.query("SELECT name FROM household.persons LIMIT 5", FULL, MAINTENANCE).num_rows == 5


def test_select_star_expands_to_the_table_columns(fed: Federation) -> None:
    table = fed.query("SELECT * FROM land.parcels LIMIT 1", FULL, MAINTENANCE)
    assert table.column_names == [
        "parcel_no",
        "district",
        "section",
        "area_m2",
        "zoning",
        "announced_value",
    ]


def test_count_star_reads_no_columns(fed: Federation, truth: duckdb.DuckDBPyConnection) -> None:
    sql = "SELECT count(*) FROM household.persons"
    plan = fed.explain(sql, FULL, MAINTENANCE)
    assert "name" not in plan.scans[0].statement
    assert rows(fed.query(sql, FULL, MAINTENANCE)) == truth.execute(sql).fetchall()


def test_recursive_cte_over_a_source_is_materialised(fed: Federation) -> None:
    sql = """WITH RECURSIVE r(n) AS (
               SELECT 1 UNION ALL
               SELECT n + 1 FROM r WHERE n < (SELECT count(DISTINCT district) FROM land.parcels))
             SELECT max(n) FROM r"""
    assert rows(fed.query(sql, FULL, STATISTICS)) == [(12,)]


def test_self_join_reads_the_table_twice(fed: Federation, truth: duckdb.DuckDBPyConnection) -> None:
    sql = """SELECT a.household_id, count(*) FROM household.persons a
             JOIN household.persons b ON a.household_id = b.household_id
             WHERE a.national_id < b.national_id GROUP BY 1"""
    same_rows(fed.query(sql, FULL, STATISTICS), truth.execute(sql).fetchall())


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            "SELECT * FROM household.nothing",
            "table household.nothing does not exist or is not granted to you",
        ),
        ("SELECT * FROM nowhere.persons", "table nowhere.persons does not exist"),
        ("SELECT * FROM persons", "does not exist or is not granted to you"),
        ("SELECT shoe_size FROM household.persons", "column shoe_size does not exist"),
        ("SELECT p FROM household.persons p", "whole-row references"),
        ("SELECT to_json(p) FROM household.persons p", "whole-row references"),
        ("SELECT struct_pack(p.*) FROM household.persons p", "select list"),
    ],
)
def test_bad_names_are_invalid_queries(fed: Federation, sql: str, message: str) -> None:
    with pytest.raises(InvalidQuery) as info:
        fed.query(sql, FULL, MAINTENANCE)
    assert message in info.value.message
    assert info.value.query_id


def test_unknown_user_and_purpose_problems_are_refused(fed: Federation) -> None:
    sql = "SELECT count(*) FROM land.parcels"
    with pytest.raises(AccessDenied, match="unknown user"):
        fed.query(sql, "mallory", MAINTENANCE)
    with pytest.raises(PurposeRequired):
        fed.query(sql, FULL, {"case_name": "x", "purpose": "data-maintenance"})
    with pytest.raises(AccessDenied, match="purpose 'welfare-eligibility' is not allowed"):
        fed.query(sql, FULL, Purpose(case_name="x", purpose="welfare-eligibility", case_no="1"))


def test_every_query_writes_exactly_one_audit_event(demo_dir: Path) -> None:
    sink = MemorySink()
    with Federation.open(demo_dir / "civicfed.toml", audit=sink) as fed:
        fed.query("SELECT count(*) FROM land.parcels", FULL, MAINTENANCE)
        for bad in ("SELECT * FROM land.nothing", "DROP TABLE land.parcels"):
            with pytest.raises(InvalidQuery):
                fed.query(bad, FULL, MAINTENANCE)
        with pytest.raises(PurposeRequired):
            fed.query("SELECT 1", FULL, {"purpose": "statistics"})
    assert [e["outcome"] for e in sink.events] == ["ok", "invalid", "invalid", "denied"]
    ok = sink.events[0]
    assert ok["purpose"]["case_name"] == "資料維護測試"
    assert ok["source_sql"][0]["source"] == "land"
    assert (
        ok["tables"] == [{"table": "land.parcels", "columns": [], "grants": ["config-13"]}]
        or ok["tables"][0]["table"] == "land.parcels"
    )
    assert len({e["query_id"] for e in sink.events}) == 4


class FailingSink(MemorySink):
    def append(self, event: Any) -> int:
        raise OSError("disk full")


def test_no_audit_no_result(demo_dir: Path) -> None:
    with (
        Federation.open(demo_dir / "civicfed.toml", audit=FailingSink()) as fed,
        pytest.raises(InvalidQuery, match="audit log"),
    ):
        fed.query("SELECT count(*) FROM land.parcels", FULL, MAINTENANCE)


def test_concurrent_queries_each_get_their_own_answer(
    fed: Federation, truth: duckdb.DuckDBPyConnection
) -> None:
    districts = [
        r[0]
        for r in truth.execute(
            "SELECT DISTINCT district FROM household.persons ORDER BY 1"
        ).fetchall()
    ]
    expected = dict(
        truth.execute("SELECT district, count(*) FROM household.persons GROUP BY 1").fetchall()
    )
    got: dict[str, int] = {}
    errors: list[BaseException] = []

    def worker(district: str) -> None:
        try:
            t = fed.query(
                f"SELECT count(*) AS n FROM household.persons WHERE district = '{district}'",
                FULL,
                STATISTICS,
            )
            got[district] = t.column("n")[0].as_py()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(d,)) for d in districts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert got == expected

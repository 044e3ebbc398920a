"""A pinned lookup reaches each server as an indexable predicate: the statement each source
receives, run through that source's own EXPLAIN, uses the primary key instead of scanning."""

from __future__ import annotations

import re
import sqlite3
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path

import adbc_driver_postgresql.dbapi
import psycopg
import pymysql
import pytest

from engine import Federation, Purpose

ROWS = 20_000
PIN = 12_345
PURPOSE = Purpose(case_name="index check", purpose="p", case_no="1")


def _mysql_connect(dsn: str) -> pymysql.connections.Connection:
    url = urllib.parse.urlparse(dsn)
    return pymysql.connect(
        host=url.hostname or "127.0.0.1",
        port=url.port or 3306,
        user=url.username or "root",
        password=url.password or "",
        database=url.path.lstrip("/") or "test",
        autocommit=True,
    )


@pytest.fixture(scope="module")
def sources(
    tmp_path_factory: pytest.TempPathFactory, pg_dsn: str, mysql_dsn: str
) -> Iterator[tuple[Path, str]]:
    table = f"cf_idx_{uuid.uuid4().hex[:8]}"
    directory = tmp_path_factory.mktemp("indexes")
    with sqlite3.connect(directory / "lite.sqlite") as lite:
        lite.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, v TEXT)")
        lite.executemany(f"INSERT INTO {table} VALUES (?, ?)", ((i, f"v{i}") for i in range(ROWS)))
    pg = adbc_driver_postgresql.dbapi.connect(pg_dsn)
    with pg.cursor() as cur:
        cur.execute(f"CREATE TABLE public.{table} (id integer PRIMARY KEY, v text)")
        cur.execute(
            f"INSERT INTO public.{table} SELECT g, 'v' || g FROM generate_series(0, {ROWS - 1}) g"
        )
        cur.execute(f"ANALYZE public.{table}")
    pg.commit()
    my = _mysql_connect(mysql_dsn)
    with my.cursor() as cur:
        cur.execute(f"CREATE TABLE {table} (id INT PRIMARY KEY, v VARCHAR(20))")
        cur.execute(f"INSERT INTO {table} SELECT seq, CONCAT('v', seq) FROM seq_0_to_{ROWS - 1}")
        cur.execute(f"ANALYZE TABLE {table}")
    (directory / "civicfed.toml").write_text(
        f"""
[federation]
data_dir = "var"
[[agencies]]
code = "A"
name = "a"
[sources.pg]
kind = "postgres"
dsn = "{pg_dsn}"
owner = "A"
[sources.my]
kind = "mysql"
dsn = "{mysql_dsn}"
owner = "A"
[sources.lite]
kind = "sqlite"
path = "lite.sqlite"
owner = "A"
[[purposes]]
code = "p"
name = "p"
[[users]]
name = "u"
agency = "A"
"""
        + "".join(
            f'[[grants]]\nuser = "u"\ntable = "{s}.*"\ncolumns = "*"\npurposes = ["p"]\n'
            for s in ("pg", "my", "lite")
        ),
        encoding="utf-8",
    )
    yield directory, table
    pg2 = adbc_driver_postgresql.dbapi.connect(pg_dsn)
    with pg2.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS public.{table}")
    pg2.commit()
    pg2.close()
    pg.close()
    with my.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {table}")
    my.close()


def test_pin_is_sent_to_every_source_and_each_uses_its_primary_key(
    sources: tuple[Path, str], pg_dsn: str, mysql_dsn: str
) -> None:
    directory, table = sources
    sql = (
        f"SELECT a.v, b.v, c.v FROM pg.{table} a JOIN my.{table} b ON b.id = a.id "
        f"JOIN lite.{table} c ON c.id = a.id WHERE a.id = {PIN}"
    )
    with Federation.open(directory / "civicfed.toml") as fed:
        result = fed.query(sql, "u", PURPOSE)
        assert result.num_rows == 1
        assert [column.to_pylist() for column in result.columns] == [[f"v{PIN}"]] * 3
        plan = fed.explain(sql, "u", PURPOSE)
    statements = {scan.source: scan.statement for scan in plan.scans}
    assert all(str(PIN) in s for s in statements.values()), statements

    with psycopg.connect(pg_dsn) as pg, pg.cursor() as cur:
        cur.execute("EXPLAIN " + statements["pg"])  # type: ignore[arg-type]
        pg_plan = "\n".join(str(r[0]) for r in cur.fetchall())
    assert "Index" in pg_plan and "Seq Scan" not in pg_plan, pg_plan

    my = _mysql_connect(mysql_dsn)
    with my.cursor() as cur:
        statement = re.sub(r"^SET STATEMENT .*? FOR ", "", statements["my"])
        cur.execute("EXPLAIN " + statement)
        columns = [d[0] for d in cur.description]
        rows = [dict(zip(columns, r, strict=True)) for r in cur.fetchall()]
    my.close()
    assert any(
        r["key"] == "PRIMARY" and r["type"] in ("const", "eq_ref", "ref", "range") for r in rows
    ), rows

    with sqlite3.connect(directory / "lite.sqlite") as lite:
        lite_plan = " ".join(
            str(r[-1]) for r in lite.execute("EXPLAIN QUERY PLAN " + statements["lite"])
        )
    assert (
        "USING INTEGER PRIMARY KEY" in lite_plan
        or "USING PRIMARY KEY" in lite_plan
        or "USING INDEX" in lite_plan
    ), lite_plan

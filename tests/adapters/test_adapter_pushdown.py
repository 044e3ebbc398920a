"""What each dialect sends for a filter, golden-file style: one line of SQL per case, plus the
verdict. These need no database; the conformance suite checks the same rules against real ones."""

from __future__ import annotations

import pyarrow as pa
import pytest
import sqlglot
from sqlglot import exp

from adapters import Pushdown, ScanColumn, ScanRequest
from adapters.dialects import MySQLDialect, PostgresDialect, SourceDialect, SqliteDialect
from adapters.pushdown import Column
from adapters.sql_render import build_select, judge_filter, to_sql

COLUMNS = {
    c.name: c
    for c in [
        Column("id", pa.int64(), "bigint"),
        Column("name", pa.string(), "text"),
        Column("born", pa.date32(), "date"),
        Column("seen", pa.timestamp("us"), "timestamp"),
        Column("amount", pa.decimal128(12, 2), "numeric(12,2)"),
        Column("wide", pa.decimal128(20, 2), "numeric(20,2)"),
        Column("active", pa.bool_(), "boolean"),
        Column("code", pa.string(), "character"),  # PostgreSQL char(n)
        Column("ratio", pa.float64(), "real"),  # PostgreSQL float4
        Column('we"ird', pa.int64(), "bigint"),
        Column("due", pa.date32(), "date"),
        Column("label", pa.string(), "character varying"),
        Column("mood", pa.string(), "mood"),  # a PostgreSQL enum
    ]
}
DIALECTS = {
    "duckdb": SourceDialect(),
    "postgres": PostgresDialect(),
    "mysql": MySQLDialect(),
    "sqlite": SqliteDialect(),
}
E, U = Pushdown.EXACT, Pushdown.UNSUPPORTED
INEXACT = Pushdown.INEXACT

GOLDEN = [
    # (dialect, filter as the planner writes it, verdict, WHERE clause sent)
    ("duckdb", "3 < id", E, '"id" > 3'),
    ("duckdb", "NOT (id = 1 OR name = 'x')", E, 'NOT ("id" = 1 OR "name" = \'x\')'),
    ("duckdb", "name IS NOT NULL", E, 'NOT ("name" IS NULL)'),
    ("duckdb", "name NOT LIKE 'a%'", E, "NOT (\"name\" LIKE 'a%')"),
    ("duckdb", "born = '1998-09-02'", E, "\"born\" = CAST('1998-09-02' AS DATE)"),
    ("duckdb", "amount = -1.50", E, '"amount" = -1.50'),
    ("duckdb", "name = 'x'' OR 1=1 --'", E, "\"name\" = 'x'' OR 1=1 --'"),
    ("postgres", "name < 'b'", E, '"name" COLLATE "C" < \'b\''),
    ("postgres", "name BETWEEN 'a' AND 'b'", E, "\"name\" COLLATE \"C\" BETWEEN 'a' AND 'b'"),
    ("postgres", "name = 'b'", E, "\"name\" = 'b'"),  # equality keeps the index usable
    ("postgres", "code = 'ab'", INEXACT, "\"code\" = 'ab'"),
    ("postgres", "code < 'ab'", U, None),
    ("postgres", "ratio = 0.5", U, None),
    ("postgres", "name LIKE 'a\\_%'", U, None),
    (
        "postgres",
        "seen < '2020-01-01 10:00:00'",
        E,
        "\"seen\" < CAST('2020-01-01 10:00:00' AS TIMESTAMP)",
    ),
    ("mysql", "born = '1998-09-02'", E, "`born` = DATE '1998-09-02'"),
    (
        "mysql",
        "seen >= CAST('2020-01-01 10:00:00.5' AS TIMESTAMP)",
        E,
        "`seen` >= TIMESTAMP '2020-01-01 10:00:00.500000'",
    ),
    (
        "mysql",
        "name = 'O''Brien'",
        E,
        "(`name` = 'O''Brien' AND CAST(`name` AS BINARY) = 'O''Brien')",
    ),
    ("mysql", "name LIKE 'ab%'", INEXACT, "`name` LIKE 'ab%'"),
    ("mysql", "name <> 'x'", U, None),
    ("mysql", "NOT (name = 'x')", E, "NOT ((`name` = 'x' AND CAST(`name` AS BINARY) = 'x'))"),
    ("mysql", "name = 'a\\b'", U, None),
    (
        "mysql",
        "id = 1 OR name = 'x'",
        E,
        "(`id` = 1 OR (`name` = 'x' AND CAST(`name` AS BINARY) = 'x'))",
    ),
    ("mysql", "active = TRUE", E, "`active` = TRUE"),
    ("sqlite", "born = CAST('1998-09-02' AS DATE)", E, "\"born\" = '1998-09-02'"),
    ("sqlite", "active = TRUE", E, '"active" = 1'),
    ("sqlite", "name = 'x'", E, "\"name\" COLLATE BINARY = 'x'"),
    ("sqlite", "name LIKE 'x%'", INEXACT, "\"name\" LIKE 'x%'"),
    ("sqlite", "amount > 1.25", E, '"amount" > 1.25'),
    ("sqlite", "wide > 1.25", U, None),  # 20 digits do not survive REAL
    ("sqlite", "amount = 0.1000000000000001", U, None),  # SQLite would read a double
    ("sqlite", "id = 1.0000000000000001", U, None),
    ("sqlite", "amount < 1234567890123456", E, '"amount" < 1234567890123456'),
    ("sqlite", "seen < '2020-01-01'", U, None),
    ("sqlite", "born < CAST('2020-01-01 10:00:00' AS TIMESTAMP)", U, None),
    # column against column
    ("duckdb", "id < amount", E, '"id" < "amount"'),
    ("duckdb", "name >= label", E, '"name" >= "label"'),
    ("duckdb", "born < seen", U, None),
    ("duckdb", "id = name", U, None),
    ("postgres", "born < due", E, '"born" < "due"'),
    ("postgres", "name = label", E, '"name" COLLATE "C" = "label"'),
    ("postgres", "NOT (label > name)", E, 'NOT ("label" COLLATE "C" > "name")'),
    ("postgres", "code = name", U, None),  # char(n)
    ("postgres", "ratio < amount", U, None),  # float4
    ("postgres", "mood = name", U, None),
    ("mysql", "born <= due", E, "`born` <= `due`"),
    ("mysql", "id > amount", E, "`id` > `amount`"),
    ("mysql", "name = label", U, None),
    ("mysql", "active = active", U, None),
    ("sqlite", "name < label", E, '"name" COLLATE BINARY < "label"'),
    ("sqlite", "born = due", E, '"born" = "due"'),
    ("sqlite", "amount > amount", E, '"amount" > "amount"'),
    ("sqlite", "amount > wide", U, None),  # 20 digits do not survive REAL
    ("sqlite", "id > amount", U, None),
    ("sqlite", "seen > seen", U, None),
]


@pytest.mark.parametrize(
    ("dialect", "condition", "verdict", "where"), GOLDEN, ids=[f"{g[0]}: {g[1]}" for g in GOLDEN]
)
def test_filter_is_sent_as_the_golden_sql(
    dialect: str, condition: str, verdict: Pushdown, where: str | None
) -> None:
    rules = DIALECTS[dialect]
    node = sqlglot.parse_one(condition, read="duckdb")
    judged = judge_filter(node, COLUMNS, rules)
    assert judged.pushdown is verdict, judged.reason
    request = ScanRequest("t", (ScanColumn("id", exp.column("id"), pa.int64()),), (node,))
    if where is None:
        with pytest.raises(ValueError, match="cannot be pushed"):
            build_select(request, table=exp.table_("t"), columns=COLUMNS, dialect=rules)
        return
    sql = to_sql(
        build_select(request, table=exp.table_("t"), columns=COLUMNS, dialect=rules), rules
    )
    assert sql.split(" WHERE ", 1)[1] == where


def test_not_over_an_inexact_filter_is_refused_with_the_reason() -> None:
    node = sqlglot.parse_one("NOT (name LIKE 'a%')")
    verdict = judge_filter(node, COLUMNS, MySQLDialect())
    assert verdict.pushdown is U
    assert "inexact" in verdict.reason


def test_select_quotes_identifiers_aliases_expressions_and_limits() -> None:
    request = ScanRequest(
        "people",
        (
            ScanColumn('we"ird', exp.column('we"ird'), pa.int64()),
            ScanColumn("loud name", sqlglot.parse_one("UPPER(name)"), pa.string()),
        ),
        (sqlglot.parse_one("id = 1"), sqlglot.parse_one("name = 'a' OR name = 'b'")),
        limit=5,
    )
    rules = PostgresDialect()
    table = exp.table_("people", db="public")
    sql = to_sql(build_select(request, table=table, columns=COLUMNS, dialect=rules), rules)
    assert sql == (
        'SELECT "we""ird", UPPER("name") AS "loud name" FROM "public"."people"'
        ' WHERE "id" = 1 AND ("name" = \'a\' OR "name" = \'b\') LIMIT 5'
    )


def test_select_refuses_a_column_the_table_lacks() -> None:
    request = ScanRequest("t", (ScanColumn("x", sqlglot.parse_one("LOWER(nope)"), pa.string()),))
    with pytest.raises(ValueError, match="no column 'nope'"):
        build_select(request, table=exp.table_("t"), columns=COLUMNS, dialect=SourceDialect())


def test_sqlite_projection_casts_to_one_storage_class() -> None:
    request = ScanRequest(
        "t",
        (
            ScanColumn("name", exp.column("name"), pa.string()),  # TEXT already: as is
            ScanColumn("amount", exp.column("amount"), pa.decimal128(12, 2)),
            ScanColumn(
                "year", sqlglot.parse_one("STRFTIME('%Y', born)", read="sqlite"), pa.int64()
            ),
        ),
    )
    rules = SqliteDialect()
    sql = to_sql(
        build_select(request, table=exp.table_("t"), columns=COLUMNS, dialect=rules), rules
    )
    assert sql == (
        'SELECT "name", CAST("amount" AS REAL) AS "amount",'
        ' CAST(STRFTIME(\'%Y\', "born") AS INTEGER) AS "year" FROM "t"'
    )


def test_an_inexact_filter_is_not_pushed_below_an_aggregate() -> None:
    """A superset filter is fine under a plain scan (the engine re-checks the rows) but not
    under an aggregate, whose rows nobody sees again."""
    rules = MySQLDialect()
    count = ScanColumn("agg_1", sqlglot.parse_one("COUNT(*)"), pa.int64())
    request = ScanRequest("t", (count,), (sqlglot.parse_one("name LIKE 'ab%'"),))
    with pytest.raises(ValueError, match="inexact"):
        build_select(request, table=exp.table_("t"), columns=COLUMNS, dialect=rules)
    plain = ScanRequest("t", (ScanColumn("id", exp.column("id"), pa.int64()),), request.filters)
    build_select(plain, table=exp.table_("t"), columns=COLUMNS, dialect=rules)


AGGREGATES = [
    # (dialect, output expression, type asked for, SELECT sent)
    ("postgres", "SUM(amount * (1 - amount))", pa.decimal128(38, 4),
     'SELECT CAST(SUM("amount" * (1 - "amount")) AS DECIMAL(38, 4)) AS "a" FROM "t"'),
    ("postgres", "MAX(name)", pa.string(), 'SELECT MAX("name" COLLATE "C") AS "a" FROM "t"'),
    ("postgres", "COUNT(*)", pa.int64(), 'SELECT COUNT(*) AS "a" FROM "t"'),
    ("mysql", "SUM(id)", pa.decimal128(38, 0), "SELECT CAST(SUM(`id`) AS CHAR) AS `a` FROM `t`"),
    ("mysql", "MIN(amount)", pa.decimal128(12, 2), "SELECT MIN(`amount`) AS `a` FROM `t`"),
    ("sqlite", "SUM(id)", pa.decimal128(38, 0),
     'SELECT CAST(SUM("id") AS INTEGER) AS "a" FROM "t"'),
    ("duckdb", "SUM(amount)", pa.decimal128(38, 2), 'SELECT SUM("amount") AS "a" FROM "t"'),
]  # fmt: skip


@pytest.mark.parametrize(("dialect", "expression", "asked", "sent"), AGGREGATES)
def test_aggregate_is_sent_as_the_golden_sql(
    dialect: str, expression: str, asked: pa.DataType, sent: str
) -> None:
    rules = DIALECTS[dialect]
    request = ScanRequest("t", (ScanColumn("a", sqlglot.parse_one(expression), asked),))
    select = build_select(request, table=exp.table_("t"), columns=COLUMNS, dialect=rules)
    assert to_sql(select, rules) == sent


def test_sqlite_groups_text_by_bytes() -> None:
    rules = SqliteDialect()
    request = ScanRequest(
        "t",
        (
            ScanColumn("name", exp.column("name"), pa.string()),
            ScanColumn("n", sqlglot.parse_one("COUNT(*)"), pa.int64()),
        ),
        group_by=(exp.column("name"),),
    )
    select = build_select(request, table=exp.table_("t"), columns=COLUMNS, dialect=rules)
    assert to_sql(select, rules).endswith('GROUP BY "name" COLLATE BINARY')

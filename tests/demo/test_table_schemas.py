"""Declared types per database, DSN parsing, and folder writers that leave nothing stale."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from demo.table_schemas import TABLE_SCHEMAS, create_table_sql, sql_type
from demo.writers import mysql_connect_args, write_csv_folder, write_postgres


def test_declared_types_per_dialect() -> None:
    recipients = {c.name: c for c in TABLE_SCHEMAS["recipients"].columns}
    amount, start, program = (recipients[n] for n in ("monthly_amount", "start_date", "program"))
    assert [sql_type(amount, d) for d in ("sqlite", "duckdb", "postgres", "mysql")] == [
        "DECIMAL(12,2)",
        "DECIMAL(12,2)",
        "NUMERIC(12,2)",
        "DECIMAL(12,2)",
    ]
    assert {sql_type(start, d) for d in ("sqlite", "duckdb", "postgres", "mysql")} == {"DATE"}
    assert sql_type(program, "sqlite") == "TEXT"
    assert sql_type(program, "mysql") == "VARCHAR(32)"


def test_create_table_carries_the_primary_key() -> None:
    sql = create_table_sql(TABLE_SCHEMAS["ownership"], "sqlite", '"ownership"')
    assert 'PRIMARY KEY ("parcel_no", "owner_national_id")' in sql
    assert '"share" DECIMAL(9,6)' in sql
    bare = create_table_sql(TABLE_SCHEMAS["persons"], "postgres", "x", with_primary_key=False)
    assert "PRIMARY KEY" not in bare and '"national_id" TEXT NOT NULL' in bare


def test_mysql_dsn_parsing() -> None:
    assert mysql_connect_args("mysql://root@127.0.0.1:3306/test") == {
        "host": "127.0.0.1",
        "port": 3306,
        "user": "root",
        "charset": "utf8mb4",
    }
    args = mysql_connect_args("mysql://dsw:p%40ss@db.example:3307/welfare")
    assert (args["user"], args["password"], args["port"]) == ("dsw", "p@ss", 3307)
    with pytest.raises(ValueError):
        mysql_connect_args("postgresql://postgres@127.0.0.1/test")


def test_schema_names_must_be_plain_identifiers() -> None:
    with pytest.raises(ValueError, match="identifier"):
        write_postgres("postgresql://nobody@127.0.0.1:1/none", "household\n; DROP", {})


def test_a_folder_source_is_replaced_whole(tmp_path: Path) -> None:
    folder = tmp_path / "fire"
    folder.mkdir()
    (folder / "stale.csv").write_text("old\n")
    frame = pl.DataFrame(
        {
            "inspection_id": ["FI2024-1"],
            "address": ["臺北市大安區師大路1號"],
            "district": ["大安區"],
            "inspected_on": [date(2024, 1, 2)],
            "result": ["合格"],
            "violations": [0],
        }
    )
    write_csv_folder(folder, {"inspections": frame})
    assert sorted(p.name for p in folder.iterdir()) == ["inspections.csv"]
    assert (folder / "inspections.csv").read_text(encoding="utf-8").splitlines()[1] == (
        "FI2024-1,臺北市大安區師大路1號,大安區,2024-01-02,合格,0"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["fire"]

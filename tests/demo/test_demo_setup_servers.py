"""`demo setup --servers`: household on PostgreSQL, welfare on MariaDB, with keys, indexes and
real DATE/DECIMAL columns. Uses its own schema names so a demo on the same servers is kept."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import adbc_driver_postgresql.dbapi as adbc_postgres
import pymysql
import pytest

from demo.generate import generate
from demo.scenario import setup
from demo.writers import mysql_connect_args
from engine.config import load_config

SCALE = 2_000
SEED = 3
PG_SCHEMA = "demo_test_household"
MYSQL_DATABASE = "demo_test_welfare"


@pytest.fixture(scope="module")
def server_demo(
    tmp_path_factory: pytest.TempPathFactory, pg_dsn: str, mysql_dsn: str
) -> Iterator[Path]:
    directory = tmp_path_factory.mktemp("demo_servers")
    options = {
        "servers": True,
        "pg_dsn": pg_dsn,
        "mysql_dsn": mysql_dsn,
        "pg_schema": PG_SCHEMA,
        "mysql_database": MYSQL_DATABASE,
    }
    setup(directory, scale=SCALE, seed=SEED, **options)  # type: ignore[arg-type]
    setup(directory, scale=SCALE, seed=SEED, **options)  # type: ignore[arg-type]  # idempotent
    yield directory
    with adbc_postgres.connect(pg_dsn, autocommit=True) as connection:
        cursor = connection.cursor()
        cursor.execute(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")
        cursor.close()
    mysql = pymysql.connect(**mysql_connect_args(mysql_dsn))
    with mysql.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {MYSQL_DATABASE}")
    mysql.close()


def test_config_points_at_the_servers(server_demo: Path, pg_dsn: str, mysql_dsn: str) -> None:
    config = load_config(server_demo / "civicfed.toml").config
    household, welfare = config.sources["household"], config.sources["welfare"]
    assert (household.kind, household.dsn, household.schema_) == ("postgres", pg_dsn, PG_SCHEMA)
    assert (welfare.kind, welfare.dsn, welfare.schema_) == ("mysql", mysql_dsn, MYSQL_DATABASE)
    assert config.sources["land"].kind == "sqlite"
    data_dir = server_demo / "data"
    assert not (data_dir / "household.sqlite").exists()
    assert not (data_dir / "welfare.duckdb").exists()


def test_postgres_household(server_demo: Path, pg_dsn: str) -> None:
    data = generate(SCALE, SEED)
    with adbc_postgres.connect(pg_dsn) as connection:
        cursor = connection.cursor()
        cursor.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = $1",
            (PG_SCHEMA,),
        )
        types = {(t, c): d for t, c, d in cursor.fetchall()}
        assert types[("persons", "birth_date")] == "date"
        assert types[("persons", "national_id")] == "text"
        assert types[("households", "registered_on")] == "date"
        cursor.execute(
            "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = $1", (PG_SCHEMA,)
        )
        indexes = cursor.fetchall()
        assert any(t == "persons" and "UNIQUE" in d and "(national_id)" in d for t, d in indexes)
        assert any(t == "persons" and "(district)" in d for t, d in indexes)
        assert any(
            t == "households" and "UNIQUE" in d and "(household_id)" in d for t, d in indexes
        )
        cursor.execute(
            f"SELECT count(*), min(birth_date), max(birth_date) FROM {PG_SCHEMA}.persons"
        )
        count, oldest, youngest = cursor.fetchone()
        assert count == SCALE
        assert (oldest, youngest) == (
            data.persons["birth_date"].min(),
            data.persons["birth_date"].max(),
        )
        cursor.execute(f"SELECT count(*) FROM {PG_SCHEMA}.households")
        assert cursor.fetchone() == (data.households.height,)
        cursor.close()


def test_mariadb_welfare(server_demo: Path, mysql_dsn: str) -> None:
    data = generate(SCALE, SEED)
    connection = pymysql.connect(**mysql_connect_args(mysql_dsn))
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT column_name, column_type, character_set_name FROM "
                "information_schema.columns WHERE table_schema = %s AND table_name = 'recipients'",
                (MYSQL_DATABASE,),
            )
            columns = {name: (kind, charset) for name, kind, charset in cursor.fetchall()}
            assert columns["monthly_amount"][0] == "decimal(12,2)"
            assert columns["start_date"][0] == "date"
            assert columns["end_date"][0] == "date"
            assert columns["program"][1] == "utf8mb4"
            cursor.execute(
                "SELECT index_name, column_name FROM information_schema.statistics "
                "WHERE table_schema = %s AND table_name = 'recipients'",
                (MYSQL_DATABASE,),
            )
            indexed = {column for _, column in cursor.fetchall()}
            assert {"case_id", "national_id"} <= indexed
            cursor.execute(
                f"SELECT count(*), sum(monthly_amount), sum(end_date IS NULL) "
                f"FROM {MYSQL_DATABASE}.recipients"
            )
            count, total, ongoing = cursor.fetchone()
            assert count == data.recipients.height
            assert total == data.recipients["monthly_amount"].sum()
            assert ongoing == data.recipients["end_date"].null_count()
            cursor.execute(
                f"SELECT program FROM {MYSQL_DATABASE}.recipients ORDER BY case_id LIMIT 1"
            )
            assert cursor.fetchone() == (data.recipients.sort("case_id")["program"][0],)
    finally:
        connection.close()

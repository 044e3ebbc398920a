"""`demo setup` (embedded): the written files read back with their declared types, the catalog
loads, the passwords are private, and the sample queries answer on the generated data."""

from __future__ import annotations

import json
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from demo.catalog import AGENCIES, FULL_ACCESS_USER, USERS
from demo.generate import DemoData, generate
from demo.scenario import CREDENTIALS_FILE, read_facts, sample_queries, setup
from engine.config import load_config
from engine.purpose import Purpose

SCALE = 3_000
SEED = 20241126


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo")
    steps: list[tuple[str, int, int]] = []
    config = setup(directory, scale=SCALE, seed=SEED, progress=lambda *a: steps.append(a))
    assert config == directory / "civicfed.toml"
    completed = [done for _, done, _ in steps]
    assert completed == sorted(completed) and completed[-1] == steps[-1][2]
    return directory


@pytest.fixture(scope="module")
def data() -> DemoData:
    return generate(SCALE, SEED)


@pytest.fixture()
def sqlite_household(demo_dir: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(demo_dir / "data" / "household.sqlite")
    yield connection
    connection.close()


def _declared(connection: sqlite3.Connection, table: str) -> dict[str, tuple[str, int]]:
    rows = connection.execute(f"PRAGMA table_info({table})").fetchall()
    return {name: (declared, pk) for _, name, declared, _, _, pk in rows}


def _indexed_columns(connection: sqlite3.Connection, table: str) -> set[tuple[str, ...]]:
    result = set()
    for _, index, *_ in connection.execute(f"PRAGMA index_list({table})").fetchall():
        info = connection.execute(f"PRAGMA index_info({index})").fetchall()
        result.add(tuple(name for _, _, name in info))
    return result


def test_layout(demo_dir: Path) -> None:
    data_dir = demo_dir / "data"
    assert sorted(p.name for p in data_dir.iterdir()) == [
        "building",
        "fire",
        "household.sqlite",
        "land.sqlite",
        "welfare.duckdb",
    ]
    assert [p.name for p in (data_dir / "building").iterdir()] == ["permits.parquet"]
    assert [p.name for p in (data_dir / "fire").iterdir()] == ["inspections.csv"]


def test_household_sqlite_declares_types_keys_and_indexes(
    sqlite_household: sqlite3.Connection, data: DemoData
) -> None:
    persons = _declared(sqlite_household, "persons")
    assert persons == {
        "national_id": ("TEXT", 1),
        "name": ("TEXT", 0),
        "sex": ("TEXT", 0),
        "birth_date": ("DATE", 0),
        "district": ("TEXT", 0),
        "address": ("TEXT", 0),
        "household_id": ("TEXT", 0),
        "phone": ("TEXT", 0),
    }
    households = _declared(sqlite_household, "households")
    assert households["household_id"] == ("TEXT", 1)
    assert households["registered_on"] == ("DATE", 0)
    assert ("national_id",) in _indexed_columns(sqlite_household, "persons")
    assert ("district",) in _indexed_columns(sqlite_household, "persons")
    assert ("district",) in _indexed_columns(sqlite_household, "households")

    count, text_dates = sqlite_household.execute(
        "SELECT count(*), sum(typeof(birth_date) = 'text') FROM persons"
    ).fetchone()
    assert count == text_dates == SCALE
    written = pl.DataFrame(
        sqlite_household.execute("SELECT * FROM persons ORDER BY national_id").fetchall(),
        schema=data.persons.columns,
        orient="row",
    )
    expected = data.persons.sort("national_id").with_columns(
        pl.col("birth_date").dt.to_string("%Y-%m-%d")
    )
    assert written.equals(expected)
    (households_count,) = sqlite_household.execute("SELECT count(*) FROM households").fetchone()
    assert households_count == data.households.height


def test_land_sqlite_stores_decimals_as_numbers(demo_dir: Path, data: DemoData) -> None:
    connection = sqlite3.connect(demo_dir / "data" / "land.sqlite")
    try:
        parcels = _declared(connection, "parcels")
        assert parcels["parcel_no"] == ("TEXT", 1)
        assert parcels["area_m2"] == ("DECIMAL(12,2)", 0)
        assert parcels["announced_value"] == ("INTEGER", 0)
        ownership = _declared(connection, "ownership")
        assert ownership["share"] == ("DECIMAL(9,6)", 0)
        assert {name: pk for name, (_, pk) in ownership.items()} == {
            "parcel_no": 1,
            "owner_national_id": 2,
            "share": 0,
        }
        indexed = _indexed_columns(connection, "ownership")
        assert ("owner_national_id",) in indexed
        assert ("parcel_no", "owner_national_id") in indexed  # the key, led by parcel_no
        storage = {t for (t,) in connection.execute("SELECT DISTINCT typeof(area_m2) FROM parcels")}
        assert storage <= {"real", "integer"}  # NUMERIC affinity stores whole values as INTEGER
        bad_shares = connection.execute(
            "SELECT count(*) FROM (SELECT parcel_no FROM ownership GROUP BY parcel_no "
            "HAVING abs(sum(share) - 1) > 1e-9)"
        ).fetchone()[0]
        assert bad_shares == 0
        counts = [
            connection.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("parcels", "ownership")
        ]
        assert counts == [data.parcels.height, data.ownership.height]
    finally:
        connection.close()


def test_welfare_duckdb_has_real_types_and_an_index(demo_dir: Path, data: DemoData) -> None:
    connection = duckdb.connect(str(demo_dir / "data" / "welfare.duckdb"), read_only=True)
    try:
        types = {row[0]: row[1] for row in connection.execute("DESCRIBE recipients").fetchall()}
        assert types == {
            "case_id": "VARCHAR",
            "national_id": "VARCHAR",
            "program": "VARCHAR",
            "monthly_amount": "DECIMAL(12,2)",
            "start_date": "DATE",
            "end_date": "DATE",
            "district": "VARCHAR",
        }
        indexes = connection.execute(
            "SELECT expressions FROM duckdb_indexes() WHERE table_name = 'recipients'"
        ).fetchall()
        assert any("national_id" in str(e) for (e,) in indexes)
        written = connection.execute("SELECT * FROM recipients").pl()
        assert written.sort("case_id").equals(data.recipients.sort("case_id"))
    finally:
        connection.close()


def test_building_parquet_and_fire_csv(demo_dir: Path, data: DemoData) -> None:
    permits = pq.read_table(demo_dir / "data" / "building" / "permits.parquet")
    assert permits.num_rows == data.permits.height
    assert permits.schema.field("issued_on").type == pa.date32()
    assert permits.schema.field("floors").type == pa.int32()
    assert permits.schema.field("permit_no").type == pa.string()
    assert permits.column_names == data.permits.columns

    csv = demo_dir / "data" / "fire" / "inspections.csv"
    header = csv.read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",") == data.inspections.columns
    relation = duckdb.sql(f"SELECT * FROM read_csv('{csv}')")
    assert dict(zip(relation.columns, map(str, relation.types), strict=True)) == {
        "inspection_id": "VARCHAR",
        "address": "VARCHAR",
        "district": "VARCHAR",
        "inspected_on": "DATE",
        "result": "VARCHAR",
        "violations": "BIGINT",
    }
    assert len(relation.fetchall()) == data.inspections.height


def test_the_config_loads_with_every_agency_source_user_and_grant(demo_dir: Path) -> None:
    loaded = load_config(demo_dir / "civicfed.toml")
    config = loaded.config
    assert config.federation.data_dir == "var"
    assert {a.code: a.name for a in config.agencies} == AGENCIES
    assert len(AGENCIES) == 10
    sources = {name: (s.kind, s.owner, s.path) for name, s in config.sources.items()}
    assert sources == {
        "household": ("sqlite", "CRA", "data/household.sqlite"),
        "welfare": ("duckdb", "DSW", "data/welfare.duckdb"),
        "land": ("sqlite", "LAND", "data/land.sqlite"),
        "building": ("parquet", "UDD", "data/building"),
        "fire": ("csv", "FIRE", "data/fire"),
    }
    for source in config.sources.values():
        assert source.path is not None and loaded.resolve(source.path).exists()
    assert {p.code for p in config.purposes} == {
        "welfare-eligibility",
        "statistics",
        "land-admin",
        "data-maintenance",
    }
    users = {u.name: u for u in config.users}
    assert set(users) == {u.name for u in USERS}
    assert users["clerk_daan"].district == "大安區"
    assert users["clerk_xinyi"].district == "信義區"
    assert users["analyst_dbas"].roles == ["analyst"]
    assert users[FULL_ACCESS_USER].agency == "DOIT"

    grants = {(g.user, g.table): g for g in config.grants}
    persons = grants[("clerk_daan", "household.persons")]
    assert isinstance(persons.columns, dict)
    assert set(persons.columns) == {
        "national_id",
        "name",
        "sex",
        "birth_date",
        "district",
        "address",
    }
    assert persons.row_filter == "district = '大安區'"
    assert [(r.column, r.max_values) for r in persons.require] == [("national_id", 10)]
    assert persons.max_rows == 100
    assert persons.purposes == ["welfare-eligibility"]
    recipients = grants[("clerk_xinyi", "welfare.recipients")]
    assert isinstance(recipients.columns, dict)
    assert "monthly_amount" not in recipients.columns
    assert recipients.row_filter == "district = '信義區'"
    ownership = grants[("clerk_daan", "land.ownership")]
    assert [r.column for r in ownership.require] == ["owner_national_id"]
    assert ownership.purposes == ["welfare-eligibility", "land-admin"]
    assert grants[("clerk_daan", "land.parcels")].row_filter is None
    analyst = grants[("analyst_dbas", "household.persons")]
    assert isinstance(analyst.columns, dict)
    assert analyst.columns["birth_date"] == "mask:year_only"
    assert analyst.columns["national_id"] == "join"
    assert analyst.aggregate_only is not None
    assert (analyst.aggregate_only.min_group, analyst.aggregate_only.entity) == (10, "national_id")
    assert grants[("owner_cra", "household.*")].purposes == ["data-maintenance"]
    assert grants[("owner_dsw", "welfare.*")].columns == "*"
    full = [g for g in config.grants if g.user == FULL_ACCESS_USER]
    assert sorted(g.table for g in full) == [
        "building.*",
        "fire.*",
        "household.*",
        "land.*",
        "welfare.*",
    ]
    assert all(g.columns == "*" for g in full)
    assert all(g.purposes == ["statistics", "data-maintenance"] for g in full)
    assert len(config.grants) == 8 + 2 + 2 + 5


def test_credentials_are_private_and_cover_every_user(demo_dir: Path) -> None:
    path = demo_dir / CREDENTIALS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    passwords = json.loads(path.read_text(encoding="utf-8"))
    assert set(passwords) == {u.name for u in USERS}
    assert all(isinstance(p, str) and len(p) >= 16 for p in passwords.values())
    assert len(set(passwords.values())) == len(passwords)


def test_setup_again_replaces_data_and_keeps_passwords(tmp_path: Path) -> None:
    setup(tmp_path, scale=2_000, seed=1)
    credentials = tmp_path / CREDENTIALS_FILE
    first = json.loads(credentials.read_text(encoding="utf-8"))
    credentials.chmod(0o644)
    setup(tmp_path, scale=2_500, seed=2)
    assert json.loads(credentials.read_text(encoding="utf-8")) == first
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    connection = sqlite3.connect(tmp_path / "data" / "household.sqlite")
    assert connection.execute("SELECT count(*) FROM persons").fetchone() == (2_500,)
    connection.close()
    assert not [p for p in (tmp_path / "data").iterdir() if p.name.startswith(".")]
    assert read_facts(tmp_path)["scale"] == 2_500


def test_facts_name_a_person_with_welfare_and_land(demo_dir: Path, data: DemoData) -> None:
    facts = read_facts(demo_dir)
    assert facts["seed"] == SEED and facts["scale"] == SCALE
    assert facts["row_counts"] == data.row_counts()
    person = facts["lookup_person"]
    subject = person["national_id"]
    assert person["district"] == "大安區"
    assert person["programs"] and person["parcels"]
    welfare = duckdb.connect(str(demo_dir / "data" / "welfare.duckdb"), read_only=True)
    programs = welfare.execute(
        "SELECT program FROM recipients WHERE national_id = ? ORDER BY program", [subject]
    ).fetchall()
    welfare.close()
    assert [p for (p,) in programs] == person["programs"]
    land = sqlite3.connect(demo_dir / "data" / "land.sqlite")
    parcels = land.execute(
        "SELECT parcel_no FROM ownership WHERE owner_national_id = ? ORDER BY parcel_no",
        [subject],
    ).fetchall()
    land.close()
    assert [p for (p,) in parcels] == person["parcels"]


def _local_copies(data: DemoData) -> duckdb.DuckDBPyConnection:
    """The demo tables as schemas of an in-memory DuckDB: the reference answers."""
    connection = duckdb.connect()
    for source, frames in data.sources().items():
        connection.execute(f"CREATE SCHEMA {source}")
        for name, frame in frames.items():
            connection.register("incoming", frame.to_arrow())
            connection.execute(f"CREATE TABLE {source}.{name} AS SELECT * FROM incoming")
            connection.unregister("incoming")
    return connection


def test_sample_queries_answer_on_the_generated_data(demo_dir: Path, data: DemoData) -> None:
    queries = sample_queries(demo_dir)
    assert len(queries) == 3
    known_purposes = {"welfare-eligibility", "statistics", "land-admin", "data-maintenance"}
    for query in queries:
        assert query.user == FULL_ACCESS_USER
        assert query.purpose["purpose"] in {"statistics", "data-maintenance"}
        Purpose.from_mapping(query.purpose).validated(known_purposes)
    connection = _local_copies(data)
    subject = read_facts(demo_dir)["lookup_person"]["national_id"]

    lookup, statistics, fire = (connection.execute(q.sql).pl() for q in queries)
    assert subject in queries[0].sql
    assert lookup.height >= 1 and set(lookup["national_id"]) == {subject}
    assert lookup["program"].null_count() == 0 and lookup["parcel_no"].null_count() == 0
    assert statistics["district"].n_unique() == 12
    assert statistics["persons"].sum() == data.recipients.height
    assert 0 < fire.height <= 20
    assert set(fire["result"]) == {"不合格"}
    connection.close()


def test_sample_queries_as_intended_name_the_design_users(demo_dir: Path) -> None:
    users = [(q.user, q.purpose["purpose"]) for q in sample_queries(demo_dir, as_intended=True)]
    assert users == [
        ("clerk_daan", "welfare-eligibility"),
        ("analyst_dbas", "statistics"),
        (FULL_ACCESS_USER, "data-maintenance"),
    ]

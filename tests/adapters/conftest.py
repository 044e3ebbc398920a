"""Fixtures for the adapter conformance suite: the same tables, built once in every source kind.

``PEOPLE`` is the truth: each kind stores it with that kind's own declared types and the suite
checks that scans give it back. ``big_table`` is a 1M-row table for the streaming tests. Data is
generated with pyarrow/DuckDB and loaded in bulk (ADBC ingest = COPY for PostgreSQL, LOAD DATA
LOCAL INFILE for MariaDB).
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import adbc_driver_sqlite.dbapi
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from adapters import SourceAdapter, SourceSettings, open_source

BIG_ROWS = 1_000_000

# Text for readability; the columns are cast to the schema below. Trailing spaces, '' vs NULL,
# LIKE metacharacters, a backslash, CJK and accents are all deliberate.
_ROWS = [
    (
        1,
        "abc",
        "大安區",
        1,
        "12.50",
        "1998-09-02",
        "2020-01-01 10:00:00.123456",
        True,
        0.1,
        "first",
    ),
    (2, "ABC", "信義區", 2, "-3.25", "1970-01-01", "1999-12-31 23:59:59", False, 1e10, ""),
    (3, "abc ", "大安區", 3, "0.00", "2000-02-29", "2000-01-01 00:00:00", True, -2.5, None),
    (
        4,
        "Ab%c",
        "中山區",
        -4,
        "99999.99",
        "2024-12-31",
        "2024-12-31 23:59:59.999999",
        None,
        3.0,
        "x",
    ),
    (5, None, None, None, None, None, None, None, None, None),
    (6, "zeta", "中正區", 6, "1.10", "1969-07-20", "1969-07-20 20:17:40", False, 0.25, "abc"),
    (7, "émile", "大安區", 7, "0.01", "1998-09-03", "2020-01-01 10:00:00", True, None, "é"),
    (8, "a\\b", "士林區", 8, "-0.01", "1998-09-01", "2020-06-15 08:30:00", False, 100.5, None),
    (9, "", "北投區", 0, "5.00", "2100-01-01", "2038-01-19 03:14:08", True, 0.0, "last"),
    (10, "a_b", "大安區", 10, "1234567.89", "1900-01-01", "1900-01-01 00:00:00", None, -0.1, None),
]
_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("name", pa.string()),
        ("district", pa.string()),
        ("qty", pa.int32()),
        ("amount", pa.decimal128(12, 2)),
        ("born", pa.date32()),
        ("seen", pa.timestamp("us")),
        ("active", pa.bool_()),
        ("score", pa.float64()),
        ("note", pa.string()),
    ]
)
_COLUMNS = zip(*_ROWS, strict=True)
PEOPLE = pa.table(
    [pa.array(list(values)).cast(f.type) for values, f in zip(_COLUMNS, _SCHEMA, strict=True)],
    schema=_SCHEMA,
)

# What each kind declares. Integers keep their declared width where the source has one; SQLite
# has none; CSV has no declared types at all, only what DuckDB's sniffer reads.
EXPECTED_TYPES: dict[str, dict[str, pa.DataType]] = {
    kind: dict(zip(PEOPLE.schema.names, PEOPLE.schema.types, strict=True))
    for kind in ("sqlite", "duckdb", "parquet", "csv", "postgres", "mysql")
}
EXPECTED_TYPES["sqlite"]["qty"] = pa.int64()
EXPECTED_TYPES["csv"]["qty"] = pa.int64()
EXPECTED_TYPES["csv"]["amount"] = pa.float64()

_DDL_TYPES = {
    "sqlite": "id INTEGER PRIMARY KEY, name TEXT, district TEXT, qty INTEGER,"
    " amount DECIMAL(12,2), born DATE, seen TIMESTAMP, active BOOLEAN, score REAL, note TEXT",
    "duckdb": "id BIGINT, name VARCHAR, district VARCHAR, qty INTEGER, amount DECIMAL(12,2),"
    " born DATE, seen TIMESTAMP, active BOOLEAN, score DOUBLE, note VARCHAR",
    "postgres": "id bigint PRIMARY KEY, name text, district text, qty integer,"
    " amount numeric(12,2), born date, seen timestamp, active boolean,"
    " score double precision, note text",
    "mysql": "id BIGINT PRIMARY KEY, name VARCHAR(50), district VARCHAR(20), qty INT,"
    " amount DECIMAL(12,2), born DATE, seen DATETIME(6), active BOOLEAN, score DOUBLE,"
    " note VARCHAR(50)",
}
_BIG_DDL = {
    "sqlite": "id INTEGER PRIMARY KEY, amount DECIMAL(12,2), name TEXT",
    "postgres": "id bigint PRIMARY KEY, amount numeric(12,2), name text",
    "mysql": "id BIGINT PRIMARY KEY, amount DECIMAL(12,2), name VARCHAR(40)",
}


@dataclass
class BuiltSource:
    """A source holding one fixture table, and a way to run SQL with the kind's own client."""

    kind: str
    settings: SourceSettings
    table: str
    adapter: SourceAdapter
    run_native: Callable[[str], list[tuple[Any, ...]]]
    expected: pa.Table  # the data as this kind declares it

    @property
    def types(self) -> dict[str, pa.DataType]:
        return dict(zip(self.expected.schema.names, self.expected.schema.types, strict=True))

    def fresh(self, **changes: Any) -> SourceAdapter:
        """Return a new adapter over the same source, with some settings changed."""
        values = {**self.settings.__dict__, **changes}
        return open_source(SourceSettings(**values))


def big_table() -> pa.Table:
    """Return 1M rows of (id, amount, name): about 60 MB as Arrow."""
    return duckdb.sql(
        f"SELECT range AS id, (range % 100000 / 100)::DECIMAL(12,2) AS amount,"
        f" md5(range::VARCHAR) AS name FROM range({BIG_ROWS})"
    ).to_arrow_table()


@dataclass(frozen=True)
class TableSpec:
    """A fixture table: its name, its DDL column list per kind (duckdb: none, create from the
    data), whether it is loaded in bulk, and what each kind declares where it differs from the
    data (SQLite and CSV have no integer widths, CSV no decimals)."""

    name: str
    ddl: dict[str, str]
    bulk: bool = False


PEOPLE_SPEC = TableSpec("people", _DDL_TYPES)

# For filters that call functions: case mapping beyond ASCII (É, İ, ß, final Σ, the Kelvin sign
# that lowercases to an ASCII k), '' and NULL, dates on both sides of 1 January, timestamps a
# millisecond before midnight, negative numbers.
_EDGE_ROWS = [
    (1, "Clerk#000000951", "1995-12-31", "1995-12-31 23:59:59.999", -5, "-12.50"),
    (2, "CLERK#000000951", "1996-01-01", "1996-01-01 00:00:00", 5, "12.50"),
    (3, "clerk#000000951", "1996-12-31", "1996-12-31 23:59:59.999", 0, "0.00"),
    (4, "ÉMILE", "1997-01-01", "1997-01-01 00:00:00", -7, "7.25"),
    (5, None, None, None, None, None),
    (6, "émile", "1996-06-15", "1996-06-15 12:00:00", 3, "-0.01"),
    (7, "İSTANBUL", "2000-02-29", "1999-12-31 23:59:59.999", 2147483, "99999.99"),
    (8, "straße", "1999-12-31", "2000-01-01 00:00:00", -1, "1.10"),
    (9, "", "2000-01-01", "2000-12-31 23:59:59.999", 1, "-1.10"),
    (10, "CLER\u212a#000000951", "1996-03-01", "1996-02-29 23:59:59.999", 10, "3.00"),
    (11, "ΣΊΣΥΦΟΣ", "1900-01-01", "1969-12-31 23:59:59.999", -10, "-3.00"),
    (12, "abc ", "2024-12-31", "2024-12-31 23:59:59.999999", 4, "0.50"),
]
_EDGE_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("name", pa.string()),
        ("born", pa.date32()),
        ("seen", pa.timestamp("us")),
        ("qty", pa.int32()),
        ("amount", pa.decimal128(12, 2)),
    ]
)
EDGES = pa.table(
    [
        pa.array(list(values)).cast(f.type)
        for values, f in zip(zip(*_EDGE_ROWS, strict=True), _EDGE_SCHEMA, strict=True)
    ],
    schema=_EDGE_SCHEMA,
)
EDGES_SPEC = TableSpec(
    "edges",
    {
        "sqlite": "id INTEGER PRIMARY KEY, name TEXT, born DATE, seen TIMESTAMP, qty INTEGER,"
        " amount DECIMAL(12,2)",
        "duckdb": "id BIGINT, name VARCHAR, born DATE, seen TIMESTAMP, qty INTEGER,"
        " amount DECIMAL(12,2)",
        "postgres": "id bigint PRIMARY KEY, name text, born date, seen timestamp, qty integer,"
        " amount numeric(12,2)",
        "mysql": "id BIGINT PRIMARY KEY, name VARCHAR(50), born DATE, seen DATETIME(6), qty INT,"
        " amount DECIMAL(12,2)",
    },
)
BIG_SPEC = TableSpec("big", _BIG_DDL, bulk=True)


def declared_types(kind: str, schema: pa.Schema) -> dict[str, pa.DataType]:
    """The Arrow types ``kind`` declares for a table of ``schema`` (see EXPECTED_TYPES)."""
    types = dict(zip(schema.names, schema.types, strict=True))
    for name, data_type in types.items():
        if kind in ("sqlite", "csv") and pa.types.is_integer(data_type):
            types[name] = pa.int64()
        if kind == "csv" and pa.types.is_decimal(data_type):
            types[name] = pa.float64()
    return types


def build(
    kind: str, data: pa.Table, folder: Path, dsn: str | None, spec: TableSpec
) -> Iterator[BuiltSource]:
    """Yield a source of ``kind`` holding ``data``; drop server tables afterwards."""
    builder = {
        "sqlite": _sqlite,
        "duckdb": _duckdb,
        "parquet": _parquet,
        "csv": _csv,
        "postgres": _postgres,
        "mysql": _mysql,
    }[kind]
    yield from builder(data, folder, dsn, spec)


def _settings(kind: str, **values: Any) -> SourceSettings:
    return SourceSettings(name=f"conformance_{kind}", kind=kind, timeout_s=20, **values)


def _finish(
    kind: str, settings: SourceSettings, table: str, native: Any, data: pa.Table
) -> BuiltSource:
    expected = data
    if data.num_rows < BIG_ROWS:  # the big table is only counted and streamed
        declared = EXPECTED_TYPES[kind] if data is PEOPLE else declared_types(kind, data.schema)
        expected = pa.table({n: _as_read(data.column(n), declared[n]) for n in data.column_names})
    return BuiltSource(kind, settings, table, open_source(settings), native, expected)


def _as_read(column: pa.ChunkedArray, declared: pa.DataType) -> pa.ChunkedArray:
    if pa.types.is_decimal(column.type) and pa.types.is_floating(declared):
        # The reader parses the decimal text into the nearest double; Arrow's decimal to double
        # cast can be one unit off (1234567.89 → 1234567.8900000001).
        return column.cast(pa.string()).cast(declared)
    return column.cast(declared)


def _sqlite(
    data: pa.Table, folder: Path, dsn: str | None, spec: TableSpec
) -> Iterator[BuiltSource]:
    table = spec.name
    path = folder / f"{table}.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute(f"CREATE TABLE {table} ({spec.ddl['sqlite']})")
    # SQLite keeps DECIMAL as REAL, dates as ISO text and booleans as 0/1: store them so.
    stored = pa.table({name: _sqlite_storage(data.column(name)) for name in data.column_names})
    writer = adbc_driver_sqlite.dbapi.connect(str(path))
    cursor = writer.cursor()
    cursor.adbc_ingest(table, stored, mode="append")
    cursor.close()
    writer.commit()
    writer.close()

    def native(sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as reader:
            return reader.execute(sql).fetchall()

    built = _finish("sqlite", _settings("sqlite", path=str(path)), table, native, data)
    yield built
    built.adapter.close()


def _sqlite_storage(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_decimal(column.type):
        return column.cast(pa.float64())
    if pa.types.is_boolean(column.type):
        return column.cast(pa.int64())
    if pa.types.is_date(column.type):
        return column.cast(pa.string())
    if pa.types.is_timestamp(column.type):
        return pa.chunked_array(
            [
                pa.array(
                    [None if v is None else v.isoformat(sep=" ") for v in column.to_pylist()],
                    pa.string(),
                )
            ]
        )
    return column


def _duckdb(
    data: pa.Table, folder: Path, dsn: str | None, spec: TableSpec
) -> Iterator[BuiltSource]:
    table = spec.name
    path = folder / f"{table}.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.register("data", data)
        if "duckdb" not in spec.ddl:
            connection.execute(f"CREATE TABLE {table} AS SELECT * FROM data")
        else:
            connection.execute(f"CREATE TABLE {table} ({spec.ddl['duckdb']})")
            connection.execute(f"INSERT INTO {table} SELECT * FROM data")

    def native(sql: str) -> list[tuple[Any, ...]]:
        built.adapter.close()  # one process may not open a file with two configurations
        with duckdb.connect(str(path), read_only=True) as reader:
            return reader.execute(sql).fetchall()

    built = _finish("duckdb", _settings("duckdb", path=str(path)), table, native, data)
    yield built
    built.adapter.close()


def _in_memory_native(sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect() as reader:
        return reader.execute(sql).fetchall()


def _parquet(
    data: pa.Table, folder: Path, dsn: str | None, spec: TableSpec
) -> Iterator[BuiltSource]:
    table = spec.name
    root = folder / f"{table}_parquet"
    root.mkdir()
    pq.write_table(data, root / f"{table}.parquet", row_group_size=100_000)
    built = _finish("parquet", _settings("parquet", path=str(root)), table, _in_memory_native, data)
    yield built
    built.adapter.close()


def _csv(data: pa.Table, folder: Path, dsn: str | None, spec: TableSpec) -> Iterator[BuiltSource]:
    table = spec.name
    root = folder / f"{table}_csv"
    root.mkdir()
    texts = [f.name for f in data.schema if pa.types.is_string(f.type)]
    # Quoting text keeps '' apart from NULL and keeps trailing spaces.
    with duckdb.connect() as connection:
        connection.register("data", data)
        connection.execute(
            f"COPY (SELECT * FROM data) TO '{root / (table + '.csv')}'"
            f" (HEADER, FORCE_QUOTE ({', '.join(texts)}))"
        )
    built = _finish("csv", _settings("csv", path=str(root)), table, _in_memory_native, data)
    yield built
    built.adapter.close()


def _postgres(
    data: pa.Table, folder: Path, dsn: str | None, spec: TableSpec
) -> Iterator[BuiltSource]:
    import adbc_driver_postgresql.dbapi

    assert dsn is not None
    table = f"conformance_{spec.name}_{uuid.uuid4().hex[:8]}"
    connection = adbc_driver_postgresql.dbapi.connect(dsn, autocommit=True)
    cursor = connection.cursor()
    # A test that fails holding a stream open keeps its table locked: fail the DROP, not hang.
    cursor.execute("SET lock_timeout = '10s'")
    cursor.execute(f"CREATE TABLE {table} ({spec.ddl['postgres']})")
    cursor.adbc_ingest(table, data, mode="append")  # binary COPY
    cursor.execute(f"ANALYZE {table}")

    def native(sql: str) -> list[tuple[Any, ...]]:
        cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchall()]

    built = _finish("postgres", _settings("postgres", dsn=dsn), table, native, data)
    try:
        yield built
    finally:
        built.adapter.close()
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.close()
        connection.close()


def _mysql(data: pa.Table, folder: Path, dsn: str | None, spec: TableSpec) -> Iterator[BuiltSource]:
    import connectorx
    import pymysql

    assert dsn is not None
    table = f"conformance_{spec.name}_{uuid.uuid4().hex[:8]}"
    connection = pymysql.connect(
        host="127.0.0.1",
        port=3306,
        user="root",
        database="test",
        charset="utf8mb4",
        local_infile=True,
        autocommit=True,
    )
    ddl = spec.ddl["mysql"]
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {table} ({ddl}) DEFAULT CHARSET=utf8mb4")
        if spec.bulk:
            csv_path = folder / f"{table}.csv"
            with duckdb.connect() as writer:
                writer.register("data", data)
                writer.execute(f"COPY (SELECT * FROM data) TO '{csv_path}' (HEADER false)")
            cursor.execute(
                f"LOAD DATA LOCAL INFILE %s INTO TABLE {table} FIELDS TERMINATED BY ','"
                " OPTIONALLY ENCLOSED BY '\"'",
                (str(csv_path),),
            )
        else:
            marks = ", ".join(["%s"] * data.num_columns)
            cursor.executemany(
                f"INSERT INTO {table} VALUES ({marks})",
                [tuple(row.values()) for row in data.to_pylist()],
            )

    def native(sql: str) -> list[tuple[Any, ...]]:
        result = connectorx.read_sql(dsn, sql, return_type="arrow")
        return [tuple(row.values()) for row in result.to_pylist()]

    built = _finish("mysql", _settings("mysql", dsn=dsn), table, native, data)
    try:
        yield built
    finally:
        built.adapter.close()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        connection.close()


KINDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("duckdb", id="duckdb"),
    pytest.param("parquet", id="parquet"),
    pytest.param("csv", id="csv"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.server),
    pytest.param("mysql", id="mysql", marks=pytest.mark.server),
]
_DSN_FIXTURES = {"postgres": "pg_dsn", "mysql": "mysql_dsn"}


@pytest.fixture(scope="session", params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    """The source kind under test; every conformance test runs once per kind."""
    return str(request.param)


def _dsn(kind: str, request: pytest.FixtureRequest) -> str | None:
    fixture = _DSN_FIXTURES.get(kind)
    return str(request.getfixturevalue(fixture)) if fixture else None


@pytest.fixture
def lacks(request: pytest.FixtureRequest, kind: str) -> Callable[[dict[str, str]], None]:
    """Call with {kind: reason} to mark this test xfail(strict=True) for kinds lacking it."""

    def mark(reasons: dict[str, str]) -> None:
        if kind in reasons:
            request.applymarker(pytest.mark.xfail(strict=True, reason=reasons[kind]))

    return mark


@pytest.fixture(scope="session")
def people(
    kind: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BuiltSource]:
    """The PEOPLE table stored in a source of ``kind``."""
    folder: Path = tmp_path_factory.mktemp(f"people_{kind}")
    yield from build(kind, PEOPLE, folder, _dsn(kind, request), PEOPLE_SPEC)


@pytest.fixture(scope="session")
def big(
    kind: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BuiltSource]:
    """A 1M-row table stored in a source of ``kind``."""
    folder: Path = tmp_path_factory.mktemp(f"big_{kind}")
    yield from build(kind, big_table(), folder, _dsn(kind, request), BIG_SPEC)


@pytest.fixture(scope="session")
def edges(
    kind: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BuiltSource]:
    """The EDGES table (function-filter edge cases) stored in a source of ``kind``."""
    folder: Path = tmp_path_factory.mktemp(f"edges_{kind}")
    yield from build(kind, EDGES, folder, _dsn(kind, request), EDGES_SPEC)

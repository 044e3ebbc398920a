"""Declared types → Arrow types, and conform(): what each driver produces becomes the declared
schema, exactly, without per-row Python."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest

from adapters.types import ConformError, arrow_type, conform, plain_type

DECLARED = [
    # (declared type, SQLite affinity rules?, Arrow type)
    ("INTEGER", False, pa.int32()),
    ("integer", True, pa.int64()),
    ("SMALLINT", False, pa.int16()),
    ("SMALLINT", True, pa.int64()),
    ("bigint", False, pa.int64()),
    ("int(11) unsigned", False, pa.uint32()),
    ("tinyint(4)", False, pa.int8()),
    ("tinyint(1)", False, pa.bool_()),
    ("BOOLEAN", True, pa.bool_()),
    ("DECIMAL(15,2)", True, pa.decimal128(15, 2)),
    ("numeric(12, 2)", False, pa.decimal128(12, 2)),
    ("decimal(10)", False, pa.decimal128(10, 0)),
    ("numeric", False, pa.float64()),  # unconstrained: DOUBLE, as DuckDB's scanners do
    ("numeric(50,2)", False, pa.float64()),  # wider than decimal128
    ("REAL", True, pa.float64()),
    ("double precision", False, pa.float64()),
    ("FLOAT", False, pa.float64()),
    ("DATE", True, pa.date32()),
    ("timestamp without time zone", False, pa.timestamp("us")),
    ("timestamp with time zone", False, pa.timestamp("us", tz="UTC")),
    ("datetime(6)", False, pa.timestamp("us")),
    ("TIMESTAMP", True, pa.timestamp("us")),
    ("time", False, pa.time64("us")),
    ("character varying", False, pa.string()),
    ("varchar(64)", False, pa.string()),
    ("enum('a','b')", False, pa.string()),
    ("bytea", False, pa.binary()),
    ("", True, pa.string()),
    ("NUM", True, pa.float64()),
    ("NVARCHAR(10)", True, pa.string()),
    ("BLOB", True, pa.binary()),
    ("DECIMAL", True, pa.float64()),
]


@pytest.mark.parametrize(("declared", "sqlite", "expected"), DECLARED)
def test_declared_type_maps_to_arrow(declared: str, sqlite: bool, expected: pa.DataType) -> None:
    assert arrow_type(declared, sqlite_affinity=sqlite) == expected


def test_plain_type_decodes_dictionaries_and_large_layouts() -> None:
    assert plain_type(pa.dictionary(pa.int32(), pa.large_string())) == pa.string()
    assert plain_type(pa.large_binary()) == pa.binary()


def _batch(array: pa.Array) -> pa.RecordBatch:
    return pa.record_batch([array], names=["c"])


def _conformed(array: pa.Array, target: pa.DataType) -> pa.Array:
    return conform(_batch(array), pa.schema([pa.field("c", target)])).column(0)


def test_sqlite_real_becomes_the_exact_decimal() -> None:
    decimals = [Decimal(f"{n}.{f:02d}") for n in (-(10**12), -1, 0, 7, 10**12) for f in range(100)]
    stored = pa.array([float(d) for d in decimals])  # what SQLite keeps for DECIMAL(15,2)
    assert _conformed(stored, pa.decimal128(15, 2)).to_pylist() == decimals


def test_connectorx_wide_decimal_narrows_to_the_declared_scale() -> None:
    wide = pa.array([Decimal("12.5000000000"), None], pa.decimal128(38, 10))
    assert _conformed(wide, pa.decimal128(12, 2)).to_pylist() == [Decimal("12.50"), None]
    digits = pa.array([Decimal("1.2350000000")], pa.decimal128(38, 10))  # a computed column
    assert _conformed(digits, pa.decimal128(12, 2)).to_pylist() == [Decimal("1.24")]


def test_postgres_numeric_text_becomes_decimal() -> None:
    opaque = pa.opaque(pa.string(), "numeric", "PostgreSQL")
    numeric = pa.ExtensionArray.from_storage(opaque, pa.array(["1.50", None, "-0.01"]))
    assert _conformed(numeric, pa.decimal128(12, 2)).to_pylist() == [
        Decimal("1.50"),
        None,
        Decimal("-0.01"),
    ]


def test_iso_text_becomes_dates_and_timestamps() -> None:
    dates = pa.array(["1998-09-02", None])
    assert _conformed(dates, pa.date32()).to_pylist() == [dt.date(1998, 9, 2), None]
    times = pa.array(["2020-01-01 10:00:00.123456", "2020-01-01T10:00:00", "2020-01-01"])
    assert _conformed(times, pa.timestamp("us")).to_pylist() == [
        dt.datetime(2020, 1, 1, 10, 0, 0, 123456),
        dt.datetime(2020, 1, 1, 10),
        dt.datetime(2020, 1, 1),
    ]


def test_small_integers_and_nulls_become_declared_types() -> None:
    assert _conformed(pa.array([1, 0, None], pa.int8()), pa.bool_()).to_pylist() == [
        True,
        False,
        None,
    ]
    assert _conformed(pa.nulls(2), pa.date32()).type == pa.date32()
    words = pa.array(["a", "b", "a"]).dictionary_encode()
    assert _conformed(words, pa.string()).to_pylist() == ["a", "b", "a"]


def test_a_batch_without_columns_keeps_its_rows() -> None:
    batch = pa.record_batch([pa.array([1, 1, 1])], names=["_row"])
    assert conform(batch, pa.schema([])).num_rows == 3


def test_conform_error_names_the_column_but_not_the_value() -> None:
    with pytest.raises(ConformError) as raised:
        _conformed(pa.array(["SECRET-not-a-date"]), pa.date32())
    assert "'c'" in str(raised.value)
    assert "SECRET" not in str(raised.value)

"""Declared SQL types → Arrow types, and casting what a driver produced to the declared schema.

Drivers disagree about types: SQLite hands back REAL for DECIMAL columns and ISO text for dates,
DuckDB's postgres scanner float4 as float32 and timestamptz in its own zone, connectorx widens
every MySQL DECIMAL to decimal128(38, 10) (wider ones arrive as exact text) and BOOLEAN to int32,
ADBC PostgreSQL (the test fixtures' loader) numeric as text. ``conform`` turns each batch into
the declared schema with pyarrow.compute kernels, so the engine sees one type per column
whatever the source.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["ConformError", "arrow_type", "conform", "plain_type"]

# Arrow's decimal128 holds 38 digits; wider or unconstrained decimals become DOUBLE, as DuckDB's
# own postgres/mysql scanners do, so a federated answer matches DuckDB on local copies.
_MAX_DECIMAL_PRECISION = 38

_INT_BITS = {
    "tinyint": 8,
    "int1": 8,
    "smallint": 16,
    "int2": 16,
    "smallserial": 16,
    "year": 16,
    "mediumint": 32,
    "int": 32,
    "integer": 32,
    "int4": 32,
    "serial": 32,
    "bigint": 64,
    "int8": 64,
    "bigserial": 64,
}
_SIGNED = {8: pa.int8(), 16: pa.int16(), 32: pa.int32(), 64: pa.int64()}
_UNSIGNED = {8: pa.uint8(), 16: pa.uint16(), 32: pa.uint32(), 64: pa.uint64()}
_DECIMALS = {"decimal", "numeric", "dec", "fixed"}
_FLOATS = {"real", "float", "double", "double precision", "float4", "float8"}
_BOOLEANS = {"boolean", "bool"}
_DATES = {"date"}
_TIMES = {"time", "time without time zone"}
_TIMESTAMPS = {"timestamp", "datetime", "timestamp without time zone"}
_TIMESTAMPS_TZ = {"timestamptz", "timestamp with time zone"}
_BINARIES = {"blob", "bytea", "binary", "varbinary", "tinyblob", "mediumblob", "longblob"}

_PARENTHESISED = re.compile(r"\([^)]*\)")
_PARAMS = re.compile(r"\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)")


def arrow_type(declared: str, *, sqlite_affinity: bool = False) -> pa.DataType:
    """Return the Arrow type for a declared SQL column type such as ``DECIMAL(15,2)``.

    Integers keep the width the source declares (PostgreSQL ``integer`` → int32). With
    ``sqlite_affinity`` every integer is int64 (SQLite does not enforce widths) and names outside
    the usual vocabulary follow SQLite's type-affinity rules.

    >>> arrow_type("numeric(15,2)"), arrow_type("tinyint(1)")
    (Decimal128Type(decimal128(15, 2)), DataType(bool))
    >>> arrow_type("SMALLINT", sqlite_affinity=True)
    DataType(int64)
    """
    text = " ".join(declared.lower().split())
    params = _PARAMS.search(text)
    words = _PARENTHESISED.sub(" ", text).split()
    unsigned = "unsigned" in words
    name = " ".join(w for w in words if w not in {"unsigned", "signed", "zerofill"})

    if name in _BOOLEANS or (name == "tinyint" and params and params.group(1) == "1"):
        return pa.bool_()  # MySQL spells BOOLEAN as tinyint(1)
    if name in _INT_BITS:
        if sqlite_affinity:
            return pa.int64()
        return (_UNSIGNED if unsigned else _SIGNED)[_INT_BITS[name]]
    if name in _DECIMALS:
        if params and int(params.group(1)) <= _MAX_DECIMAL_PRECISION:
            return pa.decimal128(int(params.group(1)), int(params.group(2) or 0))
        return pa.float64()
    if name in _FLOATS:
        return pa.float64()
    if name in _DATES:
        return pa.date32()
    if name in _TIMES:
        return pa.time64("us")
    if name in _TIMESTAMPS:
        return pa.timestamp("us")
    if name in _TIMESTAMPS_TZ:
        return pa.timestamp("us", tz="UTC")
    if name in _BINARIES:
        return pa.binary()
    if sqlite_affinity:
        return _sqlite_affinity(name)
    # text, varchar, char, character varying, bpchar, uuid, json, enum(...), citext, …
    return pa.string()


def _sqlite_affinity(name: str) -> pa.DataType:
    """SQLite's rules (https://sqlite.org/datatype3.html §3.1) for names it does not spell out."""
    if "int" in name:
        return pa.int64()
    if any(word in name for word in ("char", "clob", "text")) or not name:
        # A column without a declared type holds whatever was stored; text is what every storage
        # class converts to without loss.
        return pa.string()
    if "blob" in name:
        return pa.binary()
    return pa.float64()  # REAL and NUMERIC affinity: SQLite keeps these as doubles


def plain_type(data_type: pa.DataType) -> pa.DataType:
    """Return the schema type for a type DuckDB or a driver reported: dictionaries decoded,
    large and view layouts replaced by the plain ones."""
    if pa.types.is_dictionary(data_type):
        return plain_type(data_type.value_type)
    if isinstance(data_type, pa.BaseExtensionType):
        return plain_type(data_type.storage_type)
    if pa.types.is_large_string(data_type) or pa.types.is_string_view(data_type):
        return pa.string()
    if pa.types.is_large_binary(data_type) or pa.types.is_binary_view(data_type):
        return pa.binary()
    return data_type


class ConformError(ValueError):
    """A column arrived in a form that cannot be read as its declared type. The message names the
    column and the types, never a value."""

    def __init__(self, column: str, got: pa.DataType, want: pa.DataType) -> None:
        super().__init__(f"column {column!r} arrived as {got} and cannot be read as {want}")
        self.column = column


def conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """Return ``batch`` cast column by column (by position) to ``schema``."""
    if len(schema) == 0:
        return batch.select([])  # keeps num_rows: a count(*) scan needs rows, not columns
    if batch.num_columns != len(schema):
        raise ValueError(
            f"the source returned {batch.num_columns} columns where {len(schema)} were asked for"
        )
    if batch.schema.equals(schema):
        return batch
    arrays = [
        _conform_array(batch.column(i), field.type, field.name) for i, field in enumerate(schema)
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _conform_array(array: pa.Array, target: pa.DataType, name: str) -> pa.Array:
    got = array.type
    if isinstance(array, pa.ExtensionArray):  # ADBC's PostgreSQL numeric: text inside
        array = array.storage
    if isinstance(array, pa.DictionaryArray):
        array = array.dictionary_decode()
    if array.type.equals(target):
        return array
    if pa.types.is_null(array.type):
        return pa.nulls(len(array)).cast(target)
    try:
        if pa.types.is_decimal(target):
            return _to_decimal(array, target, target.scale)
        if pa.types.is_boolean(target) and pa.types.is_floating(array.type):
            array = pc.cast(array, pa.int64())
        return pc.cast(array, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        # Arrow's messages quote the offending value; ours must not (DESIGN invariant 5).
        raise ConformError(name, got, target) from None


def _to_decimal(array: pa.Array, target: pa.DataType, scale: int) -> pa.Array:
    source = array.type
    if pa.types.is_floating(source):
        # SQLite keeps DECIMAL as the nearest double, which lies within half a unit in the last
        # declared place of the exact value; rounding to the scale recovers it (for ≤ 15 digits).
        array = pc.round(array, ndigits=scale)
    elif pa.types.is_decimal(source) and source.scale > scale:
        # connectorx widens every MySQL DECIMAL to scale 10 with zeros, which cast drops; a
        # computed column (a rounding mask) may carry real digits, which are rounded away.
        try:
            return pc.cast(array, target)
        except pa.ArrowInvalid:
            array = pc.round(array, ndigits=scale)
    return pc.cast(array, target)

"""The TPC-H tables as a DBA would declare them: types, text lengths, keys and indexes."""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

TPCH_TABLES = ("region", "nation", "supplier", "part", "partsupp", "customer", "orders", "lineitem")

PRIMARY_KEYS: Mapping[str, tuple[str, ...]] = {
    "region": ("r_regionkey",),
    "nation": ("n_nationkey",),
    "supplier": ("s_suppkey",),
    "part": ("p_partkey",),
    "partsupp": ("ps_partkey", "ps_suppkey"),
    "customer": ("c_custkey",),
    "orders": ("o_orderkey",),
    "lineitem": ("l_orderkey", "l_linenumber"),
}

# Secondary indexes a DBA adds: foreign keys that TPC-H joins on and the date columns it
# ranges over. Only sources with indexes (servers, SQLite) get them.
SECONDARY_INDEXES: Mapping[str, tuple[tuple[str, ...], ...]] = {
    "nation": (("n_regionkey",),),
    "supplier": (("s_nationkey",),),
    "partsupp": (("ps_suppkey",),),
    "customer": (("c_nationkey",),),
    "orders": (("o_custkey",), ("o_orderdate",)),
    "lineitem": (("l_partkey", "l_suppkey"), ("l_suppkey",), ("l_shipdate",)),
}

# TPC-H specification lengths of the text columns (fixed-width CHAR(n) in the spec is VARCHAR(n)
# here, as in DuckDB's dbgen: CHAR would pad values with blanks on the way out).
_TEXT_LENGTHS: Mapping[str, int] = {
    "r_name": 25, "r_comment": 152,
    "n_name": 25, "n_comment": 152,
    "s_name": 25, "s_address": 40, "s_phone": 15, "s_comment": 101,
    "p_name": 55, "p_mfgr": 25, "p_brand": 10, "p_type": 25, "p_container": 10, "p_comment": 23,
    "ps_comment": 199,
    "c_name": 25, "c_address": 40, "c_phone": 15, "c_mktsegment": 10, "c_comment": 117,
    "o_orderstatus": 1, "o_orderpriority": 15, "o_clerk": 15, "o_comment": 79,
    "l_returnflag": 1, "l_linestatus": 1, "l_shipinstruct": 25, "l_shipmode": 10,
    "l_comment": 44,
}  # fmt: skip


def column_types(schema: pa.Schema) -> list[tuple[str, str]]:
    """Return (column, SQL type) for a TPC-H table: dbgen's types, with the spec's text lengths."""
    return [(field.name, _sql_type(field.name, field.type)) for field in schema]


def _sql_type(column: str, arrow_type: pa.DataType) -> str:
    if pa.types.is_int64(arrow_type):
        return "BIGINT"
    if pa.types.is_int32(arrow_type):
        return "INTEGER"
    if pa.types.is_decimal(arrow_type):
        return f"DECIMAL({arrow_type.precision},{arrow_type.scale})"
    if pa.types.is_date32(arrow_type):
        return "DATE"
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return f"VARCHAR({_TEXT_LENGTHS[column]})" if column in _TEXT_LENGTHS else "VARCHAR"
    raise TypeError(f"no SQL type for column {column} of Arrow type {arrow_type}")

"""The W4 minimum: the Arrow bytes of exactly the matching rows, in the columns selected, typed
as the source declares them, with no validity bitmap where a column has no NULLs."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pyarrow as pa

from benchmarks.pushdown_matrix import MinimalPeer, Shape, arrow_bytes


def test_arrow_bytes_leaves_out_bitmaps_of_columns_without_nulls() -> None:
    from_duckdb = duckdb.sql("SELECT k::BIGINT AS k, s FROM (VALUES (7, 'ab'), (8, 'c')) v(k, s)")
    table = from_duckdb.to_arrow_table()
    assert table.column("k").chunks[0].buffers()[0] is not None  # DuckDB writes one anyway
    sent_without_bitmaps = pa.table({"k": pa.array([7, 8], pa.int64()), "s": ["ab", "c"]})
    assert sent_without_bitmaps.column("k").chunks[0].buffers()[0] is None
    assert arrow_bytes(table) == sent_without_bitmaps.nbytes < table.nbytes


def test_arrow_bytes_keeps_the_bitmap_of_a_column_with_nulls() -> None:
    table = pa.table({"k": pa.array([1, None, 3], pa.int64())})
    assert arrow_bytes(table) == 24 + 1


def test_minimum_is_the_matching_rows_in_the_selected_columns_as_the_source_types_them() -> None:
    orders = pa.table(
        {
            "o_orderkey": pa.array([1, 2, 3, 4], pa.int64()),
            "o_custkey": pa.array([10, 11, 10, 12], pa.int64()),
            "o_totalprice": pa.array([Decimal("1.50")] * 4, pa.decimal128(15, 2)),
            "o_comment": pa.array(["long text that is never selected"] * 4),
        }
    )
    # A CSV source sniffs the price as DOUBLE: 8 bytes a value, not a decimal's 16.
    declared = pa.schema(
        [
            ("o_orderkey", pa.int64()),
            ("o_custkey", pa.int64()),
            ("o_totalprice", pa.float64()),
            ("o_comment", pa.string()),
        ]
    )
    peer = MinimalPeer(orders, declared)
    try:
        answer = peer.run(Shape("=", "o_custkey = 10", ()).sql("orders"))
    finally:
        peer.close()
    assert answer.column_names == ["o_orderkey", "o_custkey", "o_totalprice"]
    assert answer.num_rows == 2
    assert arrow_bytes(answer) == 2 * (8 + 8 + 8)

"""The differential check itself: it must catch what matters and forgive what does not."""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa

from benchmarks.answers import answer_difference

SQL = "SELECT k, v FROM t ORDER BY k DESC"


def _table(k: list[int], v: pa.Array) -> pa.Table:
    return pa.table({"k": pa.array(k, pa.int64()), "v": v})


def test_same_rows_in_a_tie_order_are_the_same_answer() -> None:
    expected = _table([2, 1, 1], pa.array([Decimal("1.50"), Decimal("2.00"), Decimal("3.00")]))
    actual = _table([2, 1, 1], pa.array([Decimal("1.50"), Decimal("3.00"), Decimal("2.00")]))
    assert answer_difference(actual, expected, SQL) is None


def test_rows_against_the_order_by_are_caught() -> None:
    expected = _table([2, 1], pa.array([Decimal("1.50"), Decimal("2.00")]))
    actual = _table([1, 2], pa.array([Decimal("2.00"), Decimal("1.50")]))
    assert "ORDER BY" in str(answer_difference(actual, expected, SQL))


def test_a_decimal_returned_as_double_is_caught() -> None:
    expected = _table([1], pa.array([Decimal("1.50")], pa.decimal128(38, 2)))
    actual = _table([1], pa.array([1.5], pa.float64()))
    assert "type" in str(answer_difference(actual, expected, SQL))


def test_a_one_cent_difference_is_caught() -> None:
    expected = _table([1], pa.array([Decimal("1.50")]))
    actual = _table([1], pa.array([Decimal("1.51")]))
    assert "rows differ" in str(answer_difference(actual, expected, SQL))


def test_floats_agree_within_a_tight_tolerance_only() -> None:
    expected = _table([1], pa.array([2.0 / 3.0]))
    assert answer_difference(_table([1], pa.array([0.6666666666666667])), expected, SQL) is None
    assert answer_difference(_table([1], pa.array([0.66666667])), expected, SQL) is not None


def test_integer_widths_may_differ() -> None:
    expected = pa.table({"k": pa.array([1], pa.int32()), "v": pa.array(["a"])})
    actual = pa.table({"k": pa.array([1], pa.int64()), "v": pa.array(["a"])})
    assert answer_difference(actual, expected, "SELECT k, v FROM t") is None

"""Working days and months, as the offboarding and review rules count them."""

from __future__ import annotations

import datetime as dt

import pytest

from api.governance import GovernanceError
from api.governance.calendar_rules import add_months, parse_date, working_days_before

D = dt.date


@pytest.mark.parametrize(
    ("day", "count", "expected"),
    [
        (D(2026, 7, 17), 10, D(2026, 7, 3)),  # Friday → two weeks earlier, a Friday
        (D(2026, 7, 13), 1, D(2026, 7, 10)),  # Monday → the Friday before
        (D(2026, 7, 13), 5, D(2026, 7, 6)),  # Monday → the Monday before
        (D(2026, 7, 18), 1, D(2026, 7, 17)),  # Saturday → Friday
        (D(2026, 7, 19), 10, D(2026, 7, 6)),  # Sunday → ten working days back
        (D(2026, 7, 15), 0, D(2026, 7, 15)),
        (D(2026, 1, 2), 3, D(2025, 12, 30)),  # across the year end
    ],
)
def test_working_days_before_counts_mondays_to_fridays(
    day: dt.date, count: int, expected: dt.date
) -> None:
    assert working_days_before(day, count) == expected
    assert expected.weekday() < 5 or count == 0


def test_working_days_before_refuses_a_negative_count() -> None:
    with pytest.raises(ValueError, match="zero or more"):
        working_days_before(D(2026, 7, 15), -1)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2026, 1, 15), 6, D(2026, 7, 15)),
        (D(2026, 8, 31), 6, D(2027, 2, 28)),  # clamped to the shorter month
        (D(2027, 8, 31), 6, D(2028, 2, 29)),  # a leap year
        (D(2026, 12, 1), 1, D(2027, 1, 1)),
        (D(2026, 3, 31), -1, D(2026, 2, 28)),
    ],
)
def test_add_months_clamps_to_the_month_end(day: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(day, months) == expected


def test_parse_date_names_the_key() -> None:
    assert parse_date("2026-07-15", "departure") == D(2026, 7, 15)
    assert parse_date(dt.datetime(2026, 7, 15, 9), "departure") == D(2026, 7, 15)
    with pytest.raises(GovernanceError, match="departure: write a date as YYYY-MM-DD"):
        parse_date("15/07/2026", "departure")

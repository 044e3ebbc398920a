"""Date arithmetic the procedure speaks in: working days (Monday to Friday) and months.

Public holidays are not known here, so "10 working days" counts Mondays to Fridays only and may
fall a day or two earlier than an office calendar would — never later.

>>> working_days_before(dt.date(2026, 7, 17), 10)  # a Friday
datetime.date(2026, 7, 3)
>>> add_months(dt.date(2026, 8, 31), 6)
datetime.date(2027, 2, 28)
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from api.governance.errors import GovernanceError


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5


def working_days_before(day: dt.date, count: int) -> dt.date:
    """The date ``count`` working days before ``day`` (``day`` itself is not counted)."""
    if count < 0:
        raise ValueError("count must be zero or more working days")
    current = day
    remaining = count
    while remaining:
        current -= dt.timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months`` calendar months, clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def parse_date(value: Any, key: str) -> dt.date:
    """``value`` (a date or YYYY-MM-DD) as a date, or ``GovernanceError`` naming ``key``."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise GovernanceError(f"{key}: write a date as YYYY-MM-DD") from None

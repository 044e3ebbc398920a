"""Synthetic audit activity: query events with chosen times, users and cases, written straight
to an AuditLog, so sampling and anomaly rules can be tested on a month of realistic traffic."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from audit import AuditLog
from demo.national_id import check_digit

TAIPEI = dt.timezone(dt.timedelta(hours=8))
OFFICE_HOURS = (9, 10, 14)  # three queries a working day, well inside office hours


def person(n: int, sex: int = 1) -> str:
    """The n-th valid Taipei national ID."""
    body = f"{sex}{n:07d}"
    return f"A{body}{check_digit('A', body)}"


ALICE, BOB = person(11), person(12, sex=2)


def write_config(directory: Path, extra: str = "") -> Path:
    """A one-table SQLite source ``s``, a missing source ``gone``, user ``u`` (agency A)
    granted both for purpose ``p``, and extra users for reviews."""
    with sqlite3.connect(directory / "s.sqlite") as conn:
        conn.execute("CREATE TABLE persons (national_id TEXT, name TEXT, district TEXT)")
        conn.executemany(
            "INSERT INTO persons VALUES (?, ?, ?)",
            [(ALICE, "王小明", "大安區"), (BOB, "陳美玲", "信義區")],
        )
    path = directory / "civicfed.toml"
    path.write_text(
        f"""
[federation]
data_dir = "var"
{extra}
[[agencies]]
code = "A"
name = "a"
[sources.s]
kind = "sqlite"
path = "s.sqlite"
owner = "A"
[sources.gone]
kind = "sqlite"
path = "gone.sqlite"
owner = "A"
[[purposes]]
code = "p"
name = "p"
[[purposes]]
code = "q"
name = "q"
[[users]]
name = "u"
agency = "A"
[[users]]
name = "auditor"
agency = "A"
roles = ["auditor"]
[[users]]
name = "head"
agency = "A"
roles = ["agency_manager"]
[[grants]]
user = "u"
table = "s.*"
columns = "*"
purposes = ["p"]
[[grants]]
user = "u"
table = "gone.*"
columns = "*"
purposes = ["p"]
""",
        encoding="utf-8",
    )
    return path


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TAIPEI)


def workdays(start: dt.date, end: dt.date) -> list[dt.date]:
    days = []
    day = start
    while day < end:
        if day.isoweekday() <= 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


class Activity:
    """Writes query events; every query gets its own person and case unless told otherwise."""

    def __init__(self, log: AuditLog) -> None:
        self.log = log
        self.count = 0

    def query(
        self,
        when: dt.datetime,
        user: str = "clerk_a",
        agency: str = "DAAN",
        *,
        outcome: str = "ok",
        sources: Sequence[str] = ("household",),
        person_id: str | None = None,
        case_no: str | None = "",
        document_no: str | None = None,
        purpose: str = "welfare-eligibility",
        case_name: str | None = None,
        envelope: bool = True,
    ) -> int:
        self.count += 1
        n = self.count
        pid = person_id or person(100_000 + n)
        envelope_fields: dict[str, Any] | None = None
        if envelope:
            envelope_fields = {
                "case_name": case_name or f"case {n}",
                "purpose": purpose,
                "document_no": document_no,
                "case_no": f"{agency}-{n}" if case_no == "" else case_no,
                "legal_basis": None,
            }
        planned = outcome in ("ok", "error")
        return self.log.append(
            {
                "type": "query",
                "time": when.isoformat(timespec="microseconds"),
                "query_id": f"q{n:06d}",
                "user": user,
                "agency": agency,
                "roles": ["user"],
                "purpose": envelope_fields,
                "sql": f"SELECT name FROM {' NATURAL JOIN '.join(f'{s}.persons' for s in sources)}"
                f" WHERE national_id = '{pid}'",
                "rewritten_sql": "SELECT name FROM scan_1" if planned else None,
                "source_sql": [
                    {"source": s, "table": "persons", "statement": f"SELECT name FROM {s}"}
                    for s in sources
                ]
                if planned
                else [],
                "tables": [
                    {"table": f"{s}.persons", "columns": ["name"], "grants": ["g1"]}
                    for s in sources
                ]
                if planned
                else [],
                "outcome": outcome,
                "error_code": None if outcome == "ok" else "access_denied",
                "reason": None if outcome == "ok" else "name is not granted",
                "rows": 1 if outcome == "ok" else 0,
                "bytes_per_source": {s: 100 for s in sources} if planned else {},
                "duration_ms": 3.5,
            }
        )

    def routine(
        self,
        start: dt.date,
        end: dt.date,
        users: Sequence[tuple[str, str]] = (("clerk_a", "DAAN"), ("clerk_b", "XINYI")),
    ) -> list[int]:
        """Ordinary work: each user, three lookups per working day in office hours, each a
        different person and case. No rule should flag any of it."""
        seqs = []
        for day in workdays(start, end):
            for user, agency in users:
                for hour in OFFICE_HOURS:
                    seqs.append(self.query(at(day, hour), user, agency))
        return seqs

"""The adversarial suite's fixtures: the demo scenario of DESIGN.md §6 (its real users and
grants), the same data as local DuckDB tables (ground truth, to know the secrets), and an
``Adversary`` that runs an attack and checks that nothing forbidden came back — neither in the
result nor in the error message.

Every attack ends in one of two ways, and both are checked:
- refused: the error has the expected code and its message carries no data value, no column or
  table name the user may not see (unless the user typed it), and no internal SQL;
- answered: the result holds only what the grant allows (compared with the ground truth).
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from audit import MemorySink
from demo.scenario import read_facts, setup
from engine import Federation, Purpose
from engine.errors import FederationError
from tests.ground_truth import local_copies

SCALE = 3000
SEED = 7

CLERK = "clerk_daan"
CLERK_XINYI = "clerk_xinyi"
ANALYST = "analyst_dbas"
DAAN = "大安區"
XINYI = "信義區"

WELFARE = Purpose(case_name="低收入戶資格複查", purpose="welfare-eligibility", case_no="113-0042")
STATISTICS = Purpose(
    case_name="各行政區社會救助人數與金額統計", purpose="statistics", case_no="113-STAT-007"
)
LAND_ADMIN = Purpose(case_name="土地持分查核", purpose="land-admin", case_no="113-L-9")
DEFAULT_PURPOSE = {CLERK: WELFARE, CLERK_XINYI: WELFARE, ANALYST: STATISTICS}

REFUSED = ("access_denied", "invalid_query")

# Columns and tables each user has no grant on (DESIGN.md §6). A message may name one only if the
# user typed it; names that are ordinary English words ("name", "share") are left out, because
# messages legitimately say "name the columns".
UNGRANTED_COLUMNS = {
    CLERK: (
        "phone",
        "household_id",
        "monthly_amount",
        "case_id",
        "head_national_id",
        "registered_on",
        "announced_value",
        "permit_no",
        "inspection_id",
        "violations",
    ),
    ANALYST: (
        "phone",
        "household_id",
        "case_id",
        "address",
        "start_date",
        "end_date",
        "head_national_id",
        "owner_national_id",
        "parcel_no",
        "announced_value",
        "permit_no",
        "inspection_id",
        "violations",
    ),
}
UNGRANTED_TABLES = {
    CLERK: ("households", "permits", "inspections"),
    ANALYST: ("households", "ownership", "parcels", "permits", "inspections"),
}
# Internal names and DuckDB's echo of the rewritten SQL: they show row filters, masks and other
# tables' scans, so no message may carry them.
INTERNAL_MARKERS = ("scan_", "__civicfed", "LINE 1", "Traceback")


# -- the demo, the federation and the ground truth ----------------------------------------------
@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("adversarial-demo")
    setup(directory, scale=SCALE, seed=SEED)
    return directory


@pytest.fixture(scope="session")
def facts(demo_dir: Path) -> dict[str, Any]:
    return read_facts(demo_dir)


@pytest.fixture(scope="session")
def audit_sink() -> MemorySink:
    return MemorySink()


@pytest.fixture(scope="session")
def fed(demo_dir: Path, audit_sink: MemorySink) -> Iterator[Federation]:
    federation = Federation.open(demo_dir / "civicfed.toml", audit=audit_sink)
    yield federation
    federation.close()


@pytest.fixture(scope="session")
def truth() -> Iterator[duckdb.DuckDBPyConnection]:
    """The demo tables as local DuckDB copies, under the same source.table names."""
    conn = local_copies(SCALE, SEED)
    yield conn
    conn.close()


# -- the secrets, read from the ground truth -----------------------------------------------------
@dataclass(frozen=True)
class People:
    """Who the attacks are about."""

    subject: str  # the demo's lookup person, in 大安區, with a welfare case and a parcel
    subject_phone: str
    subject_birth_date: dt.date
    outsider: str  # a person outside 大安區 with a welfare case and parcels
    outsider_name: str
    outsider_district: str
    xinyi_subject: str  # a person in 信義區 with a welfare case
    daan_ids: frozenset[str]
    daan_names: frozenset[str]


@dataclass(frozen=True)
class Secrets:
    """Values that must never reach a given user, by kind."""

    phones: frozenset[str]
    household_ids: frozenset[str]
    national_ids: frozenset[str]
    names: frozenset[str]  # every person's name
    names_outside_daan: frozenset[str]  # names no 大安區 person bears
    ids_outside_daan: frozenset[str]
    addresses: frozenset[str]
    addresses_outside_daan: frozenset[str]
    raw_birth_dates: frozenset[dt.date]  # birth dates that are not 1 January
    monthly_amounts: frozenset[decimal.Decimal]
    case_ids: frozenset[str]


@pytest.fixture(scope="session")
def people(truth: duckdb.DuckDBPyConnection, facts: dict[str, Any]) -> People:
    subject = facts["lookup_person"]["national_id"]
    phone, birth = truth.execute(
        "SELECT phone, birth_date FROM household.persons WHERE national_id = ?", [subject]
    ).fetchone()
    outsider, name, district = truth.execute(
        """SELECT p.national_id, p.name, p.district FROM household.persons p
           WHERE p.district <> ?
             AND p.national_id IN (SELECT national_id FROM welfare.recipients)
             AND p.national_id IN (SELECT owner_national_id FROM land.ownership)
             AND p.name NOT IN (SELECT name FROM household.persons WHERE district = ?)
           ORDER BY p.national_id LIMIT 1""",
        [DAAN, DAAN],
    ).fetchone()
    (xinyi,) = truth.execute(
        """SELECT p.national_id FROM household.persons p
           JOIN welfare.recipients r USING (national_id)
           WHERE p.district = ? ORDER BY p.national_id LIMIT 1""",
        [XINYI],
    ).fetchone()
    daan = truth.execute(
        "SELECT national_id, name FROM household.persons WHERE district = ?", [DAAN]
    ).fetchall()
    return People(
        subject=subject,
        subject_phone=phone,
        subject_birth_date=birth,
        outsider=outsider,
        outsider_name=name,
        outsider_district=district,
        xinyi_subject=xinyi,
        daan_ids=frozenset(i for i, _ in daan),
        daan_names=frozenset(n for _, n in daan),
    )


@pytest.fixture(scope="session")
def secrets(truth: duckdb.DuckDBPyConnection) -> Secrets:
    def column(sql: str) -> frozenset[Any]:
        return frozenset(r[0] for r in truth.execute(sql).fetchall() if r[0] is not None)

    in_daan = f"district = '{DAAN}'"
    return Secrets(
        phones=column("SELECT phone FROM household.persons"),
        household_ids=column("SELECT household_id FROM household.persons"),
        national_ids=column("SELECT national_id FROM household.persons"),
        names=column("SELECT name FROM household.persons"),
        names_outside_daan=column(
            f"SELECT name FROM household.persons WHERE NOT {in_daan} "
            f"EXCEPT SELECT name FROM household.persons WHERE {in_daan}"
        ),
        ids_outside_daan=column(f"SELECT national_id FROM household.persons WHERE NOT {in_daan}"),
        addresses=column("SELECT address FROM household.persons"),
        addresses_outside_daan=column(f"SELECT address FROM household.persons WHERE NOT {in_daan}"),
        raw_birth_dates=column(
            "SELECT birth_date FROM household.persons "
            "WHERE birth_date <> CAST(date_trunc('year', birth_date) AS DATE)"
        ),
        monthly_amounts=column("SELECT monthly_amount FROM welfare.recipients"),
        case_ids=column("SELECT case_id FROM welfare.recipients"),
    )


# -- running attacks -------------------------------------------------------------------------------
@dataclass
class Outcome:
    """What one attack got back: a table, a federation error, or something that escaped."""

    sql: str
    user: str
    table: pa.Table | None = None
    error: FederationError | None = None
    escaped: BaseException | None = None

    @property
    def refused(self) -> bool:
        return self.error is not None

    def rows(self) -> list[dict[str, Any]]:
        assert self.table is not None, self.describe()
        return self.table.to_pylist()

    def column(self, name: str) -> list[Any]:
        assert self.table is not None, self.describe()
        return self.table.column(name).to_pylist()

    def describe(self) -> str:
        if self.escaped is not None:
            return f"{type(self.escaped).__name__} escaped: {self.escaped}"
        if self.error is not None:
            return f"refused [{self.error.code}] {self.error.message}"
        assert self.table is not None
        return f"answered {self.table.num_rows} rows: {self.table.to_pylist()[:5]}"


@dataclass(repr=False)
class Adversary:
    """Runs attacks as the demo users and checks what came back against the secrets."""

    fed: Federation
    truth: duckdb.DuckDBPyConnection
    people: People
    secrets: Secrets
    audit: MemorySink
    _forbidden: dict[str, tuple[frozenset[str], ...]] = field(default_factory=dict)

    def __repr__(self) -> str:  # the secrets would flood every failure report
        return "Adversary(demo)"

    def attempt(self, sql: str, user: str = CLERK, purpose: Purpose | None = None) -> Outcome:
        outcome = Outcome(sql, user)
        events = len(self.audit.events)
        try:
            outcome.table = self.fed.query(sql, user=user, purpose=purpose or _purpose(user))
        except FederationError as exc:
            outcome.error = exc
        except Exception as exc:  # anything else is unfiltered text and skipped the audit log
            outcome.escaped = exc
        assert outcome.escaped is None, (
            f"a non-federation error escaped the engine (its message is not filtered and the "
            f"query may not be audited): {outcome.describe()}"
        )
        recorded = [e for e in self.audit.events[events:] if e.get("sql") == sql]
        assert len(recorded) == 1, (
            f"the attack left {len(recorded)} audit events, not one (invariant 6): "
            f"{outcome.describe()}"
        )
        return outcome

    def refused(
        self,
        sql: str,
        user: str = CLERK,
        codes: Iterable[str] = REFUSED,
        purpose: Purpose | None = None,
    ) -> str:
        """Assert the attack is refused with one of ``codes`` and a clean message; return it."""
        outcome = self.attempt(sql, user, purpose)
        codes = tuple(codes)
        assert outcome.error is not None, f"expected a refusal {codes}, got {outcome.describe()}"
        assert outcome.error.code in codes, outcome.describe()
        self.assert_clean_message(outcome.error.message, sql, user)
        return outcome.error.message

    def safe(self, sql: str, user: str = CLERK, purpose: Purpose | None = None) -> Outcome:
        """Run an attack that may be refused or answered; either way nothing forbidden shows."""
        outcome = self.attempt(sql, user, purpose)
        if outcome.error is not None:
            self.assert_clean_message(outcome.error.message, sql, user)
        else:
            self.assert_clean_result(outcome)
        return outcome

    # -- checks ----------------------------------------------------------------------------
    def assert_clean_message(self, message: str, sql: str, user: str) -> None:
        for marker in INTERNAL_MARKERS:
            if marker in message and marker not in sql:
                raise AssertionError(f"message shows internal SQL ({marker!r}): {message}")
        for word in UNGRANTED_COLUMNS.get(user, ()) + UNGRANTED_TABLES.get(user, ()):
            if _word(word, message) and not _word(word, sql):
                raise AssertionError(f"message names {word!r}, which {user} may not see: {message}")
        for kind, values in zip(_KINDS, self._forbidden_values(user), strict=True):
            for value in values:
                if value in message and value not in sql:
                    raise AssertionError(f"message carries a {kind} value {value!r}: {message}")
        for amount in self.secrets.monthly_amounts if user != ANALYST else ():
            if (
                re.search(rf"(?<![\d.]){int(amount)}(\.0+)?(?!\d)", message)
                and str(int(amount)) not in sql
            ):
                raise AssertionError(f"message carries a monthly_amount {amount}: {message}")
        if user == ANALYST:
            for day in self.secrets.raw_birth_dates:
                if day.isoformat() in message and day.isoformat() not in sql:
                    raise AssertionError(f"message carries a raw birth date {day}: {message}")

    def assert_clean_result(self, outcome: Outcome) -> None:
        """No cell (nested values included) holds a value the user may not see."""
        assert outcome.table is not None
        user = outcome.user
        forbidden = self._forbidden_values(user)
        for cell in _cells(outcome.table):
            if isinstance(cell, str):
                for kind, values in zip(_KINDS, forbidden, strict=True):
                    assert cell not in values, f"result carries a {kind} value {cell!r}"
            if user == ANALYST and isinstance(cell, dt.date):
                assert cell not in self.secrets.raw_birth_dates, (
                    f"result carries a raw birth date {cell} (only years are granted)"
                )
        if user in (CLERK, CLERK_XINYI):
            assert outcome.table.num_rows <= 100, "the clerk's row cap (100) was exceeded"

    def assert_audited(self, sql: str) -> None:
        assert any(e.get("sql") == sql for e in self.audit.events), (
            "the query left no audit event (invariant 6)"
        )

    def _forbidden_values(self, user: str) -> tuple[frozenset[str], ...]:
        if user not in self._forbidden:
            s = self.secrets
            if user == ANALYST:
                personal = (s.national_ids, s.names, s.addresses)
            elif user == CLERK:
                personal = (s.ids_outside_daan, s.names_outside_daan, s.addresses_outside_daan)
            else:
                personal = (frozenset(), frozenset(), frozenset())
            self._forbidden[user] = (s.phones, s.household_ids, s.case_ids, *personal)
        return self._forbidden[user]


_KINDS = ("phone", "household_id", "case_id", "national_id", "name", "address")


@pytest.fixture(scope="session")
def adversary(
    fed: Federation,
    truth: duckdb.DuckDBPyConnection,
    people: People,
    secrets: Secrets,
    audit_sink: MemorySink,
) -> Adversary:
    return Adversary(fed, truth, people, secrets, audit_sink)


def _purpose(user: str) -> Purpose:
    return DEFAULT_PURPOSE.get(user, WELFARE)


def _word(word: str, text: str) -> bool:
    """Whether ``word`` occurs as an identifier in ``text`` (SQL folds identifier case)."""
    pattern = rf"(?<![A-Za-z0-9_]){re.escape(word)}(?![A-Za-z0-9_])"
    return re.search(pattern, text, re.IGNORECASE) is not None


def _cells(table: pa.Table) -> Iterator[Any]:
    for row in table.to_pylist():
        stack = list(row.values())
        while stack:
            value = stack.pop()
            if isinstance(value, dict):
                stack.extend(value.values())
            elif isinstance(value, (list, tuple)):
                stack.extend(value)
            else:
                yield value


def ground_truth(truth: duckdb.DuckDBPyConnection, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    return truth.execute(sql, list(params)).fetchall()


def as_tuples(table: pa.Table) -> list[tuple[Any, ...]]:
    return [tuple(r.values()) for r in table.to_pylist()]

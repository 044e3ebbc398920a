"""The monthly sample: ceil(5%) per (agency, source), at least one, reproducible, plus every
flagged query."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from fractions import Fraction

import polars as pl
import pytest

from audit import AuditLog
from audit.frame import Month
from audit.monthly import analyse_month
from audit.sampling import required_picks, sample
from tests.audit.activity import Activity, at, workdays

NOVEMBER = Month(2026, 11)
# (agency, sources, how many queries) — sizes around the rounding edges of 5%.
TRAFFIC = [
    ("DAAN", ("household",), 1),
    ("DAAN", ("welfare",), 20),
    ("DAAN", ("household", "welfare"), 21),
    ("XINYI", ("land",), 137),
    ("XINYI", ("household",), 40),
    ("DSW", ("welfare",), 3),
]


@pytest.fixture(scope="module")
def november(tmp_path_factory: pytest.TempPathFactory) -> AuditLog:
    log = AuditLog(tmp_path_factory.mktemp("sample"))
    act = Activity(log)
    days = workdays(dt.date(2026, 11, 1), dt.date(2026, 12, 1))
    for agency, sources, count in TRAFFIC:
        for i in range(count):
            act.query(
                at(days[i % len(days)], 9 + i % 8, i % 60),
                user=f"clerk_{agency.lower()}_{i % 3}",
                agency=agency,
                sources=sources,
                outcome="denied" if i % 10 == 9 else "ok",
            )
    act.query(at(dt.date(2026, 11, 14), 23), user="night_owl", agency="DSW")  # flagged
    act.query(at(dt.date(2026, 10, 30), 10), agency="DAAN")  # another month: never drawn
    log.checkpoint()
    return log


def expected_counts() -> Counter[tuple[str, str]]:
    counts: Counter[tuple[str, str]] = Counter()
    for agency, sources, count in TRAFFIC:
        for source in sources:
            counts[(agency, source)] += count
    counts[("DSW", "household")] += 1  # the night owl's query
    return counts


def test_required_picks_is_ceil_five_percent_with_a_minimum_of_one() -> None:
    for n in range(1, 500):
        assert required_picks(n) == max(1, math.ceil(Fraction(5 * n, 100)))


def test_every_agency_and_source_gets_at_least_ceil_five_percent(november: AuditLog) -> None:
    audit = analyse_month(november, NOVEMBER)
    picks, groups = sample(audit.queries, audit.flags, seed="2026-11 draw")
    counts = expected_counts()
    assert {(a, s): q for a, s, q in groups.select("agency", "source", "queries").iter_rows()} == (
        counts
    )
    drawn: Counter[tuple[str, str]] = Counter()
    for row in picks.iter_rows(named=True):
        for group in row["drawn_for"]:
            agency, source = group.split("/")
            assert agency == row["agency"] and source in row["sources"]
            drawn[(agency, source)] += 1
    for key, n in counts.items():
        need = max(1, math.ceil(Fraction(5 * n, 100)))
        assert drawn[key] >= need, (key, n, drawn[key])
        assert (
            groups.filter((pl.col("agency") == key[0]) & (pl.col("source") == key[1]))["drawn"][0]
            == need
        )


def test_the_same_seed_draws_the_same_queries(november: AuditLog) -> None:
    audit = analyse_month(november, NOVEMBER)
    first, _ = sample(audit.queries, audit.flags, seed="42")
    again, _ = sample(audit.queries, audit.flags, seed="42")
    shuffled, _ = sample(
        audit.queries.sample(fraction=1.0, shuffle=True, seed=1), audit.flags, "42"
    )
    other, _ = sample(audit.queries, audit.flags, seed="43")
    assert first["query_id"].to_list() == again["query_id"].to_list()
    assert first["query_id"].to_list() == shuffled["query_id"].to_list()  # row order is irrelevant
    assert set(first["query_id"]) != set(other["query_id"])


def test_flagged_queries_are_always_in_the_sample(november: AuditLog) -> None:
    audit = analyse_month(november, NOVEMBER)
    picks, _ = sample(audit.queries, audit.flags, seed="42")
    night = picks.filter(pl.col("user") == "night_owl")
    assert night.height == 1 and night["flagged"][0]
    assert any(r.startswith("off_hours:") for r in night["reasons"][0])
    assert set(audit.flags["seq"]) <= set(picks["seq"])
    assert picks["local_time"].min() >= NOVEMBER.start  # type: ignore[operator]

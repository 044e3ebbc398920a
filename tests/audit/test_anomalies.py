"""Each anomaly rule on generated activity: a case it must flag, with its reason, and a near
miss it must leave alone. Ordinary work (three lookups a day in office hours) is never flagged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from audit import AuditLog
from audit.frame import Month
from audit.monthly import analyse_month
from tests.audit.activity import Activity, at, person

NOVEMBER = Month(2026, 11)
TUESDAY = dt.date(2026, 11, 10)
SATURDAY = dt.date(2026, 11, 14)


@pytest.fixture()
def activity(tmp_path: Path) -> Iterator[Activity]:
    with AuditLog(tmp_path) as log:
        act = Activity(log)
        act.routine(dt.date(2026, 9, 1), dt.date(2026, 12, 1))
        yield act


def flagged(act: Activity, rule: str) -> pl.DataFrame:
    flags = analyse_month(act.log, NOVEMBER).flags
    return flags.filter(pl.col("rule") == rule)


def seqs(frame: pl.DataFrame) -> set[int]:
    return set(frame["seq"].to_list())


def test_ordinary_work_raises_no_flag(activity: Activity) -> None:
    audit = analyse_month(activity.log, NOVEMBER)
    assert audit.queries.height == 2 * 3 * 21  # 21 working days in November 2026
    assert audit.flags.is_empty(), audit.flags


# -- off hours ------------------------------------------------------------------------------
def test_off_hours_flags_nights_and_weekends(activity: Activity) -> None:
    night = activity.query(at(TUESDAY, 22, 30))
    early = activity.query(at(TUESDAY, 6, 59))
    weekend = activity.query(at(SATURDAY, 10))
    flags = flagged(activity, "off_hours")
    assert seqs(flags) == {night, early, weekend}
    reason = flags.filter(pl.col("seq") == night)["reason"][0]
    assert "22:30" in reason and "Tuesday" in reason and "office hours" in reason


def test_off_hours_leaves_the_edges_of_the_working_day(activity: Activity) -> None:
    activity.query(at(TUESDAY, 7, 0))
    activity.query(at(TUESDAY, 19, 59))
    assert flagged(activity, "off_hours").is_empty()


# -- volume against the user's own baseline ------------------------------------------------
def test_volume_far_above_the_users_own_baseline_is_flagged(activity: Activity) -> None:
    spike = [activity.query(at(TUESDAY, 11, m)) for m in range(40)]
    flags = flagged(activity, "volume_spike")
    assert set(spike) <= seqs(flags)  # the spike day's queries, including the routine ones
    assert all(str(TUESDAY) in r and "baseline of 3.0" in r for r in flags["reason"])
    assert flags["user"].unique().to_list() == ["clerk_a"]


def test_a_busier_day_within_habit_or_without_history_is_not_a_spike(activity: Activity) -> None:
    for m in range(6):  # nine that day: three times the usual, below the minimum of twenty
        activity.query(at(TUESDAY, 11, m))
    for m in range(40):  # a new colleague has no baseline yet
        activity.query(at(TUESDAY, 11, m), user="clerk_new")
    assert flagged(activity, "volume_spike").is_empty()


# -- the same person -------------------------------------------------------------------------
def test_the_same_person_looked_up_repeatedly_by_one_user(activity: Activity) -> None:
    target = person(7)
    repeats = [activity.query(at(TUESDAY, 11, m), person_id=target) for m in range(5)]
    flags = flagged(activity, "same_person_repeatedly")
    assert seqs(flags) == set(repeats)
    assert "5 times" in flags["reason"][0] and "hmac:" in flags["reason"][0]
    assert target not in "".join(flags["reason"])


def test_four_lookups_of_one_person_are_not_repeated_lookups(activity: Activity) -> None:
    for m in range(4):
        activity.query(at(TUESDAY, 11, m), person_id=person(7))
    assert flagged(activity, "same_person_repeatedly").is_empty()


def test_the_same_person_looked_up_by_many_users(activity: Activity) -> None:
    target = person(8)
    hits = [
        activity.query(at(TUESDAY, 11), user=u, agency=a, person_id=target)
        for u, a in (("clerk_a", "DAAN"), ("clerk_b", "XINYI"), ("clerk_c", "DAAN"))
    ]
    flags = flagged(activity, "same_person_many_users")
    assert seqs(flags) == set(hits)
    assert "3 different users" in flags["reason"][0]


def test_two_users_on_one_person_is_not_many(activity: Activity) -> None:
    for user, agency in (("clerk_a", "DAAN"), ("clerk_b", "XINYI")):
        activity.query(at(TUESDAY, 11), user=user, agency=agency, person_id=person(8))
    assert flagged(activity, "same_person_many_users").is_empty()


# -- bursts of denials -----------------------------------------------------------------------
def test_a_burst_of_denials_is_flagged(activity: Activity) -> None:
    burst = [activity.query(at(TUESDAY, 15, 2 * m), outcome="denied") for m in range(5)]
    flags = flagged(activity, "denial_burst")
    assert seqs(flags) == set(burst)
    assert "5 refused queries" in flags["reason"][0]


def test_denials_spread_over_the_day_are_not_a_burst(activity: Activity) -> None:
    for m in range(5):
        activity.query(at(TUESDAY, 11 + m), outcome="denied")
    for m in range(4):  # four in a few minutes: below the threshold
        activity.query(at(TUESDAY, 17, m), outcome="invalid")
    assert flagged(activity, "denial_burst").is_empty()


# -- case numbers ----------------------------------------------------------------------------
def test_missing_and_placeholder_case_numbers_are_flagged(activity: Activity) -> None:
    none = activity.query(at(TUESDAY, 11), case_no=None, document_no="北市社助字第1號")
    placeholder = activity.query(at(TUESDAY, 11), case_no="0")
    flags = flagged(activity, "case_number_missing")
    assert seqs(flags) == {none, placeholder}
    reasons = dict(zip(flags["seq"], flags["reason"], strict=True))
    assert "no case number" in reasons[none] and "北市社助字第1號" in reasons[none]
    assert "placeholder" in reasons[placeholder]


def test_a_case_number_reused_for_an_unrelated_purpose_is_flagged(activity: Activity) -> None:
    first = activity.query(at(TUESDAY, 11), case_no="113-0042", case_name="低收入戶複查")
    again = activity.query(
        at(TUESDAY, 15), case_no="113-0042", case_name="低收入戶複查", purpose="land-admin"
    )
    flags = flagged(activity, "case_number_reused")
    assert seqs(flags) == {first, again}
    assert "land-admin, welfare-eligibility" in flags["reason"][0]


def test_one_case_looked_at_repeatedly_or_numbered_alike_elsewhere_is_fine(
    activity: Activity,
) -> None:
    for hour in (11, 15):  # the same case, same purpose, twice: normal casework
        activity.query(at(TUESDAY, hour), case_no="113-0042", case_name="低收入戶複查")
    # Another district office numbers its own cases; the same number there is another case.
    activity.query(
        at(TUESDAY, 11), user="clerk_b", agency="XINYI", case_no="113-0042", case_name="其他"
    )
    assert flagged(activity, "case_number_reused").is_empty()
    assert flagged(activity, "case_number_missing").is_empty()


# -- dormant accounts ------------------------------------------------------------------------
def test_an_account_back_after_months_of_silence_is_flagged(activity: Activity) -> None:
    activity.query(at(dt.date(2026, 5, 4), 10), user="clerk_old")  # before the loaded window
    back = activity.query(at(TUESDAY, 10), user="clerk_old")
    activity.query(at(TUESDAY, 11), user="clerk_old")  # the next one is not "after silence"
    activity.query(at(dt.date(2026, 8, 3), 10), user="clerk_mid")  # inside the window
    mid = activity.query(at(TUESDAY, 10), user="clerk_mid")
    flags = flagged(activity, "dormant_account")
    assert seqs(flags) == {back, mid}
    assert "2026-05-04" in flags.filter(pl.col("seq") == back)["reason"][0]


def test_a_recent_or_brand_new_account_is_not_dormant(activity: Activity) -> None:
    activity.query(at(dt.date(2026, 9, 1), 10), user="clerk_recent")
    activity.query(at(TUESDAY, 10), user="clerk_recent")
    activity.query(at(TUESDAY, 10), user="clerk_brand_new")
    assert flagged(activity, "dormant_account").is_empty()

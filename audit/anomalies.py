"""Anomaly rules over a month of audit entries. Each flag names its rule and says why.

Following explanation-based auditing (Fabbri & LeFevre): most accesses are explained by a case;
these rules pick out the ones that are not, or that look unlike the user's own habits, so the
auditor sees them first. Every flagged query is added to the month's sample.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from audit.frame import TAIPEI, Month, in_month, queries

FLAG_SCHEMA = {
    "seq": pl.Int64,
    "query_id": pl.String,
    "user": pl.String,
    "rule": pl.String,
    "reason": pl.String,
}
REFUSED = ("denied", "invalid")


@dataclass(frozen=True)
class AnomalyRules:
    """Thresholds; the defaults suit a city office (Taipei time)."""

    office_start_hour: int = 7
    office_end_hour: int = 20
    workdays: tuple[int, ...] = (1, 2, 3, 4, 5)  # ISO weekdays, Monday = 1
    holidays: tuple[dt.date, ...] = ()
    baseline_days: int = 30  # a user's own history the volume rule compares against
    baseline_min_active_days: int = 5  # fewer active days: no baseline, no flag
    spike_factor: float = 3.0  # the day's count must exceed factor × the baseline mean …
    spike_sigmas: float = 3.0  # … and the mean plus this many standard deviations
    spike_min_queries: int = 20
    repeat_lookups: int = 5  # the same user looking up the same person this often a month
    many_users: int = 3  # this many different users looking up the same person
    denial_burst: int = 5  # refusals …
    denial_window: str = "10m"  # … within this window
    dormant_days: int = 90
    placeholder_case_numbers: tuple[str, ...] = ("0", "-", "--", "n/a", "na", "none", "無", "x")

    @property
    def lookback_days(self) -> int:
        return max(self.baseline_days, self.dormant_days) + 1


DEFAULT_RULES = AnomalyRules()


def find_anomalies(
    history: pl.DataFrame,
    month: Month,
    earlier_activity: dict[str, str],
    rules: AnomalyRules = DEFAULT_RULES,
) -> pl.DataFrame:
    """Flags (seq, query_id, user, rule, reason) for the month's queries. ``history`` holds
    every entry from ``rules.lookback_days`` before the month to its end; ``earlier_activity``
    maps each actor to their last entry time before that."""
    monthly = in_month(queries(history), month)
    if monthly.is_empty():
        return pl.DataFrame(schema=FLAG_SCHEMA)
    flags = [
        off_hours(monthly, rules),
        volume_spike(queries(history), month, rules),
        repeated_person(monthly, rules),
        denial_bursts(monthly, rules),
        case_numbers(monthly, rules),
        dormant_accounts(history, month, earlier_activity, rules),
    ]
    return pl.concat(flags).unique(["seq", "rule"], keep="first").sort("seq", "rule")


def _flags(frame: pl.DataFrame, rule: str, reason: pl.Expr) -> pl.DataFrame:
    return frame.select(
        "seq", "query_id", pl.col("user"), pl.lit(rule).alias("rule"), reason.alias("reason")
    ).cast(FLAG_SCHEMA)  # type: ignore[arg-type]


def off_hours(monthly: pl.DataFrame, rules: AnomalyRules) -> pl.DataFrame:
    t = pl.col("local_time")
    outside = (
        ~t.dt.weekday().is_in(rules.workdays)
        | t.dt.date().is_in(list(rules.holidays))
        | (t.dt.hour() < rules.office_start_hour)
        | (t.dt.hour() >= rules.office_end_hour)
    )
    hours = f"{rules.office_start_hour:02d}:00–{rules.office_end_hour:02d}:00"
    reason = pl.format(
        "queried at {} on {} ({}), outside office hours (working days " + hours + ", Taipei)",
        t.dt.strftime("%H:%M"),
        t.dt.strftime("%Y-%m-%d"),
        t.dt.strftime("%A"),
    )
    return _flags(monthly.filter(outside), "off_hours", reason)


def volume_spike(history_queries: pl.DataFrame, month: Month, rules: AnomalyRules) -> pl.DataFrame:
    daily = history_queries.group_by("user", day=pl.col("local_time").dt.date()).agg(n=pl.len())
    current = daily.filter(
        (pl.col("day") >= month.start.date()) & (pl.col("day") < month.end.date())
    )
    before = daily.rename({"day": "base_day", "n": "base_n"})
    baseline = (
        current.join(before, on="user")
        .filter(
            (pl.col("base_day") < pl.col("day"))
            & (pl.col("base_day") >= pl.col("day") - pl.duration(days=rules.baseline_days))
        )
        .group_by("user", "day")
        .agg(
            active=pl.len(),
            mean=pl.col("base_n").mean(),
            std=pl.col("base_n").std(ddof=0),
        )
    )
    spikes = current.join(baseline, on=["user", "day"]).filter(
        (pl.col("active") >= rules.baseline_min_active_days)
        & (pl.col("n") >= rules.spike_min_queries)
        & (pl.col("n") > pl.col("mean") * rules.spike_factor)
        & (pl.col("n") > pl.col("mean") + pl.col("std") * rules.spike_sigmas)
    )
    hits = in_month(history_queries, month).with_columns(day=pl.col("local_time").dt.date())
    hits = hits.join(spikes, on=["user", "day"])
    reason = pl.format(
        "{} queries on {}, against this user's own baseline of {} (±{}) a day over the "
        f"previous {rules.baseline_days} days",
        pl.col("n"),
        pl.col("day"),
        pl.col("mean").round(1),
        pl.col("std").round(1),
    )
    return _flags(hits, "volume_spike", reason)


def repeated_person(monthly: pl.DataFrame, rules: AnomalyRules) -> pl.DataFrame:
    lookups = monthly.explode("subjects").filter(pl.col("subjects").is_not_null())
    by_user = lookups.with_columns(times=pl.col("seq").n_unique().over("user", "subjects")).filter(
        pl.col("times") >= rules.repeat_lookups
    )
    repeated = _flags(
        by_user,
        "same_person_repeatedly",
        pl.format(
            "this user looked up the same person ({}) {} times this month",
            pl.col("subjects"),
            pl.col("times"),
        ),
    )
    by_many = lookups.with_columns(users=pl.col("user").n_unique().over("subjects")).filter(
        pl.col("users") >= rules.many_users
    )
    many = _flags(
        by_many,
        "same_person_many_users",
        pl.format(
            "the same person ({}) was looked up by {} different users this month",
            pl.col("subjects"),
            pl.col("users"),
        ),
    )
    return pl.concat([repeated, many])


def denial_bursts(monthly: pl.DataFrame, rules: AnomalyRules) -> pl.DataFrame:
    refused = monthly.filter(pl.col("outcome").is_in(REFUSED)).sort("user", "local_time")
    if refused.is_empty():
        return pl.DataFrame(schema=FLAG_SCHEMA)
    windows = refused.rolling(
        index_column="local_time", period=rules.denial_window, group_by="user"
    ).agg(n=pl.len(), members=pl.col("seq"), first=pl.col("local_time").min())
    bursts = (
        windows.filter(pl.col("n") >= rules.denial_burst)
        .explode("members")
        .sort("n", descending=True)
        .unique("members", keep="first")
        .rename({"members": "seq", "local_time": "last"})
        .select("seq", "n", "first", "last")
    )
    hits = refused.join(bursts, on="seq")
    reason = pl.format(
        "{} refused queries by this user between {} and {} (a burst: at least "
        f"{rules.denial_burst} within {rules.denial_window})",
        pl.col("n"),
        pl.col("first").dt.strftime("%Y-%m-%d %H:%M"),
        pl.col("last").dt.strftime("%H:%M"),
    )
    return _flags(hits, "denial_burst", reason)


def case_numbers(monthly: pl.DataFrame, rules: AnomalyRules) -> pl.DataFrame:
    case = pl.col("case_no").str.strip_chars()
    placeholder = case.str.to_lowercase().is_in(list(rules.placeholder_case_numbers))
    missing = monthly.filter(case.is_null() | (case == "") | placeholder)
    missing_reason = (
        pl.when(pl.col("purpose").is_null())
        .then(pl.lit("no purpose envelope at all"))
        .when(case.is_null() | (case == ""))
        .then(
            pl.format(
                "no case number (document {}): the query cannot be matched to a case record",
                pl.col("document_no").fill_null("none"),
            )
        )
        .otherwise(pl.format("case number '{}' is a placeholder, not a case", case))
    )
    named = monthly.filter(case.is_not_null() & (case != "") & ~placeholder).with_columns(
        case_key=case
    )
    spread = named.group_by("agency", "case_key").agg(
        purposes=pl.col("purpose_code").unique().sort(),
        names=pl.col("case_name").unique().sort(),
    )
    reused = spread.filter((pl.col("purposes").list.len() > 1) | (pl.col("names").list.len() > 1))
    hits = named.join(reused, on=["agency", "case_key"])
    reused_reason = pl.format(
        # No square brackets: terminals render reasons through rich, which reads them as markup.
        "case number {} is used for unrelated purposes or cases: purposes ({}), case names ({})",
        pl.col("case_key"),
        pl.col("purposes").list.join(", "),
        pl.col("names").list.join(", "),
    )
    return pl.concat(
        [
            _flags(missing, "case_number_missing", missing_reason),
            _flags(hits, "case_number_reused", reused_reason),
        ]
    )


def dormant_accounts(
    history: pl.DataFrame,
    month: Month,
    earlier_activity: dict[str, str],
    rules: AnomalyRules,
) -> pl.DataFrame:
    earlier = pl.DataFrame(
        {
            "actor_name": list(earlier_activity),
            "earlier": [
                dt.datetime.fromisoformat(v).astimezone(TAIPEI) for v in earlier_activity.values()
            ],
        },
        schema={"actor_name": pl.String, "earlier": pl.Datetime("us", "Asia/Taipei")},
    )
    activity = (
        history.filter(pl.col("actor_name").is_not_null())
        .sort("actor_name", "local_time", "seq")
        .with_columns(previous=pl.col("local_time").shift(1).over("actor_name"))
        .join(earlier, on="actor_name", how="left")
        .with_columns(previous=pl.coalesce("previous", "earlier"))
    )
    gap = pl.col("local_time") - pl.col("previous")
    dormant = in_month(queries(activity), month).filter(gap > pl.duration(days=rules.dormant_days))
    reason = pl.format(
        "the account's first activity after {} days without any (previous: {})",
        gap.dt.total_days(),
        pl.col("previous").dt.strftime("%Y-%m-%d"),
    )
    return _flags(dormant, "dormant_account", reason)

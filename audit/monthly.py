"""One month of the log, analysed once for sampling, anomaly flags and reports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from audit.anomalies import DEFAULT_RULES, AnomalyRules, find_anomalies
from audit.frame import Month, in_month, load_frame, queries
from audit.log import AuditLog


@dataclass(frozen=True)
class MonthlyAudit:
    month: Month
    entries: pl.DataFrame  # every entry of the month, all types
    queries: pl.DataFrame  # the month's query events
    flags: pl.DataFrame  # anomaly flags on those queries


def analyse_month(
    log: AuditLog,
    month: Month,
    rules: AnomalyRules = DEFAULT_RULES,
) -> MonthlyAudit:
    """Load the month with enough history before it for baselines and dormancy."""
    since = month.start - dt.timedelta(days=rules.lookback_days)
    history = load_frame(log, since, month.end)
    flags = find_anomalies(history, month, log.actors_before(since), rules)
    entries = in_month(history, month)
    return MonthlyAudit(month, entries, queries(entries), flags)

"""PNG charts for the monthly report: queries per day, queries per source, refusals per day."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from matplotlib.figure import Figure

from audit.frame import by_source
from audit.monthly import MonthlyAudit

# Figure objects render through the Agg canvas without pyplot's global state, so charts can be
# drawn from a server thread and need no display.


def write_charts(audit: MonthlyAudit, directory: Path, label: str) -> list[Path]:
    """Draw the three charts into ``directory`` and return their paths."""
    q = audit.queries.with_columns(day=pl.col("local_time").dt.day())
    days = list(range(1, (audit.month.end - audit.month.start).days + 1))
    per_day = dict(q.group_by("day").agg(n=pl.len()).iter_rows())
    refused = dict(
        q.filter(pl.col("outcome").is_in(["denied", "invalid"]))
        .group_by("day")
        .agg(n=pl.len())
        .iter_rows()
    )
    sources = by_source(audit.queries).group_by("source").agg(n=pl.len()).sort("n")
    return [
        _bar(
            directory / f"queries-per-day-{label}.png",
            [str(d) for d in days],
            [per_day.get(d, 0) for d in days],
            f"Queries per day, {audit.month.label}",
            "day of month",
        ),
        _bar(
            directory / f"queries-per-source-{label}.png",
            sources["source"].to_list(),
            sources["n"].to_list(),
            f"Queries per source, {audit.month.label}",
            "source",
            horizontal=True,
        ),
        _bar(
            directory / f"denials-per-day-{label}.png",
            [str(d) for d in days],
            [refused.get(d, 0) for d in days],
            f"Refused queries (denied or invalid) per day, {audit.month.label}",
            "day of month",
            color="#c0392b",
        ),
    ]


def _bar(
    path: Path,
    labels: list[str],
    values: list[int],
    title: str,
    axis: str,
    horizontal: bool = False,
    color: str = "#2c6e9b",
) -> Path:
    fig = Figure(figsize=(8, 3.2), dpi=110)
    ax = fig.subplots()
    if horizontal:
        ax.barh(labels, values, color=color)
        ax.set_ylabel(axis)
        ax.set_xlabel("queries")
    else:
        ax.bar(labels, values, color=color)
        ax.set_xlabel(axis)
        ax.set_ylabel("queries")
        ax.tick_params(axis="x", labelsize=7)
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, format="png")
    return path

"""The monthly review sample: for every (agency, source), at least ceil(5%) of that month's
queries and never fewer than one, the same picks for the same seed, plus every flagged query.

Picks are the queries with the smallest SHA-256(seed, agency, source, query id): reproducible
from the log alone, independent of row order and of the polars version, and unpredictable to
a user who does not know the seed. A query that read two sources is a candidate in both.
"""

from __future__ import annotations

import hashlib

import polars as pl

from audit.anomalies import FLAG_SCHEMA
from audit.frame import by_source
from audit.sink import AuditSink

RATE_PERCENT = 5


def required_picks(queries: int, rate_percent: int = RATE_PERCENT) -> int:
    """ceil(rate% of ``queries``), at least 1 — in integers, since 0.05 * 20 is not 1.0.

    >>> [required_picks(n) for n in (1, 20, 21, 40, 41)]
    [1, 1, 2, 2, 3]
    """
    return max(1, -(-queries * rate_percent // 100))


def draw_key(seed: str, agency: str, source: str, query_id: str) -> str:
    return hashlib.sha256("\x1f".join((seed, agency, source, query_id)).encode()).hexdigest()


def sample(
    monthly_queries: pl.DataFrame,
    flags: pl.DataFrame,
    seed: str,
    rate_percent: int = RATE_PERCENT,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(picks, groups). ``picks`` has one row per sampled query with the groups it was drawn
    for and every reason; ``groups`` has per (agency, source) the queries, the required and
    the drawn count."""
    candidates = by_source(monthly_queries)
    keys = [
        draw_key(seed, a, s, q)
        for a, s, q in zip(
            candidates["agency"], candidates["source"], candidates["query_id"], strict=True
        )
    ]
    candidates = candidates.with_columns(pl.Series("draw", keys, dtype=pl.String))
    ranked = candidates.with_columns(
        rank=pl.col("draw").rank("ordinal").over("agency", "source"),
        queries=pl.len().over("agency", "source"),
    )
    need = pl.max_horizontal(
        pl.lit(1), (pl.col("queries") * rate_percent + 99) // 100
    )  # ceil without floats, as required_picks
    drawn = ranked.filter(pl.col("rank") <= need).with_columns(
        reason=pl.format(
            "random {}% of {}/{} ({} queries)",
            pl.lit(rate_percent),
            pl.col("agency"),
            pl.col("source"),
            pl.col("queries"),
        ),
        group=pl.format("{}/{}", pl.col("agency"), pl.col("source")),
    )
    groups = (
        ranked.group_by("agency", "source")
        .agg(queries=pl.len())
        .with_columns(required=need.cast(pl.Int64))
        .join(
            drawn.group_by("agency", "source").agg(drawn=pl.len()),
            on=["agency", "source"],
            how="left",
        )
        .sort("agency", "source")
    )
    flagged = flags.cast(FLAG_SCHEMA).select(  # type: ignore[arg-type]
        "seq", reason=pl.format("{}: {}", pl.col("rule"), pl.col("reason"))
    )
    reasons = pl.concat([drawn.select("seq", "reason"), flagged])
    per_query = reasons.group_by("seq").agg(pl.col("reason").unique().sort().alias("reasons"))
    drawn_for = drawn.group_by("seq").agg(pl.col("group").unique().sort().alias("drawn_for"))
    picks = (
        monthly_queries.join(per_query, on="seq")
        .join(drawn_for, on="seq", how="left")
        .with_columns(
            pl.col("drawn_for").fill_null([]),
            flagged=pl.col("seq").is_in(flags["seq"].implode()),
        )
        .select(
            "seq",
            "query_id",
            "local_time",
            "user",
            "agency",
            "sources",
            "outcome",
            "case_no",
            "purpose_code",
            "drawn_for",
            "flagged",
            "reasons",
        )
        .sort("seq")
    )
    return picks, groups


def record_draw(
    log: AuditSink, month: str, seed: str, actor: str | None, picks: pl.DataFrame
) -> int:
    """Record a draw in the log, so that redrawing with other seeds shows; the hash of the
    picked query ids proves later which queries it picked, without listing them."""
    return log.append(
        {
            "type": "sample",
            "month": month,
            "seed": seed,
            "actor": actor,
            "picked": picks.height,
            "picks_sha256": hashlib.sha256(
                "\n".join(sorted(picks["query_id"].to_list())).encode()
            ).hexdigest(),
        }
    )

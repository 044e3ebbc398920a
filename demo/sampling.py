"""Vectorised drawing helpers shared by the demo generators (numpy draws, polars columns)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import polars as pl

EPOCH = date(1970, 1, 1)
DAYS_PER_YEAR = 365.2425


def epoch_days(day: date) -> int:
    """Return ``day`` as days since 1970-01-01 (polars' and Arrow's date representation)."""
    return (day - EPOCH).days


def years(n: float | np.ndarray) -> np.ndarray:
    """Return ``n`` years as a whole number of days (for date arithmetic on epoch days)."""
    return np.rint(np.asarray(n, dtype=np.float64) * DAYS_PER_YEAR).astype(np.int64)


def date_series(name: str, days: np.ndarray) -> pl.Series:
    """Return epoch-day integers as a polars Date column."""
    return pl.Series(name, np.asarray(days, dtype=np.int32)).cast(pl.Date)


def uniform_days(rng: np.random.Generator, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Return one day drawn uniformly from each closed interval [low, high] (epoch days)."""
    low = np.asarray(low, dtype=np.int64)
    span = np.maximum(np.asarray(high, dtype=np.int64) - low, 0)
    return low + np.floor(rng.random(len(low)) * (span + 1)).astype(np.int64)


def weighted_indices(
    rng: np.random.Generator, n: int, weights: Sequence[float] | np.ndarray
) -> np.ndarray:
    """Return ``n`` indices into ``weights``, each drawn with probability proportional to it."""
    p = np.asarray(weights, dtype=np.float64)
    return rng.choice(len(p), size=n, p=p / p.sum())


def choose_within_groups(
    rng: np.random.Generator, groups: np.ndarray, options: Sequence[Sequence[str]]
) -> pl.Series:
    """Return, for each entry of ``groups``, one of ``options[group]`` drawn uniformly.

    One flat lookup array and a gather replace a Python loop over rows.
    """
    flat = pl.Series([value for group in options for value in group], dtype=pl.String)
    return flat.gather(flat_indices_within_groups(rng, groups, [len(o) for o in options]))


def flat_indices_within_groups(
    rng: np.random.Generator, groups: np.ndarray, counts: Sequence[int]
) -> np.ndarray:
    """Return, for each entry of ``groups``, a uniformly drawn index into the concatenation of
    the groups' options (group g owns ``counts[g]`` consecutive slots)."""
    sizes = np.asarray(counts, dtype=np.int64)
    if (sizes == 0).any():
        raise ValueError("every group needs at least one option")
    offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    groups = np.asarray(groups, dtype=np.int64)
    return offsets[groups] + np.floor(rng.random(len(groups)) * sizes[groups]).astype(np.int64)


def lookup(values: Sequence[str], indices: np.ndarray) -> pl.Series:
    """Return ``values[indices]`` as a polars String column."""
    return pl.Series(list(values), dtype=pl.String).gather(np.asarray(indices, dtype=np.int64))


def numbered(prefix: str, numbers: np.ndarray, width: int, suffix: str = "") -> pl.Expr:
    """Return ``prefix`` + zero-padded ``numbers`` + ``suffix`` as a polars expression."""
    digits = pl.lit(pl.Series(np.asarray(numbers, dtype=np.int64))).cast(pl.String)
    return pl.concat_str(pl.lit(prefix), digits.str.zfill(width), pl.lit(suffix))


def group_offsets(sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Expand group sizes into (group index, position within group) for every member."""
    sizes = np.asarray(sizes, dtype=np.int64)
    group = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    position = np.arange(len(group), dtype=np.int64) - starts[group]
    return group, position

"""Social-welfare cases (社會局): who receives which programme, how much, since when."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from demo.reference_data import (
    REFERENCE_DATE,
    SECOND_PROGRAM_SHARE,
    WELFARE_PROGRAMS,
    WELFARE_RECIPIENT_SHARE,
)
from demo.sampling import date_series, epoch_days, uniform_days, years

TODAY = epoch_days(REFERENCE_DATE)
FIRST_CASE = epoch_days(date(2012, 1, 1))
ONGOING_SHARE = 0.6


def _draw_programs(rng: np.random.Generator, age: np.ndarray) -> np.ndarray:
    """Return a programme index per person among those the person is eligible for today."""
    min_age = np.array([p.min_age for p in WELFARE_PROGRAMS])
    max_age = np.array([p.max_age for p in WELFARE_PROGRAMS])
    weight = np.array([p.weight for p in WELFARE_PROGRAMS])
    eligible = (age[:, None] >= min_age[None, :]) & (age[:, None] < max_age[None, :])
    cumulative = np.cumsum(np.where(eligible, weight[None, :], 0.0), axis=1)
    target = rng.random(len(age)) * cumulative[:, -1]
    return (cumulative <= target[:, None]).sum(axis=1)


def _amounts(rng: np.random.Generator, program: np.ndarray) -> np.ndarray:
    """Return a monthly amount (NTD) per case, one of the programme's payment levels."""
    amount = np.zeros(len(program), dtype=np.int64)
    for index, spec in enumerate(WELFARE_PROGRAMS):
        rows = np.flatnonzero(program == index)
        amount[rows] = rng.choice(np.array(spec.amounts), size=len(rows))
    return amount


def generate_recipients(rng: np.random.Generator, persons: pl.DataFrame) -> pl.DataFrame:
    """Return welfare cases for about 6.5% of ``persons``; some hold two programmes."""
    n = persons.height
    chosen = np.flatnonzero(rng.random(n) < WELFARE_RECIPIENT_SHARE)
    second = chosen[rng.random(len(chosen)) < SECOND_PROGRAM_SHARE]
    person = np.concatenate((chosen, second))
    birth = persons["birth_date"].cast(pl.Int32).to_numpy()[person].astype(np.int64)
    age = (TODAY - birth) / 365.2425
    program = _draw_programs(rng, age)

    # One case per person and programme: a repeated draw for the same person is dropped.
    order = np.lexsort((program, person))
    person, program, birth = person[order], program[order], birth[order]
    keep = np.ones(len(person), dtype=bool)
    keep[1:] = (person[1:] != person[:-1]) | (program[1:] != program[:-1])
    person, program, birth = person[keep], program[keep], birth[keep]

    min_age = np.array([p.min_age for p in WELFARE_PROGRAMS])[program]
    max_age = np.array([p.max_age for p in WELFARE_PROGRAMS])[program]
    one_off = np.array([p.one_off for p in WELFARE_PROGRAMS])[program]
    earliest = np.maximum(np.maximum(birth + years(min_age), FIRST_CASE), birth)
    earliest = np.where(one_off, np.maximum(earliest, TODAY - 3 * 365), earliest)
    start = uniform_days(rng, earliest, np.full(len(person), TODAY))
    ended = rng.random(len(person)) >= ONGOING_SHARE
    end = start + rng.integers(90, 1_500, len(person))
    ages_out = birth + years(np.minimum(max_age, 150)) - 1
    end = np.minimum(end, ages_out)
    # Cases that would end after the reference date are still running.
    end = np.where(one_off, start, np.where(ended & (end < TODAY), end, -1))

    start_year = date_series("start_date", start).dt.year().to_numpy().astype(np.int64) - 1911
    case_order = np.lexsort((person, start))
    sequence = np.empty(len(person), dtype=np.int64)
    sequence[case_order] = np.arange(1, len(person) + 1)
    cases = pl.DataFrame(
        {
            "roc_year": start_year,
            "sequence": sequence,
            "national_id": persons["national_id"].gather(person),
            "program": pl.Series([p.name for p in WELFARE_PROGRAMS]).gather(program),
            "cents": _amounts(rng, program) * 100,
            "start_date": date_series("start_date", start),
            "end_days": end,
            "district": persons["district"].gather(person),
        }
    )
    width = max(7, len(str(len(person))))
    return cases.select(
        pl.concat_str(
            pl.lit("DSW"),
            pl.col("roc_year").cast(pl.String),
            pl.lit("-"),
            pl.col("sequence").cast(pl.String).str.zfill(width),
        ).alias("case_id"),
        "national_id",
        "program",
        (pl.col("cents") / 100).cast(pl.Decimal(12, 2)).alias("monthly_amount"),
        "start_date",
        pl.when(pl.col("end_days") >= 0)
        .then(pl.col("end_days").cast(pl.Int32).cast(pl.Date))
        .otherwise(None)
        .alias("end_date"),
        "district",
    ).sort("case_id")

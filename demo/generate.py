"""The demo scenario's synthetic data: deterministic for a seed, vectorised for millions of rows.

>>> data = generate(scale=2_000, seed=1)
>>> data.persons.height, sorted(data.sources())
(2000, ['building', 'fire', 'household', 'land', 'welfare'])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from demo.land_and_buildings import (
    generate_inspections,
    generate_ownership,
    generate_parcels,
    generate_permits,
)
from demo.population import TODAY, generate_population
from demo.sampling import years
from demo.welfare_cases import generate_recipients

DEFAULT_SCALE = 100_000
DEFAULT_SEED = 20241126
MIN_SCALE = 1_000
LOOKUP_DISTRICT = "大安區"  # the demo clerk's district

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class DemoData:
    """Every table of the demo scenario, as polars frames with the columns of DESIGN.md §6."""

    scale: int
    seed: int
    persons: pl.DataFrame
    households: pl.DataFrame
    recipients: pl.DataFrame
    parcels: pl.DataFrame
    ownership: pl.DataFrame
    permits: pl.DataFrame
    inspections: pl.DataFrame

    def sources(self) -> dict[str, dict[str, pl.DataFrame]]:
        """Return {source: {table: frame}} in the layout of the demo catalog."""
        return {
            "household": {"persons": self.persons, "households": self.households},
            "welfare": {"recipients": self.recipients},
            "land": {"parcels": self.parcels, "ownership": self.ownership},
            "building": {"permits": self.permits},
            "fire": {"inspections": self.inspections},
        }

    def row_counts(self) -> dict[str, int]:
        """Return {"source.table": rows}."""
        return {
            f"{source}.{table}": frame.height
            for source, tables in self.sources().items()
            for table, frame in tables.items()
        }


GENERATION_STEPS = 5


def generate(
    scale: int = DEFAULT_SCALE, seed: int = DEFAULT_SEED, progress: Progress | None = None
) -> DemoData:
    """Return the demo tables for ``scale`` persons; the same seed gives the same data."""
    if scale < MIN_SCALE:
        raise ValueError(f"scale must be at least {MIN_SCALE} persons")

    def step(description: str, done: int) -> None:
        if progress is not None:
            progress(description, done, GENERATION_STEPS)

    # One independent stream per table: changing one generator leaves the others' data alone.
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)]
    step("generating persons and households", 0)
    persons, households = generate_population(streams[0], scale)
    step("generating welfare cases", 1)
    recipients = generate_recipients(streams[1], persons)
    step("generating land parcels and owners", 2)
    parcels = generate_parcels(streams[2], scale)
    ownership = generate_ownership(streams[3], parcels, persons)
    ownership = _ensure_recipient_owns_land(ownership, recipients, persons)
    step("generating building permits and fire inspections", 3)
    permits = generate_permits(streams[4], parcels, ownership)
    inspections = generate_inspections(streams[5], permits)
    step("generated", GENERATION_STEPS)
    return DemoData(
        scale, seed, persons, households, recipients, parcels, ownership, permits, inspections
    )


def _adult_recipients(recipients: pl.DataFrame, persons: pl.DataFrame) -> pl.DataFrame:
    """Return recipients' national_id and district for persons aged 20 or more, ongoing cases
    first, then by national_id: a deterministic order for picking demo subjects."""
    adult_born_before = pl.lit(int(TODAY - years(20.0))).cast(pl.Int32).cast(pl.Date)
    adults = persons.filter(pl.col("birth_date") <= adult_born_before).select("national_id")
    return (
        recipients.join(adults, on="national_id", how="semi")
        .select(
            "national_id",
            "district",
            pl.col("end_date").is_not_null().alias("ended"),
        )
        .sort("ended", "national_id")
    )


def _ensure_recipient_owns_land(
    ownership: pl.DataFrame, recipients: pl.DataFrame, persons: pl.DataFrame
) -> pl.DataFrame:
    """Return ``ownership``, changed if needed so that some adult welfare recipient in the
    clerk's district also owns land: the demo's point lookup needs such a person."""
    candidates = _adult_recipients(recipients, persons)
    local = candidates.filter(pl.col("district") == LOOKUP_DISTRICT)
    pool = local if local.height > 0 else candidates
    if pool.height == 0:
        raise ValueError("no adult welfare recipient who could own land; raise the scale")
    owners = ownership.select(pl.col("owner_national_id").alias("national_id"))
    if pool.join(owners, on="national_id", how="semi").height > 0:
        return ownership
    subject = pool["national_id"][0]
    # Hand over a parcel that has a single owner, so shares and co-owners stay consistent.
    single = ownership.with_row_index("row").filter(pl.len().over("parcel_no") == 1)
    if single.height == 0:
        raise ValueError("no single-owner parcel to hand to the demo subject; raise the scale")
    row = int(single["row"][0])
    return ownership.with_columns(
        pl.when(pl.int_range(pl.len()) == row)
        .then(pl.lit(subject))
        .otherwise(pl.col("owner_national_id"))
        .alias("owner_national_id")
    )


def lookup_subject(data: DemoData) -> str:
    """Return the national ID the demo looks up: an adult in 大安區 (else anywhere) who receives
    welfare (an ongoing case when possible) and owns land; the smallest such ID."""
    candidates = _adult_recipients(data.recipients, data.persons)
    owners = data.ownership.select(pl.col("owner_national_id").alias("national_id"))
    with_land = candidates.join(owners, on="national_id", how="semi")
    local = with_land.filter(pl.col("district") == LOOKUP_DISTRICT)
    chosen = local if local.height > 0 else with_land
    return str(chosen["national_id"][0])

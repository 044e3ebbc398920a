"""Land parcels and their owners (地政局), building permits (都發局), fire inspections (消防局)."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from demo.population import taipei_addresses
from demo.reference_data import (
    DISTRICTS,
    INSPECTION_RESULTS,
    REFERENCE_DATE,
    SUBSECTIONS,
    USE_FLOORS,
    ZONINGS,
)
from demo.sampling import (
    choose_within_groups,
    date_series,
    epoch_days,
    flat_indices_within_groups,
    group_offsets,
    lookup,
    uniform_days,
    weighted_indices,
    years,
)
from demo.table_schemas import TABLE_SCHEMAS

TODAY = epoch_days(REFERENCE_DATE)
FIRST_PERMIT = epoch_days(date(1970, 1, 1))
LAST_PERMIT = epoch_days(date(2024, 6, 30))
FIRST_INSPECTION = epoch_days(date(2019, 1, 1))
PERSONS_PER_PARCEL = 5
OWNERS_PER_PARCEL_WEIGHTS = (0.62, 0.22, 0.10, 0.06)  # 1…4 co-owners
SHARE_UNITS = 1_000_000  # shares are stored with six decimals and add up to exactly 1
ADULT_AGE = 20.0


def _sections() -> tuple[list[tuple[int, str]], list[int]]:
    """Return every (district index, 段+小段) with a four-digit section code, and the codes."""
    sections: list[tuple[int, str]] = []
    codes: list[int] = []
    for d_index, district in enumerate(DISTRICTS):
        names = [section + sub for section in district.sections for sub in SUBSECTIONS]
        sections.extend((d_index, name) for name in names)
        codes.extend(100 * (d_index + 1) + i for i in range(len(names)))
    return sections, codes


def generate_parcels(rng: np.random.Generator, scale: int) -> pl.DataFrame:
    """Return about one land parcel per five persons, with 地段, zoning, area and value."""
    n = max(scale // PERSONS_PER_PARCEL, len(DISTRICTS))
    weights = np.array([d.population for d in DISTRICTS], dtype=np.float64)
    area = np.array([d.area_km2 for d in DISTRICTS])
    district = weighted_indices(rng, n, weights / weights.sum() + area / area.sum())
    district[: len(DISTRICTS)] = np.arange(len(DISTRICTS))  # every district has land

    sections, codes = _sections()  # grouped by district, in district order
    per_district = np.bincount([d for d, _ in sections], minlength=len(DISTRICTS))
    section_idx = flat_indices_within_groups(rng, district, per_district.tolist())

    zoning = np.empty(n, dtype=np.int64)
    core = np.array([d.urban_core for d in DISTRICTS])[district]
    for is_core in (True, False):
        rows = np.flatnonzero(core == is_core)
        zoning_weights = [z.weight_core if is_core else z.weight_outer for z in ZONINGS]
        zoning[rows] = weighted_indices(rng, len(rows), zoning_weights)
    median_area = np.array([z.median_area_m2 for z in ZONINGS])[zoning]
    area_m2 = np.clip(median_area * rng.lognormal(0.0, 0.8, n), 12.0, 5_000_000.0)
    value = (
        np.array([d.land_value for d in DISTRICTS])[district]
        * np.array([z.value_factor for z in ZONINGS])[zoning]
        * rng.lognormal(0.0, 0.25, n)
    )
    announced_value = np.maximum(np.round(value / 100.0) * 100, 100).astype(np.int64)

    # 地號 母號-子號, numbered in order within each section: unique by construction.
    code = np.array(codes)[section_idx]
    order = np.lexsort((rng.random(n), code))
    rank = np.empty(n, dtype=np.int64)
    sorted_code = code[order]
    starts = np.flatnonzero(np.r_[True, sorted_code[1:] != sorted_code[:-1]])
    run_start = np.repeat(starts, np.diff(np.r_[starts, n]))
    rank[order] = np.arange(n) - run_start
    main, sub = rank // 3 + 1, rank % 3
    if main.max() > 9999:
        raise ValueError("too many parcels for four-digit land numbers; lower the scale")

    frame = pl.DataFrame(
        {
            "code": code,
            "main": main,
            "sub": sub,
            "district": lookup([d.name for d in DISTRICTS], district),
            "section": lookup([s for _, s in sections], section_idx),
            "area_m2": np.round(area_m2, 2),
            "zoning": lookup([z.name for z in ZONINGS], zoning),
            "announced_value": announced_value,
        }
    )
    return frame.select(
        pl.concat_str(
            pl.col("code").cast(pl.String).str.zfill(4),
            pl.col("main").cast(pl.String).str.zfill(4),
            pl.col("sub").cast(pl.String).str.zfill(4),
            separator="-",
        ).alias("parcel_no"),
        "district",
        "section",
        pl.col("area_m2").cast(pl.Decimal(12, 2)),
        "zoning",
        "announced_value",
    ).sort("parcel_no")


def generate_ownership(
    rng: np.random.Generator, parcels: pl.DataFrame, persons: pl.DataFrame
) -> pl.DataFrame:
    """Return 1–4 adult co-owners per parcel with shares that add up to exactly 1.

    Owners come from a shuffled pool of adults smaller than the number of ownership rows, so
    many persons own several parcels; co-owners of one parcel are consecutive pool members and
    therefore distinct.
    """
    birth = persons["birth_date"].cast(pl.Int32).to_numpy().astype(np.int64)
    adults = np.flatnonzero(birth <= TODAY - years(ADULT_AGE))
    k = weighted_indices(rng, parcels.height, OWNERS_PER_PARCEL_WEIGHTS) + 1
    parcel_of, position = group_offsets(k)
    rows = len(parcel_of)
    pool_size = max(min(len(adults), int(rows * 0.8)), int(k.max()))
    pool = rng.permutation(adults)[:pool_size]
    start = rng.integers(0, pool_size, parcels.height)
    owner = pool[(start[parcel_of] + position) % pool_size]

    # Half the parcels split evenly (1/2, 1/3, …); the rest in random proportions.
    even = (rng.random(parcels.height) < 0.5)[parcel_of]
    weight = np.where(even, 1.0, rng.random(rows) + 0.1)
    total = np.bincount(parcel_of, weights=weight)[parcel_of]
    units = np.floor(SHARE_UNITS * weight / total).astype(np.int64)
    last = np.r_[parcel_of[1:] != parcel_of[:-1], True]
    units[last] += SHARE_UNITS - np.bincount(parcel_of, weights=units).astype(np.int64)
    return pl.DataFrame(
        {
            "parcel_no": parcels["parcel_no"].gather(parcel_of),
            "owner_national_id": persons["national_id"].gather(owner),
            "share": (pl.Series(units) / SHARE_UNITS).cast(pl.Decimal(9, 6)),
        }
    )


def generate_permits(
    rng: np.random.Generator, parcels: pl.DataFrame, ownership: pl.DataFrame
) -> pl.DataFrame:
    """Return building permits on parcels, issued to one of each parcel's owners."""
    zoning_index = {z.name: i for i, z in enumerate(ZONINGS)}
    zoning = parcels["zoning"].replace_strict(zoning_index, return_dtype=pl.Int64).to_numpy()
    rate = np.array([z.permit_rate for z in ZONINGS])[zoning]
    u = rng.random(parcels.height)
    count = (u < rate).astype(np.int64) + (u < rate * 0.12)  # a few parcels carry two buildings
    parcel = np.repeat(np.arange(parcels.height), count)
    n = len(parcel)

    use = choose_within_groups(rng, zoning[parcel], [z.uses for z in ZONINGS])
    use_index = use.replace_strict(
        {u: i for i, u in enumerate(USE_FLOORS)}, return_dtype=pl.Int64
    ).to_numpy()
    low, high = (np.array([f[i] for f in USE_FLOORS.values()]) for i in (0, 1))
    floors = rng.integers(low[use_index], high[use_index] + 1, n)
    issued = uniform_days(rng, np.full(n, FIRST_PERMIT), np.full(n, LAST_PERMIT))

    owners_per_parcel = ownership.group_by("parcel_no", maintain_order=True).len()["len"]
    first_row = np.r_[0, np.cumsum(owners_per_parcel.to_numpy())[:-1]].astype(np.int64)
    pick = first_row[parcel] + np.floor(
        rng.random(n) * owners_per_parcel.to_numpy()[parcel]
    ).astype(np.int64)

    district_index = {d.name: i for i, d in enumerate(DISTRICTS)}
    district = parcels["district"].replace_strict(district_index, return_dtype=pl.Int64)
    frame = pl.DataFrame(
        {
            "parcel_no": parcels["parcel_no"].gather(parcel),
            "district": parcels["district"].gather(parcel),
            "address": taipei_addresses(rng, district.to_numpy()[parcel], with_floor=False),
            "use_type": use,
            "floors": floors.astype(np.int32),
            "issued_on": date_series("issued_on", issued),
            "owner_national_id": ownership["owner_national_id"].gather(pick),
        }
    )
    # One permit per building address keeps the fire-inspection join one-to-one per building.
    frame = frame.unique(subset="address", keep="first", maintain_order=True)
    frame = frame.sort("issued_on", "parcel_no", "address", maintain_order=True)
    frame = frame.with_columns(pl.col("issued_on").dt.year().cast(pl.Int64).alias("year"))
    sequence = pl.int_range(1, pl.len() + 1).over("year")
    width = max(5, len(str(frame.height)))
    return frame.select(
        pl.concat_str(
            (pl.col("year") - 1911).cast(pl.String),
            pl.lit("建字第"),
            sequence.cast(pl.String).str.zfill(width),
            pl.lit("號"),
        ).alias("permit_no"),
        *TABLE_SCHEMAS["permits"].column_names[1:],
    )


def generate_inspections(rng: np.random.Generator, permits: pl.DataFrame) -> pl.DataFrame:
    """Return 0–3 fire-safety inspections per permitted building since 2019."""
    visits = weighted_indices(rng, permits.height, (0.3, 0.35, 0.2, 0.15))
    building = np.repeat(np.arange(permits.height), visits)
    n = len(building)
    issued = permits["issued_on"].cast(pl.Int32).to_numpy().astype(np.int64)[building]
    inspected = uniform_days(rng, np.maximum(issued + 30, FIRST_INSPECTION), np.full(n, TODAY))
    names = list(INSPECTION_RESULTS)
    result = weighted_indices(rng, n, [w for w, _ in INSPECTION_RESULTS.values()])
    mean_extra = np.array([m for _, m in INSPECTION_RESULTS.values()])[result]
    violations = np.where(mean_extra < 0, 0, 1 + rng.poisson(np.maximum(mean_extra, 0.0)))
    frame = pl.DataFrame(
        {
            "address": permits["address"].gather(building),
            "district": permits["district"].gather(building),
            "inspected_on": date_series("inspected_on", inspected),
            "result": lookup(names, result),
            "violations": violations.astype(np.int32),
        }
    ).sort("inspected_on", "address", maintain_order=True)
    year = frame["inspected_on"].dt.year().cast(pl.String)
    width = max(6, len(str(n)))
    return frame.select(
        pl.concat_str(
            pl.lit("FI"),
            year,
            pl.lit("-"),
            pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(width),
        ).alias("inspection_id"),
        *TABLE_SCHEMAS["inspections"].column_names[1:],
    )

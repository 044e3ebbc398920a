"""Persons and households of the household register (戶籍): who lives where, with whom."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from demo.national_id import FEMALE, MALE, generate_national_ids
from demo.reference_data import (
    CITY,
    DISTRICTS,
    GIVEN_NAME_CHARS_FEMALE,
    GIVEN_NAME_CHARS_MALE,
    HOUSEHOLD_SIZE_WEIGHTS,
    REFERENCE_DATE,
    SINGLE_CHARACTER_GIVEN_NAME_SHARE,
    SURNAMES,
)
from demo.sampling import (
    choose_within_groups,
    date_series,
    epoch_days,
    group_offsets,
    lookup,
    numbered,
    uniform_days,
    weighted_indices,
    years,
)
from demo.table_schemas import TABLE_SCHEMAS

TODAY = epoch_days(REFERENCE_DATE)
OLDEST_BIRTH = epoch_days(date(1930, 1, 1))
FIRST_REGISTRATION = epoch_days(date(1975, 1, 1))  # household registers were digitised later
HEAD, SPOUSE, CHILD, PARENT = 0, 1, 2, 3


def taipei_addresses(
    rng: np.random.Generator, district_idx: np.ndarray, *, with_floor: bool
) -> pl.Series:
    """Return one street address per district index, e.g. 臺北市大安區復興南路一段123巷4號5樓."""
    n = len(district_idx)
    street = choose_within_groups(rng, district_idx, [d.streets for d in DISTRICTS])
    lane = rng.integers(1, 300, n)
    alley = rng.integers(1, 12, n)
    has_lane = rng.random(n) < 0.45
    has_alley = has_lane & (rng.random(n) < 0.25)
    number = rng.integers(1, 400, n)
    floor = np.where(rng.random(n) < 0.15, 1, rng.integers(2, 16, n))
    parts = pl.DataFrame(
        {
            "district": lookup([d.name for d in DISTRICTS], district_idx),
            "street": street,
            "lane": np.where(has_lane, lane, -1),
            "alley": np.where(has_alley, alley, -1),
            "number": number,
            "floor": floor,
        }
    )

    def part(column: str, unit: str) -> pl.Expr:
        value = pl.col(column)
        return pl.when(value > 0).then(value.cast(pl.String) + unit).otherwise(pl.lit(""))

    address = pl.concat_str(
        pl.lit(CITY),
        pl.col("district"),
        pl.col("street"),
        part("lane", "巷"),
        part("alley", "弄"),
        pl.col("number").cast(pl.String) + "號",
        part("floor", "樓") if with_floor else pl.lit(""),
    )
    return parts.select(address.alias("address")).to_series()


def _household_sizes(rng: np.random.Generator, scale: int) -> np.ndarray:
    """Return household sizes (1…6) that add up to exactly ``scale`` persons."""
    sizes = weighted_indices(rng, scale, HOUSEHOLD_SIZE_WEIGHTS) + 1  # never fewer than scale
    total = np.cumsum(sizes)
    last = int(np.searchsorted(total, scale))
    sizes = sizes[: last + 1].copy()
    sizes[-1] -= int(total[last]) - scale
    return sizes


def _roles(rng: np.random.Generator, position: np.ndarray) -> np.ndarray:
    """Return each member's role: the first member heads the household."""
    n = len(position)
    u = rng.random(n)
    role = np.where(u < 0.85, CHILD, PARENT)
    role = np.where((position == 1) & (u < 0.75), SPOUSE, role)
    role = np.where((position == 1) & (u >= 0.75), np.where(u < 0.95, CHILD, PARENT), role)
    return np.where(position == 0, HEAD, role)


def _birth_days(rng: np.random.Generator, role: np.ndarray, head_birth: np.ndarray) -> np.ndarray:
    """Return birth dates (epoch days) consistent with each member's role towards the head."""
    n = len(role)
    head_age = (TODAY - head_birth) / 365.2425
    spouse = head_birth + years(rng.normal(0.0, 4.0, n))
    child_span = np.minimum(22.0, head_age - 20.0)
    child = head_birth + years(20.0 + rng.random(n) * child_span)
    parent = head_birth - years(20.0 + rng.random(n) * 15.0)
    birth = np.select(
        [role == HEAD, role == SPOUSE, role == CHILD], [head_birth, spouse, child], parent
    )
    return np.clip(birth, OLDEST_BIRTH, TODAY)


def generate_population(rng: np.random.Generator, scale: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return (persons, households) for ``scale`` persons living in households of 1–6."""
    if scale < 1:
        raise ValueError("scale must be at least 1 person")
    sizes = _household_sizes(rng, scale)
    n_households = len(sizes)
    household_of, position = group_offsets(sizes)

    population = np.array([d.population for d in DISTRICTS], dtype=np.float64)
    hh_district = weighted_indices(rng, n_households, population)
    hh_address = taipei_addresses(rng, hh_district, with_floor=True)
    # Sorted draws: households come out in key order, which keeps primary-key loads cheap.
    hh_ids = np.sort(rng.choice(10**8, size=n_households, replace=False))
    hh_head_birth = TODAY - years(22.0 + 68.0 * rng.beta(2.0, 2.4, n_households))
    hh_head_sex = np.where(rng.random(n_households) < 0.62, MALE, FEMALE)

    role = _roles(rng, position)
    # A head of 60 or more does not live with a parent: that member is a child instead.
    head_age = (TODAY - hh_head_birth[household_of]) / 365.2425
    role = np.where((role == PARENT) & (head_age >= 60), CHILD, role)
    birth = _birth_days(rng, role, hh_head_birth[household_of])
    head_sex = hh_head_sex[household_of]
    sex = np.select(
        [role == HEAD, role == SPOUSE], [head_sex, 3 - head_sex], rng.integers(1, 3, scale)
    )
    national_id = generate_national_ids(sex, rng)

    surname_weights = list(SURNAMES.values())
    head_surname = weighted_indices(rng, n_households, surname_weights)[household_of]
    own_surname = weighted_indices(rng, scale, surname_weights)
    # Children carry the father's surname: the spouse's when the head is the mother.
    spouse_surname = np.full(n_households, -1, dtype=np.int64)
    spouse_rows = np.flatnonzero(role == SPOUSE)
    spouse_surname[household_of[spouse_rows]] = own_surname[spouse_rows]
    family = np.where(
        (hh_head_sex[household_of] == FEMALE) & (spouse_surname[household_of] >= 0),
        spouse_surname[household_of],
        head_surname,
    )
    surname = np.select(
        [role == HEAD, role == CHILD, (role == PARENT) & (sex == MALE)],
        [head_surname, family, head_surname],
        own_surname,
    )
    pools = [GIVEN_NAME_CHARS_MALE, GIVEN_NAME_CHARS_FEMALE]
    first = choose_within_groups(rng, sex - 1, pools)
    second = choose_within_groups(rng, sex - 1, pools)
    single = rng.random(scale) < SINGLE_CHARACTER_GIVEN_NAME_SHARE
    age = (TODAY - birth) / 365.2425
    phone = rng.integers(0, 10**8, scale)

    households = pl.DataFrame(
        {
            "household_id": pl.select(numbered("H", hh_ids, 8)).to_series().set_sorted(),
            "district": lookup([d.name for d in DISTRICTS], hh_district),
            "address": hh_address,
        }
    )
    persons = pl.DataFrame(
        {
            "national_id": national_id,
            "surname": lookup(list(SURNAMES), surname),
            "first": first,
            "second": pl.Series(np.where(single, "", second.to_numpy()), dtype=pl.String),
            "sex": pl.Series(sex.astype(np.int8)).cast(pl.String),
            "birth_date": date_series("birth_date", birth),
            "household": household_of,
            "phone": pl.select(numbered("09", phone, 8)).to_series(),
            "child": age < 12.0,
        }
    )
    persons = persons.select(
        "national_id",
        pl.concat_str("surname", "first", "second").alias("name"),
        pl.col("sex").replace_strict({"1": "男", "2": "女"}),
        "birth_date",
        households["district"].gather(household_of).alias("district"),
        households["address"].gather(household_of).alias("address"),
        households["household_id"].gather(household_of).alias("household_id"),
        # Young children have no mobile phone of their own.
        pl.when(pl.col("child")).then(None).otherwise(pl.col("phone")).alias("phone"),
    )
    # Persons in national_id order (fixed width, so numeric order is text order).
    by_id = national_id.str.slice(1).cast(pl.Int64).arg_sort()
    persons = persons[by_id].with_columns(pl.col("national_id").set_sorted())
    head_rows = np.flatnonzero(role == HEAD)
    registered_from = np.maximum(hh_head_birth + years(20.0), FIRST_REGISTRATION)
    registered_on = uniform_days(rng, registered_from, np.full(n_households, TODAY))
    households = households.with_columns(
        national_id.gather(head_rows).alias("head_national_id"),
        date_series("registered_on", registered_on),
    )
    return persons, households.select(TABLE_SCHEMAS["households"].column_names)

"""The synthetic Taipei data: shape, realism, referential integrity and determinism."""

from __future__ import annotations

import re
from datetime import date

import polars as pl
import pytest

from demo.generate import DemoData, generate, lookup_subject
from demo.national_id import is_valid_national_id, national_id_is_valid_expr
from demo.reference_data import (
    DISTRICT_NAMES,
    DISTRICTS,
    INSPECTION_RESULTS,
    REFERENCE_DATE,
    SURNAMES,
    WELFARE_PROGRAMS,
    ZONINGS,
)

SCALE = 4_000

# DESIGN.md §6, column for column.
DESIGN_COLUMNS = {
    "household.persons": [
        "national_id",
        "name",
        "sex",
        "birth_date",
        "district",
        "address",
        "household_id",
        "phone",
    ],
    "household.households": [
        "household_id",
        "district",
        "address",
        "head_national_id",
        "registered_on",
    ],
    "welfare.recipients": [
        "case_id",
        "national_id",
        "program",
        "monthly_amount",
        "start_date",
        "end_date",
        "district",
    ],
    "land.parcels": ["parcel_no", "district", "section", "area_m2", "zoning", "announced_value"],
    "land.ownership": ["parcel_no", "owner_national_id", "share"],
    "building.permits": [
        "permit_no",
        "parcel_no",
        "district",
        "address",
        "use_type",
        "floors",
        "issued_on",
        "owner_national_id",
    ],
    "fire.inspections": [
        "inspection_id",
        "address",
        "district",
        "inspected_on",
        "result",
        "violations",
    ],
}


@pytest.fixture(scope="module")
def data() -> DemoData:
    return generate(scale=SCALE, seed=11)


def test_tables_and_columns_are_exactly_those_of_the_design(data: DemoData) -> None:
    tables = {
        f"{source}.{name}": frame.columns
        for source, frames in data.sources().items()
        for name, frame in frames.items()
    }
    assert tables == DESIGN_COLUMNS
    assert data.persons.height == SCALE


def test_column_types(data: DemoData) -> None:
    assert data.persons.schema["birth_date"] == pl.Date
    assert data.households.schema["registered_on"] == pl.Date
    assert data.recipients.schema["monthly_amount"] == pl.Decimal(12, 2)
    assert data.recipients.schema["start_date"] == pl.Date
    assert data.recipients.schema["end_date"] == pl.Date
    assert data.parcels.schema["area_m2"] == pl.Decimal(12, 2)
    assert data.parcels.schema["announced_value"].is_integer()
    assert isinstance(data.ownership.schema["share"], pl.Decimal)
    assert data.permits.schema["floors"].is_integer()
    assert data.permits.schema["issued_on"] == pl.Date
    assert data.inspections.schema["inspected_on"] == pl.Date
    assert data.inspections.schema["violations"].is_integer()


def test_every_person_has_a_valid_distinct_national_id(data: DemoData) -> None:
    ids = data.persons["national_id"]
    assert ids.n_unique() == SCALE
    assert data.persons.select(national_id_is_valid_expr().all()).item()
    assert all(is_valid_national_id(i) for i in ids)  # the scalar check agrees, person by person
    assert ids.str.starts_with("A").all()  # first registered in Taipei City


def test_sex_matches_the_national_id(data: DemoData) -> None:
    digit = data.persons["national_id"].str.slice(1, 1)
    expected = digit.replace_strict({"1": "男", "2": "女"})
    assert (data.persons["sex"] == expected).all()
    shares = data.persons["sex"].value_counts(normalize=True)
    assert shares["proportion"].min() > 0.4


def test_names_birth_dates_and_phones_look_real(data: DemoData) -> None:
    persons = data.persons
    surnames = sorted(SURNAMES, key=len, reverse=True)
    assert persons["name"].str.len_chars().is_between(2, 4).all()
    assert all(any(name.startswith(s) for s in surnames) for name in persons["name"])
    top = persons["name"].str.slice(0, 1).value_counts(sort=True)["name"][0]
    assert top == "陳"
    assert persons["birth_date"].min() >= date(1930, 1, 1)
    assert persons["birth_date"].max() <= date(2024, 12, 31)
    assert persons["birth_date"].dt.year().n_unique() > 80
    phones = persons["phone"].drop_nulls()
    assert phones.str.contains(r"^09\d{8}$").all()
    assert phones.len() > 0.8 * SCALE


def test_all_twelve_districts_with_population_weights(data: DemoData) -> None:
    for frame in (data.persons, data.households, data.recipients, data.parcels, data.permits):
        assert set(frame["district"]) <= set(DISTRICT_NAMES)
    assert set(data.persons["district"]) == set(DISTRICT_NAMES)
    assert set(data.parcels["district"]) == set(DISTRICT_NAMES)
    counts = dict(data.persons["district"].value_counts().iter_rows())
    assert counts["大安區"] > counts["南港區"]  # 290k vs 115k residents


def test_addresses_are_in_the_persons_district(data: DemoData) -> None:
    for frame in (data.persons, data.households, data.permits, data.inspections):
        prefix = pl.lit("臺北市") + pl.col("district")
        assert frame.select(pl.col("address").str.starts_with(prefix).all()).item()
    street = re.compile(r"^臺北市..區[^\d]+(\d+巷)?(\d+弄)?\d+號(\d+樓)?$")
    assert all(street.match(a) for a in data.persons["address"])
    # Every street belongs to its district.
    streets = {d.name: d.streets for d in DISTRICTS}
    for district, address in data.households.select("district", "address").rows()[:500]:
        rest = address.removeprefix("臺北市" + district)
        assert any(rest.startswith(s) for s in streets[district]), address


def test_households_share_address_and_have_a_member_head(data: DemoData) -> None:
    persons, households = data.persons, data.households
    assert households["household_id"].n_unique() == households.height
    joined = persons.join(households, on="household_id", how="left", suffix="_hh")
    assert joined["district_hh"].null_count() == 0
    assert (joined["district"] == joined["district_hh"]).all()
    assert (joined["address"] == joined["address_hh"]).all()
    sizes = persons.group_by("household_id").len()["len"]
    assert sizes.min() >= 1 and sizes.max() <= 6
    heads = households.join(
        persons,
        left_on=["head_national_id", "household_id"],
        right_on=["national_id", "household_id"],
        how="inner",
    )
    assert heads.height == households.height
    head_birth = heads["birth_date"]
    assert (head_birth <= date(REFERENCE_DATE.year - 18, 12, 31)).all()
    assert (households["registered_on"] <= REFERENCE_DATE).all()


def test_welfare_cases(data: DemoData) -> None:
    cases, persons = data.recipients, data.persons
    recipients = cases["national_id"].n_unique()
    assert 0.05 * SCALE <= recipients <= 0.08 * SCALE
    assert cases.join(persons, on="national_id", how="anti").height == 0
    assert cases["case_id"].n_unique() == cases.height
    assert cases.select("national_id", "program").is_unique().all()
    assert set(cases["program"]) <= {p.name for p in WELFARE_PROGRAMS}
    assert cases["monthly_amount"].min() > 0
    ended = cases.filter(pl.col("end_date").is_not_null())
    assert (ended["end_date"] >= ended["start_date"]).all()
    assert 0 < ended.height < cases.height  # ongoing cases have no end date
    assert (cases["start_date"] <= REFERENCE_DATE).all()
    with_person = cases.join(persons, on="national_id", suffix="_p")
    assert (with_person["district"] == with_person["district_p"]).all()
    age = (pl.lit(REFERENCE_DATE) - pl.col("birth_date")).dt.total_days() / 365.2425
    elderly = with_person.filter(pl.col("program") == "中低收入老人生活津貼")
    assert elderly.select((age >= 65).all()).item()
    minors = with_person.filter(pl.col("program") == "兒童及少年生活扶助")
    assert minors.select((age < 18).all()).item()
    assert (with_person["start_date"] >= with_person["birth_date"]).all()


def test_land_parcels_and_ownership(data: DemoData) -> None:
    parcels, ownership, persons = data.parcels, data.ownership, data.persons
    assert parcels["parcel_no"].n_unique() == parcels.height
    assert parcels["parcel_no"].str.contains(r"^\d{4}-\d{4}-\d{4}$").all()
    assert set(parcels["zoning"]) <= {z.name for z in ZONINGS}
    sections = {d.name: d.sections for d in DISTRICTS}
    for district, section in parcels.select("district", "section").rows():
        assert section.endswith("小段") and section[:-3] in sections[district]
    assert parcels["area_m2"].cast(pl.Float64).min() > 0
    assert parcels["announced_value"].min() > 0

    assert (
        ownership.join(
            persons, left_on="owner_national_id", right_on="national_id", how="anti"
        ).height
        == 0
    )
    assert ownership.join(parcels, on="parcel_no", how="anti").height == 0
    assert parcels.join(ownership, on="parcel_no", how="anti").height == 0  # every parcel owned
    assert ownership.select("parcel_no", "owner_national_id").is_unique().all()
    totals = ownership.group_by("parcel_no").agg(pl.col("share").sum())
    assert (totals["share"] == 1).all()  # exactly, in decimal arithmetic
    assert ownership["parcel_no"].value_counts()["count"].max() > 1  # co-owned parcels
    assert ownership["owner_national_id"].value_counts()["count"].max() > 1  # several parcels


def test_permits_and_inspections(data: DemoData) -> None:
    permits, inspections, parcels = data.permits, data.inspections, data.parcels
    assert permits["permit_no"].n_unique() == permits.height
    assert permits["permit_no"].str.contains(r"^\d{2,3}建字第\d{5,}號$").all()
    with_parcel = permits.join(parcels, on="parcel_no", suffix="_parcel")
    assert with_parcel.height == permits.height
    assert (with_parcel["district"] == with_parcel["district_parcel"]).all()
    owned_by_owner = permits.join(data.ownership, on=["parcel_no", "owner_national_id"], how="semi")
    assert owned_by_owner.height == permits.height
    assert permits["floors"].min() >= 1
    assert permits["address"].n_unique() == permits.height

    assert inspections["inspection_id"].n_unique() == inspections.height
    assert inspections.join(permits, on="address", how="anti").height == 0
    assert set(inspections["result"]) == set(INSPECTION_RESULTS)
    passed = inspections.filter(pl.col("result") == "合格")
    failed = inspections.filter(pl.col("result") != "合格")
    assert (passed["violations"] == 0).all()
    assert (failed["violations"] >= 1).all()
    assert inspections["inspected_on"].min() >= date(2019, 1, 1)
    assert inspections["inspected_on"].max() <= REFERENCE_DATE
    with_permit = inspections.join(permits, on="address")
    assert (with_permit["inspected_on"] > with_permit["issued_on"]).all()


def test_the_lookup_subject_receives_welfare_and_owns_land(data: DemoData) -> None:
    subject = lookup_subject(data)
    person = data.persons.filter(pl.col("national_id") == subject)
    assert person["district"].item() == "大安區"
    assert data.recipients.filter(pl.col("national_id") == subject).height >= 1
    assert data.ownership.filter(pl.col("owner_national_id") == subject).height >= 1


def test_same_seed_same_data_other_seed_other_data() -> None:
    first, again, other = (generate(2_000, seed=s) for s in (5, 5, 6))
    for source, frames in first.sources().items():
        for name, frame in frames.items():
            assert frame.equals(again.sources()[source][name]), f"{source}.{name}"
            assert not frame.equals(other.sources()[source][name]), f"{source}.{name}"
    assert lookup_subject(first) == lookup_subject(again)


def test_row_counts_follow_the_scale(data: DemoData) -> None:
    counts = data.row_counts()
    assert counts["household.persons"] == SCALE
    assert SCALE / 3.2 < counts["household.households"] < SCALE / 2.0
    assert counts["land.parcels"] == SCALE // 5


def test_too_small_a_scale_is_refused() -> None:
    with pytest.raises(ValueError, match="scale"):
        generate(scale=10)

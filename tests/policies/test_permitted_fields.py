"""``Federation.permitted_fields``: every column a user may use, read from the decisions."""

from __future__ import annotations

from engine import Federation
from engine.config import LoadedConfig


def fields_of(demo_config: LoadedConfig, user: str) -> list[dict[str, object]]:
    with Federation.open(demo_config.path) as fed:
        return fed.permitted_fields(user)


def test_clerk_fields_carry_mode_filter_pins_purposes_and_cap(demo_config: LoadedConfig) -> None:
    fields = fields_of(demo_config, "clerk_daan")
    by_column = {(f["table"], f["column"]): f for f in fields}
    assert set(by_column) == {
        *(
            ("household.persons", c)
            for c in ("national_id", "name", "sex", "birth_date", "district", "address")
        ),
        *(
            ("welfare.recipients", c)
            for c in ("national_id", "program", "start_date", "end_date", "district")
        ),
        *(("land.ownership", c) for c in ("parcel_no", "owner_national_id", "share")),
        *(("land.parcels", c) for c in ("parcel_no", "district", "section", "area_m2", "zoning")),
    }
    name = by_column[("household.persons", "name")]
    assert name["mode"] == "read" and name["mask"] is None
    assert name["row_filter"] == "district = '大安區'"
    assert name["required"] == [{"column": "national_id", "max_values": 10}]
    assert name["purposes"] == ["welfare-eligibility"]
    assert name["max_rows"] == 100
    assert name["aggregate_only"] is None
    assert name["valid_until"] is None and name["valid_from"] is None
    assert name["type"] == "VARCHAR"
    share = by_column[("land.ownership", "share")]
    assert share["purposes"] == ["land-admin", "welfare-eligibility"]
    assert share["required"] == [{"column": "owner_national_id", "max_values": 10}]
    assert by_column[("land.parcels", "zoning")]["row_filter"] is None


def test_analyst_fields_show_masks_join_only_and_aggregation(demo_config: LoadedConfig) -> None:
    fields = fields_of(demo_config, "analyst_dbas")
    by_column = {(f["table"], f["column"]): f for f in fields}
    birth = by_column[("household.persons", "birth_date")]
    assert (birth["mode"], birth["mask"]) == ("mask", "year_only")
    assert by_column[("household.persons", "national_id")]["mode"] == "join"
    assert birth["aggregate_only"] == {"min_group": 10, "entity": "national_id"}
    assert {t for t, _ in by_column} == {"household.persons", "welfare.recipients"}


def test_users_without_grants_have_no_fields(demo_config: LoadedConfig) -> None:
    for user in ("admin", "auditor_ethics", "manager_daan"):
        assert fields_of(demo_config, user) == []


def test_federation_keeps_its_metadata_in_data_dir(demo_config: LoadedConfig) -> None:
    fields_of(demo_config, "owner_cra")
    assert (demo_config.data_dir / "metadata.sqlite").is_file()

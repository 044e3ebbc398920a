"""The demo catalog of DESIGN.md §6 as ``civicfed.toml``: agencies, sources, purposes, users and
the grants the data owners approved."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from demo import toml_text

AGENCIES: dict[str, str] = {
    "DOIT": "資訊局",
    "CRA": "民政局",
    "DSW": "社會局",
    "LAND": "地政局",
    "UDD": "都市發展局",
    "FIRE": "消防局",
    "DAAN": "大安區公所",
    "XINYI": "信義區公所",
    "DBAS": "主計處",
    "ETHICS": "政風處",
}
PURPOSES: dict[str, str] = {
    "welfare-eligibility": "社會救助資格審核",
    "statistics": "統計分析",
    "land-admin": "地政業務",
    "data-maintenance": "資料維護",
}
FULL_ACCESS_USER = "demo_fullaccess"


@dataclass(frozen=True)
class DemoUser:
    """A demo account."""

    name: str
    agency: str
    roles: tuple[str, ...]
    display_name: str
    district: str | None = None


USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "DOIT", ("platform_admin",), "資訊局 平臺管理者"),
    DemoUser("owner_cra", "CRA", ("data_owner",), "民政局 戶籍資料管理者"),
    DemoUser("owner_dsw", "DSW", ("data_owner",), "社會局 社福資料管理者"),
    DemoUser("manager_daan", "DAAN", ("agency_manager",), "大安區公所 業務主管", "大安區"),
    DemoUser("clerk_daan", "DAAN", ("user",), "大安區公所 社會課承辦人", "大安區"),
    DemoUser("clerk_xinyi", "XINYI", ("user",), "信義區公所 社會課承辦人", "信義區"),
    DemoUser("analyst_dbas", "DBAS", ("analyst",), "主計處 統計分析人員"),
    DemoUser("auditor_ethics", "ETHICS", ("auditor",), "政風處 稽核人員"),
    DemoUser(FULL_ACCESS_USER, "DOIT", ("analyst",), "示範用暫時全權帳號（政策功能完成後移除）"),
)


@dataclass(frozen=True)
class SourceLocation:
    """Where one demo source lives: a path relative to the config file, or a server."""

    kind: str
    owner: str
    description: str
    path: str | None = None
    dsn: str | None = None
    schema: str | None = None
    timeout_s: float = 10

    def entries(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "dsn": self.dsn,
            "schema": self.schema,
            "owner": self.owner,
            "timeout_s": self.timeout_s,
            "description": self.description,
        }


def _clerk_grants(user: str, district: str) -> list[dict[str, Any]]:
    """A district clerk: persons and welfare cases of their district, pinned by national ID;
    a citizen's land wherever it lies."""
    in_district = f"district = '{district}'"
    pin = [{"column": "national_id", "max_values": 10}]
    read = "read"
    return [
        {
            "user": user,
            "table": "household.persons",
            "columns": dict.fromkeys(
                ("national_id", "name", "sex", "birth_date", "district", "address"), read
            ),
            "row_filter": in_district,
            "require": pin,
            "max_rows": 100,
            "purposes": ["welfare-eligibility"],
        },
        {
            "user": user,
            "table": "welfare.recipients",
            "columns": dict.fromkeys(
                ("national_id", "program", "start_date", "end_date", "district"), read
            ),
            "row_filter": in_district,
            "require": pin,
            "max_rows": 100,
            "purposes": ["welfare-eligibility"],
        },
        {
            "user": user,
            "table": "land.ownership",
            "columns": dict.fromkeys(("parcel_no", "owner_national_id", "share"), read),
            "require": [{"column": "owner_national_id", "max_values": 10}],
            "max_rows": 100,
            "purposes": ["welfare-eligibility", "land-admin"],
        },
        {
            "user": user,
            "table": "land.parcels",
            "columns": dict.fromkeys(
                ("parcel_no", "district", "section", "area_m2", "zoning"), read
            ),
            "max_rows": 100,
            "purposes": ["welfare-eligibility", "land-admin"],
        },
    ]


def _analyst_grants(user: str) -> list[dict[str, Any]]:
    """Statistics only: aggregates over groups of at least ten distinct persons."""
    aggregate = {"min_group": 10, "entity": "national_id"}
    return [
        {
            "user": user,
            "table": "household.persons",
            "columns": {
                "sex": "read",
                "district": "read",
                "birth_date": "mask:year_only",
                "national_id": "join",
            },
            "aggregate_only": aggregate,
            "purposes": ["statistics"],
        },
        {
            "user": user,
            "table": "welfare.recipients",
            "columns": {
                "program": "read",
                "monthly_amount": "read",
                "district": "read",
                "national_id": "join",
            },
            "aggregate_only": aggregate,
            "purposes": ["statistics"],
        },
    ]


def grants() -> list[dict[str, Any]]:
    """Return the grants of DESIGN.md §6 followed by the temporary full-access grants."""
    result = _clerk_grants("clerk_daan", "大安區") + _clerk_grants("clerk_xinyi", "信義區")
    result += [
        {
            "user": "owner_cra",
            "table": "household.*",
            "columns": "*",
            "purposes": ["data-maintenance"],
        },
        {
            "user": "owner_dsw",
            "table": "welfare.*",
            "columns": "*",
            "purposes": ["data-maintenance"],
        },
    ]
    result += _analyst_grants("analyst_dbas")
    result += [
        {
            "user": FULL_ACCESS_USER,
            "table": f"{source}.*",
            "columns": "*",
            "purposes": ["statistics", "data-maintenance"],
        }
        for source in ("household", "welfare", "land", "building", "fire")
    ]
    return result


_NATIONAL_ID = [
    {"name": "national_id", "type": "national_id", "label": "身分證統一編號 National ID"}
]
# The query forms the owners define for the clerks (DESIGN.md: applications name fields and
# query conditions); each runs through the same policies and audit as any SQL.
TEMPLATES: tuple[dict[str, Any], ...] = (
    {
        "name": "household-person",
        "title": "戶籍：個人基本資料 Household: person by national ID",
        "description": "姓名、性別、出生日期、區別、地址（民政局戶籍資料）",
        "sql": "SELECT national_id, name, sex, birth_date, district, address "
        "FROM household.persons WHERE national_id = $national_id",
        "params": _NATIONAL_ID,
        "purposes": ["welfare-eligibility"],
    },
    {
        "name": "welfare-benefits",
        "title": "社福：個人補助紀錄 Welfare: benefits of a person",
        "description": "社會救助個案的補助項目與期間（社會局）",
        "sql": "SELECT national_id, program, start_date, end_date, district "
        "FROM welfare.recipients WHERE national_id = $national_id ORDER BY start_date, program",
        "params": _NATIONAL_ID,
        "purposes": ["welfare-eligibility"],
    },
    {
        "name": "land-parcels",
        "title": "地政：個人持有土地 Land: parcels owned by a person",
        "description": "持有地號、持分與土地基本資料（地政局）",
        "sql": "SELECT o.parcel_no, o.share, p.district, p.section, p.area_m2, p.zoning "
        "FROM land.ownership AS o JOIN land.parcels AS p ON p.parcel_no = o.parcel_no "
        "WHERE o.owner_national_id = $national_id ORDER BY o.parcel_no",
        "params": _NATIONAL_ID,
        "purposes": ["welfare-eligibility", "land-admin"],
    },
    {
        "name": "person-across",
        "title": "跨機關：個人綜合查詢 Person across databases",
        "description": "戶籍、社福與地政資料一次查詢（三個資料庫）",
        "sql": "SELECT p.national_id, p.name, p.district, p.address, r.program, r.start_date, "
        "r.end_date, o.parcel_no, o.share FROM household.persons AS p "
        "LEFT JOIN welfare.recipients AS r ON r.national_id = p.national_id "
        "LEFT JOIN land.ownership AS o ON o.owner_national_id = p.national_id "
        "WHERE p.national_id = $national_id ORDER BY r.program, o.parcel_no",
        "params": _NATIONAL_ID,
        "purposes": ["welfare-eligibility"],
    },
)


def render_config(sources: Mapping[str, SourceLocation]) -> str:
    """Return the text of the demo's ``civicfed.toml`` for the given source locations."""
    parts = [
        "# civicfed demo catalog (DESIGN.md §6), written by `civicfed demo setup`.\n"
        "# Synthetic data only; relative paths resolve against this file's folder.\n",
        toml_text.table("federation", {"data_dir": "var"}),
    ]
    parts += [
        toml_text.array_table("agencies", {"code": c, "name": n}) for c, n in AGENCIES.items()
    ]
    parts += [toml_text.table(f"sources.{n}", s.entries()) for n, s in sources.items()]
    parts += [
        toml_text.array_table("purposes", {"code": c, "name": n}) for c, n in PURPOSES.items()
    ]
    for user in USERS:
        comment = None
        if user.name == FULL_ACCESS_USER:
            comment = (
                "Demonstration account (not one of the scenario's staff): reads every source for\n"
                "data maintenance, for the cross-agency building/fire example and the tests."
            )
        parts.append(
            toml_text.array_table(
                "users",
                {
                    "name": user.name,
                    "agency": user.agency,
                    "roles": list(user.roles),
                    "district": user.district,
                    "display_name": user.display_name,
                },
                comment,
            )
        )
    first_full_access = True
    for grant in grants():
        comment = None
        if grant["user"] == FULL_ACCESS_USER and first_full_access:
            comment = f"{FULL_ACCESS_USER}: the demonstration account's grants."
            first_full_access = False
        parts.append(toml_text.array_table("grants", grant, comment))
    parts += [toml_text.array_table("templates", t) for t in TEMPLATES]
    return "\n".join(parts)

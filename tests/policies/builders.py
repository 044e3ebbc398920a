"""Small builders for policy tests: tables, grants and principals without a config file."""

from __future__ import annotations

from typing import Any

from policies import Grant, Principal, TableRef, grant_from_spec


def table(name: str, *columns: str) -> TableRef:
    source, table_name = name.split(".")
    return TableRef(source, table_name, tuple((c, "VARCHAR") for c in columns))


def grant(grant_id: str, **spec: Any) -> Grant:
    spec.setdefault("columns", "*")
    spec.setdefault("purposes", ["p"])
    return grant_from_spec(spec, grant_id)


PERSONS = table(
    "household.persons",
    "national_id",
    "name",
    "sex",
    "birth_date",
    "district",
    "address",
    "household_id",
    "phone",
)


def principal(name: str = "alice", agency: str = "DAAN", **attributes: str) -> Principal:
    return Principal(name, agency, ("user",), {"name": name, "agency": agency, **attributes})

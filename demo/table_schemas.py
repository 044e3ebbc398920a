"""Declared column types, keys and indexes of the demo tables, and their spelling per database.

Logical types: ``text``, ``date``, ``integer`` and ``decimal(p,s)``. Every database gets real
DATE and DECIMAL columns except SQLite, which has neither storage class: there dates are ISO
``YYYY-MM-DD`` text under a declared ``DATE`` and decimals are REAL under a declared
``DECIMAL(p,s)`` (NUMERIC affinity, so SQLite itself stores whole values such as a share of
1.000000 as INTEGER; readers must go by the declared type and cast).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Dialect = Literal["sqlite", "duckdb", "postgres", "mysql"]
_DECIMAL = re.compile(r"decimal\((\d+),(\d+)\)")


@dataclass(frozen=True)
class Column:
    """One column: its name, logical type, and the VARCHAR length MySQL needs to index it."""

    name: str
    type: str
    not_null: bool = False
    length: int = 255


@dataclass(frozen=True)
class TableSchema:
    """A table's columns, primary key and secondary indexes (each a tuple of column names)."""

    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    indexes: tuple[tuple[str, ...], ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def index_name(self, columns: tuple[str, ...]) -> str:
        return f"{self.name}_{'_'.join(columns)}_idx"


def _text(name: str, length: int = 255, not_null: bool = False) -> Column:
    return Column(name, "text", not_null, length)


TABLE_SCHEMAS: dict[str, TableSchema] = {
    schema.name: schema
    for schema in (
        TableSchema(
            "persons",
            (
                _text("national_id", 10, True),
                _text("name", 16, True),
                _text("sex", 2),
                Column("birth_date", "date"),
                _text("district", 8),
                _text("address", 100),
                _text("household_id", 12),
                _text("phone", 10),
            ),
            primary_key=("national_id",),
            indexes=(("district",),),
        ),
        TableSchema(
            "households",
            (
                _text("household_id", 12, True),
                _text("district", 8),
                _text("address", 100),
                _text("head_national_id", 10),
                Column("registered_on", "date"),
            ),
            primary_key=("household_id",),
            indexes=(("district",), ("head_national_id",)),
        ),
        TableSchema(
            "recipients",
            (
                _text("case_id", 24, True),
                _text("national_id", 10, True),
                _text("program", 32),
                Column("monthly_amount", "decimal(12,2)"),
                Column("start_date", "date"),
                Column("end_date", "date"),
                _text("district", 8),
            ),
            primary_key=("case_id",),
            indexes=(("national_id",), ("district",)),
        ),
        TableSchema(
            "parcels",
            (
                _text("parcel_no", 16, True),
                _text("district", 8),
                _text("section", 16),
                Column("area_m2", "decimal(12,2)"),
                _text("zoning", 16),
                Column("announced_value", "integer"),
            ),
            primary_key=("parcel_no",),
            indexes=(("district",),),
        ),
        TableSchema(
            "ownership",
            (
                _text("parcel_no", 16, True),
                _text("owner_national_id", 10, True),
                Column("share", "decimal(9,6)"),
            ),
            # The key's index, led by parcel_no, also serves lookups by parcel.
            primary_key=("parcel_no", "owner_national_id"),
            indexes=(("owner_national_id",),),
        ),
        TableSchema(
            "permits",
            (
                _text("permit_no", 24, True),
                _text("parcel_no", 16),
                _text("district", 8),
                _text("address", 100),
                _text("use_type", 16),
                Column("floors", "integer"),
                Column("issued_on", "date"),
                _text("owner_national_id", 10),
            ),
            primary_key=("permit_no",),
        ),
        TableSchema(
            "inspections",
            (
                _text("inspection_id", 24, True),
                _text("address", 100),
                _text("district", 8),
                Column("inspected_on", "date"),
                _text("result", 8),
                Column("violations", "integer"),
            ),
            primary_key=("inspection_id",),
        ),
    )
}


def sql_type(column: Column, dialect: Dialect) -> str:
    """Return the column's declared type in ``dialect``."""
    if column.type == "text":
        return {"sqlite": "TEXT", "duckdb": "VARCHAR", "postgres": "TEXT"}.get(
            dialect, f"VARCHAR({column.length})"
        )
    if column.type == "date":
        return "DATE"
    if column.type == "integer":
        return "INTEGER"
    match = _DECIMAL.fullmatch(column.type)
    if match:
        precision, scale = match.groups()
        return f"{'NUMERIC' if dialect == 'postgres' else 'DECIMAL'}({precision},{scale})"
    raise ValueError(f"unknown logical type {column.type!r}")


def quote(name: str, dialect: Dialect) -> str:
    """Return ``name`` quoted as an identifier in ``dialect``."""
    return f"`{name}`" if dialect == "mysql" else f'"{name}"'


def create_table_sql(
    schema: TableSchema, dialect: Dialect, qualified_name: str, *, with_primary_key: bool = True
) -> str:
    """Return CREATE TABLE for ``schema`` (the primary key inline unless added after loading)."""
    lines = [
        f"{quote(c.name, dialect)} {sql_type(c, dialect)}{' NOT NULL' if c.not_null else ''}"
        for c in schema.columns
    ]
    if with_primary_key and schema.primary_key:
        key = ", ".join(quote(c, dialect) for c in schema.primary_key)
        lines.append(f"PRIMARY KEY ({key})")
    body = ",\n  ".join(lines)
    return f"CREATE TABLE {qualified_name} (\n  {body}\n)"


def create_index_sql(
    schema: TableSchema, columns: tuple[str, ...], dialect: Dialect, qualified_name: str
) -> str:
    """Return CREATE INDEX for ``columns`` of ``schema``."""
    cols = ", ".join(quote(c, dialect) for c in columns)
    return f"CREATE INDEX {quote(schema.index_name(columns), dialect)} ON {qualified_name} ({cols})"

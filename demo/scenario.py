"""`civicfed demo setup`: generate the Taipei scenario, load its five sources, write the catalog,
the demo accounts' passwords and the facts that `demo run` and the tests look up."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import polars as pl

from demo.catalog import FULL_ACCESS_USER, USERS, SourceLocation, render_config
from demo.generate import (
    DEFAULT_SCALE,
    DEFAULT_SEED,
    GENERATION_STEPS,
    DemoData,
    generate,
    lookup_subject,
)
from demo.reference_data import REFERENCE_DATE
from demo.writers import (
    write_csv_folder,
    write_duckdb,
    write_mysql,
    write_parquet_folder,
    write_postgres,
    write_sqlite,
)
from engine import Federation

DEFAULT_PG_DSN = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_MYSQL_DSN = "mysql://root@127.0.0.1:3306/test"
CONFIG_FILE = "civicfed.toml"
CREDENTIALS_FILE = "demo-credentials.json"
FACTS_FILE = "demo-facts.json"
DATA_DIR = "data"

Progress = Callable[[str, int, int], None]
_WRITE_STEPS = 6  # five sources, then the catalog files


def setup(
    directory: Path,
    scale: int = DEFAULT_SCALE,
    servers: bool = False,
    seed: int = DEFAULT_SEED,
    progress: Progress | None = None,
    *,
    pg_dsn: str = DEFAULT_PG_DSN,
    mysql_dsn: str = DEFAULT_MYSQL_DSN,
    pg_schema: str = "household",
    mysql_database: str = "welfare",
) -> Path:
    """Build the demo in ``directory`` and return the path of its ``civicfed.toml``.

    Data go under ``directory/data/``; with ``servers`` household is loaded into PostgreSQL
    (schema ``pg_schema``) and welfare into MariaDB (database ``mysql_database``). Running it
    again replaces the data and keeps the passwords already handed out. ``progress`` is called
    as ``progress(description, completed, total)``.
    """
    directory = Path(directory)
    data_dir = directory / DATA_DIR
    data_dir.mkdir(parents=True, exist_ok=True)
    total = GENERATION_STEPS + _WRITE_STEPS

    def report(description: str, completed: int) -> None:
        if progress is not None:
            progress(description, completed, total)

    data = generate(scale, seed, progress=lambda text, completed, _: report(text, completed))
    tables = data.sources()
    sources: dict[str, SourceLocation] = {}
    done = GENERATION_STEPS

    report("writing household", done)
    if servers:
        write_postgres(pg_dsn, pg_schema, tables["household"])
        (data_dir / "household.sqlite").unlink(missing_ok=True)
        sources["household"] = SourceLocation(
            "postgres", "CRA", "戶籍資料（民政局）", dsn=pg_dsn, schema=pg_schema
        )
    else:
        write_sqlite(data_dir / "household.sqlite", tables["household"])
        sources["household"] = SourceLocation(
            "sqlite", "CRA", "戶籍資料（民政局）", path=f"{DATA_DIR}/household.sqlite"
        )
    report("writing welfare", done + 1)
    if servers:
        write_mysql(mysql_dsn, mysql_database, tables["welfare"])
        (data_dir / "welfare.duckdb").unlink(missing_ok=True)
        sources["welfare"] = SourceLocation(
            "mysql", "DSW", "社會救助個案（社會局）", dsn=mysql_dsn, schema=mysql_database
        )
    else:
        write_duckdb(data_dir / "welfare.duckdb", tables["welfare"])
        sources["welfare"] = SourceLocation(
            "duckdb", "DSW", "社會救助個案（社會局）", path=f"{DATA_DIR}/welfare.duckdb"
        )
    report("writing land", done + 2)
    write_sqlite(data_dir / "land.sqlite", tables["land"])
    sources["land"] = SourceLocation(
        "sqlite", "LAND", "土地登記（地政局）", path=f"{DATA_DIR}/land.sqlite"
    )
    report("writing building", done + 3)
    write_parquet_folder(data_dir / "building", tables["building"])
    sources["building"] = SourceLocation(
        "parquet", "UDD", "建築執照（都市發展局）", path=f"{DATA_DIR}/building"
    )
    report("writing fire", done + 4)
    write_csv_folder(data_dir / "fire", tables["fire"])
    sources["fire"] = SourceLocation(
        "csv", "FIRE", "消防安全檢查（消防局）", path=f"{DATA_DIR}/fire"
    )

    report("writing catalog, credentials and facts", done + 5)
    config_path = directory / CONFIG_FILE
    config_path.write_text(render_config(sources), encoding="utf-8")
    passwords = _write_credentials(directory / CREDENTIALS_FILE)
    _install_passwords(config_path, passwords)
    facts = demo_facts(data, servers=servers)
    (directory / FACTS_FILE).write_text(
        json.dumps(facts, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    report("demo ready", total)
    return config_path


def _install_passwords(config_path: Path, passwords: dict[str, str]) -> None:
    """Give each demo account its password in the metadata store (argon2id hashes only)."""
    with Federation.open(config_path) as fed:
        for name, password in passwords.items():
            fed.accounts.set_password(name, password, by="demo-setup", enforce_history=False)


def _write_credentials(path: Path) -> dict[str, str]:
    """Write {user: password} readable by the owner only, keeping passwords already issued."""
    existing: dict[str, str] = {}
    if path.is_file():
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                existing = {str(k): str(v) for k, v in loaded.items()}
        except (OSError, ValueError):
            existing = {}
    passwords = {u.name: existing.get(u.name) or secrets.token_urlsafe(15) for u in USERS}
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # O_CREAT's mode does not apply to a file that already exists
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(passwords, handle, ensure_ascii=False, indent=2)
        handle.write("\n")
    return passwords


def demo_facts(data: DemoData, *, servers: bool) -> dict[str, Any]:
    """Return what runners and tests need to know about the generated data."""
    subject = lookup_subject(data)
    person = data.persons.filter(pl.col("national_id") == subject).row(0, named=True)
    cases = data.recipients.filter(pl.col("national_id") == subject)
    parcels = data.ownership.filter(pl.col("owner_national_id") == subject)
    return {
        "seed": data.seed,
        "scale": data.scale,
        "servers": servers,
        "as_of": REFERENCE_DATE.isoformat(),
        "row_counts": data.row_counts(),
        "lookup_person": {
            "national_id": subject,
            "name": person["name"],
            "district": person["district"],
            "programs": sorted(cases["program"].to_list()),
            "parcels": sorted(parcels["parcel_no"].to_list()),
        },
    }


def read_facts(directory: Path) -> dict[str, Any]:
    """Return the facts `setup` wrote into ``directory``."""
    facts: dict[str, Any] = json.loads((Path(directory) / FACTS_FILE).read_text(encoding="utf-8"))
    return facts


class SampleQuery(NamedTuple):
    """A federated query `demo run` shows: who runs it, the SQL, and the case it serves."""

    title: str
    user: str
    sql: str
    purpose: dict[str, str]


def sample_queries(directory: Path, *, as_intended: bool = False) -> list[SampleQuery]:
    """Return the demo's federated queries for the data set in ``directory``.

    By default every query runs as the temporary ``demo_fullaccess`` account (with a purpose
    it holds), because the engine's first version honours only ``columns = "*"`` grants. With
    ``as_intended`` the queries name the §6 users and purposes they are meant for: the 大安區
    clerk for the lookup and the DBAS analyst for the statistics.
    """
    subject = read_facts(directory)["lookup_person"]["national_id"]
    lookup_sql = f"""\
SELECT p.national_id, p.name, p.sex, p.birth_date, p.district, p.address,
       r.program, r.start_date, r.end_date,
       o.parcel_no, o.share
FROM household.persons AS p
LEFT JOIN welfare.recipients AS r ON r.national_id = p.national_id
LEFT JOIN land.ownership AS o ON o.owner_national_id = p.national_id
WHERE p.national_id = '{subject}'
ORDER BY r.program, o.parcel_no"""
    # count(*) counts persons: a person holds at most one case per programme.
    statistics_sql = """\
SELECT p.district, r.program, count(*) AS persons, sum(r.monthly_amount) AS monthly_total
FROM household.persons AS p
JOIN welfare.recipients AS r ON r.national_id = p.national_id
GROUP BY p.district, r.program
ORDER BY p.district, r.program"""
    fire_sql = """\
SELECT b.address, b.use_type, b.floors, b.issued_on, f.inspected_on, f.result, f.violations
FROM building.permits AS b
JOIN fire.inspections AS f ON f.address = b.address
WHERE b.district = '大安區' AND f.result = '不合格'
ORDER BY f.violations DESC, f.inspected_on DESC, b.address
LIMIT 20"""
    lookup_purpose = {
        "document_no": "北市安社字第1133012345號",
        "case_no": "113-0042",
        "case_name": "低收入戶資格複查",
        "purpose": "welfare-eligibility",
        "legal_basis": "社會救助法第4條",
    }
    statistics_purpose = {
        "case_no": "113-STAT-007",
        "case_name": "各行政區社會救助人數與金額統計",
        "purpose": "statistics",
        "legal_basis": "統計法第3條",
    }
    fire_purpose = {
        "document_no": "北市消預字第1133054321號",
        "case_name": "大安區不合格場所複查清冊",
        "purpose": "data-maintenance",
    }
    queries = [
        SampleQuery("一人查詢：戶籍 ⋈ 社福 ⋈ 土地", "clerk_daan", lookup_sql, lookup_purpose),
        SampleQuery(
            "跨機關統計：各區社會救助人數與金額", "analyst_dbas", statistics_sql, statistics_purpose
        ),
        SampleQuery("建管 ⋈ 消防：大安區檢查不合格建物", FULL_ACCESS_USER, fire_sql, fire_purpose),
    ]
    if as_intended:
        return queries
    held = {"statistics", "data-maintenance"}
    return [
        q._replace(
            user=FULL_ACCESS_USER,
            purpose=q.purpose
            if q.purpose["purpose"] in held
            else {**q.purpose, "purpose": "data-maintenance"},
        )
        for q in queries
    ]

"""W1: point lookups by national_id (1, 10 and 1000 IDs) across household ⋈ welfare ⋈ land on
the embedded demo — the clerk's job — against DuckDB with its sqlite scanner attached to the
same files, and DuckDB on in-memory copies (the limit). p50/p95/p99 of each, same run."""

from __future__ import annotations

import argparse
import pathlib
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import duckdb_extension_sqlite_scanner
from rich.console import Console

from benchmarks.common import ensure_demo, percentiles, write_results
from engine import Federation

SQL = """SELECT p.national_id, p.name, r.program, o.parcel_no
FROM household.persons AS p
LEFT JOIN welfare.recipients AS r ON r.national_id = p.national_id
LEFT JOIN land.ownership AS o ON o.owner_national_id = p.national_id
WHERE p.national_id IN ({ids})"""
PURPOSE = {"case_no": "BENCH-W1", "case_name": "W1", "purpose": "data-maintenance"}


def _scanner_peer(data: Path) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    ext = next(
        pathlib.Path(duckdb_extension_sqlite_scanner.__file__).parent.rglob("*.duckdb_extension")
    )
    conn.execute(f"LOAD '{ext}'")
    conn.execute(f"ATTACH '{data / 'household.sqlite'}' AS household (TYPE sqlite, READ_ONLY)")
    conn.execute(f"ATTACH '{data / 'land.sqlite'}' AS land (TYPE sqlite, READ_ONLY)")
    conn.execute(f"ATTACH '{data / 'welfare.duckdb'}' AS welfare (READ_ONLY)")
    return conn


def _native_peer(scanner: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    for source, table in (
        ("household", "persons"),
        ("welfare", "recipients"),
        ("land", "ownership"),
    ):
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {source}")
        conn.register("t", scanner.execute(f"SELECT * FROM {source}.{table}").to_arrow_table())
        conn.execute(f"CREATE TABLE {source}.{table} AS SELECT * FROM t")
        conn.unregister("t")
    return conn


def run(scale: int, repeat: int, console: Console) -> dict[str, Any]:
    work = ensure_demo(scale)
    scanner = _scanner_peer(work / "data")
    native = _native_peer(scanner)
    everyone = [
        r[0] for r in native.execute("SELECT national_id FROM household.persons").fetchall()
    ]
    rng = random.Random(7)
    results: dict[str, Any] = {"scale": scale, "repeat": repeat, "lookups": {}}
    with Federation.open(work / "civicfed.toml") as fed:
        systems: dict[str, Callable[[str], int]] = {
            "civicfed": lambda sql: fed.query(sql, "demo_fullaccess", PURPOSE).num_rows,
            "duckdb-scanners": lambda sql: len(scanner.execute(sql).fetchall()),
            "duckdb-native": lambda sql: len(native.execute(sql).fetchall()),
        }
        for count in (1, 10, 1000):
            rounds = repeat if count < 1000 else max(10, repeat // 5)
            queries = [
                SQL.format(ids=", ".join(f"'{i}'" for i in rng.sample(everyone, count)))
                for _ in range(rounds)
            ]
            entry: dict[str, Any] = {}
            for name, run_query in systems.items():
                answers = [run_query(q) for q in queries[:3]]  # warm-up
                samples = []
                for q in queries:
                    started = time.perf_counter()
                    run_query(q)
                    samples.append((time.perf_counter() - started) * 1000)
                entry[name] = percentiles(samples)
                entry[name]["warmup_rows"] = answers
            base = entry["duckdb-scanners"]["p50_ms"]
            entry["civicfed_over_scanners_p50"] = round(entry["civicfed"]["p50_ms"] / base, 2)
            results["lookups"][str(count)] = entry
            console.print(
                f"{count:>5} IDs  civicfed p50 {entry['civicfed']['p50_ms']} ms  "
                f"scanners {entry['duckdb-scanners']['p50_ms']} ms  "
                f"native {entry['duckdb-native']['p50_ms']} ms"
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=100)
    args = parser.parse_args()
    results = run(args.scale, args.repeat, Console())
    day = time.strftime("%Y-%m-%d")
    lines = [
        f"# W1 point lookups — {day}, demo scale {results['scale']}",
        "",
        "persons ⋈ recipients ⋈ ownership pinned by national_id IN (…); civicfed as the",
        "full-access demonstration account (policies and the durable audit log on).",
        "",
        "| IDs | system | p50 ms | p95 ms | p99 ms |",
        "|---:|---|---:|---:|---:|",
    ]
    for count, entry in results["lookups"].items():
        for name in ("civicfed", "duckdb-scanners", "duckdb-native"):
            e = entry[name]
            lines.append(f"| {count} | {name} | {e['p50_ms']} | {e['p95_ms']} | {e['p99_ms']} |")
    write_results("lookups", results, lines)


if __name__ == "__main__":
    main()

"""W6 bulk transfer: a whole table pulled through civicfed from each source kind, against the
driver civicfed's adapter uses underneath reading the same table straight into Arrow.

TPC-H lineitem (SF 0.05, 300k rows; ``--full`` SF 0.2, 1.2M rows) sits in every kind
(benchmarks/every_kind.py). civicfed runs ``SELECT * FROM <kind>.lineitem`` as a full-access
user (policies and audit on); the raw peers are what the adapters wrap (adapters/*.py):

* postgres: DuckDB's postgres extension, ``postgres_query`` over an ATTACHed database;
* mysql: connectorx ``read_sql(..., return_type="arrow")``;
* sqlite: the ADBC SQLite driver, ``fetch_arrow_table``;
* duckdb: the DuckDB file opened read-only;
* parquet / csv: DuckDB ``read_parquet`` / ``read_csv``, and pyarrow's readers for reference.

One warm-up each, then ``--reps`` runs alternating civicfed and the peers so drift in the
machine's load falls on both; medians, rows/s, MB/s (each side's own Arrow bytes) and the ratio
civicfed ÷ raw driver (time: above 1 is slower).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import adbc_driver_sqlite.dbapi
import connectorx
import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from benchmarks import charts, every_kind, split_loaders
from benchmarks.common import add_server_options, result_file, write_results
from benchmarks.report import machine_info, versions
from benchmarks.tpch_split import (
    BENCH_PURPOSE,
    BENCH_USER,
    SOURCE_KINDS,
    duckdb_extension,
    generate,
)
from engine import Federation

NAME = "bulk-transfer"
TABLE = "lineitem"
QUICK_SF = 0.05
PURPOSE = {"case_no": "BENCH-W6", "case_name": "W6 bulk transfer", "purpose": BENCH_PURPOSE}
CIVICFED, RAW, PYARROW = "civicfed", "raw driver", "pyarrow"
# What differs between the two sides beyond the engine, for the markdown.
NOTES = (
    "civicfed's answer carries the declared types; SQLite's raw `SELECT *` gives the stored "
    "REAL and TEXT, which civicfed's adapter converts to DECIMAL(15,2) and DATE "
    "(adapters/types.py `conform`), so that kind's ratio includes the conversion.",
    "Parquet and CSV files within the adapters' cache budget (64 MB / 512 MB) are loaded into "
    "the adapter's DuckDB on the first scan and read from that copy while the files are "
    "unchanged; the raw readers parse the file every time. The first-pull column shows the "
    "cost of the load.",
    "Every civicfed answer passes through the sandbox DuckDB: the scan's Arrow stream is read "
    "into DuckDB and the result converted back to Arrow, even for a bare `SELECT *`.",
)

Reader = Callable[[], pa.Table]


def generate_lineitem(sf: float) -> dict[str, pa.Table]:
    """Return TPC-H lineitem at ``sf`` (the only table this benchmark loads)."""
    return {TABLE: generate(sf)[TABLE]}


def raw_readers(
    source: str, data: Path, namespace: str, dsns: tuple[str, str], stack: ExitStack
) -> dict[str, tuple[str, Reader]]:
    """Return system → (what it is, a reader of the whole table) for one source's raw peers;
    ``stack`` closes what they open. ``dsns`` are the PostgreSQL and MySQL servers'."""
    pg_dsn, mysql_dsn = dsns
    kind = SOURCE_KINDS[source]
    if kind == "postgres":
        con = stack.enter_context(duckdb.connect())
        con.execute(f"LOAD '{duckdb_extension('duckdb_extension_postgres_scanner')}'")
        con.execute(f"ATTACH '{pg_dsn}' AS pg (TYPE postgres, READ_ONLY)")
        sql = f"SELECT * FROM postgres_query('pg', 'SELECT * FROM {namespace}.{TABLE}')"
        return {RAW: ("DuckDB postgres_query", lambda: con.execute(sql).to_arrow_table())}
    if kind == "mysql":
        dsn = split_loaders.with_database(mysql_dsn, namespace)
        return {
            RAW: (
                "connectorx read_sql (arrow)",
                lambda: connectorx.read_sql(dsn, f"SELECT * FROM {TABLE}", return_type="arrow"),
            )
        }
    if kind == "sqlite":
        uri = f"file:{data / 'lite.sqlite'}?mode=ro"

        def adbc() -> pa.Table:
            with adbc_driver_sqlite.dbapi.connect(uri) as con, con.cursor() as cur:
                cur.execute(f"SELECT * FROM {TABLE}")
                return cur.fetch_arrow_table()

        return {RAW: ("ADBC SQLite fetch_arrow_table", adbc)}
    if kind == "duckdb":
        # The adapter's settings: DuckDB shares one instance per file and refuses a second
        # connection configured differently.
        file = stack.enter_context(
            duckdb.connect(
                str(data / "duck.duckdb"),
                read_only=True,
                config={
                    "enable_external_access": False,
                    "autoinstall_known_extensions": False,
                    "autoload_known_extensions": False,
                },
            )
        )
        return {
            RAW: ("DuckDB file", lambda: file.execute(f"SELECT * FROM {TABLE}").to_arrow_table())
        }
    memory = stack.enter_context(duckdb.connect())
    if kind == "parquet":
        path = data / "parquet" / f"{TABLE}.parquet"
        return {
            RAW: (
                "DuckDB read_parquet",
                lambda: memory.execute(f"SELECT * FROM read_parquet('{path}')").to_arrow_table(),
            ),
            PYARROW: ("pyarrow.parquet.read_table", lambda: pq.read_table(path)),
        }
    path = data / "csv" / f"{TABLE}.csv"
    csv_sql = f"SELECT * FROM read_csv('{path}', header = true, allow_quoted_nulls = false)"
    return {
        RAW: ("DuckDB read_csv", lambda: memory.execute(csv_sql).to_arrow_table()),
        PYARROW: ("pyarrow.csv.read_csv", lambda: pacsv.read_csv(path)),
    }


def _civicfed_reader(fed: Federation, source: str) -> Reader:
    sql = f"SELECT * FROM {source}.{TABLE}"
    return lambda: fed.query(sql, BENCH_USER, PURPOSE)


def _timed(read: Reader) -> tuple[float, pa.Table]:
    started = time.perf_counter()
    table = read()
    return time.perf_counter() - started, table


def measure_kind(
    source: str, readers: dict[str, tuple[str, Reader]], reps: int, progress: Progress, task: Any
) -> dict[str, Any]:
    """Time one kind's systems: a first (cold) pull each, then ``reps`` interleaved runs."""
    systems: dict[str, dict[str, Any]] = {}
    for system, (what, read) in readers.items():
        first_s, table = _timed(read)
        systems[system] = {
            "reader": what,
            "first_s": round(first_s, 4),
            "rows": table.num_rows,
            "bytes": table.nbytes,
            "runs_s": [],
        }
        del table
        progress.advance(task)
    for _ in range(reps):
        for system, (_, read) in readers.items():
            systems[system]["runs_s"].append(round(_timed(read)[0], 4))
            progress.advance(task)
    for entry in systems.values():
        median = statistics.median(entry["runs_s"])
        entry["median_s"] = round(median, 4)
        entry["rows_per_s"] = round(entry["rows"] / median)
        entry["mb_per_s"] = round(entry["bytes"] / 1e6 / median, 1)
    ours, raw = systems[CIVICFED]["median_s"], systems[RAW]["median_s"]
    return {
        "source": source,
        "kind": SOURCE_KINDS[source],
        "systems": systems,
        "civicfed/raw": round(ours / raw, 3),
        "civicfed/pyarrow": (
            round(ours / systems[PYARROW]["median_s"], 3) if PYARROW in systems else None
        ),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bulk_transfer", description=__doc__)
    parser.add_argument("--full", action="store_true", help="SF 0.2 (1.2M rows)")
    parser.add_argument("--sf", type=float, default=None, help="TPC-H scale factor (0.05)")
    parser.add_argument("--reps", type=int, default=3, help="timed runs per system (3)")
    parser.add_argument("--reload", action="store_true", help="reload the sources")
    add_server_options(parser)
    args = parser.parse_args(argv)
    sf = args.sf if args.sf is not None else (0.2 if args.full else QUICK_SF)
    console = Console()
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    load_before = os.getloadavg()
    try:
        data = every_kind.prepare(
            "bulk", sf, generate_lineitem, args.pg_dsn, args.mysql_dsn, console, args.reload
        )
    except Exception as exc:
        console.print(f"[red]could not load the sources: {type(exc).__name__}: {exc}[/]")
        return 2
    rows = data.tables[TABLE].num_rows
    del data.tables[TABLE]  # the timings should not share memory with a 1M-row copy
    kinds: list[dict[str, Any]] = []
    columns = (TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn())
    with (
        Federation.open(data.config) as fed,
        Progress(*columns, TimeElapsedColumn(), console=console) as progress,
    ):
        for source in SOURCE_KINDS:
            stack = ExitStack()
            readers = {
                CIVICFED: ("civicfed SELECT *", _civicfed_reader(fed, source)),
                **raw_readers(
                    source,
                    data.config.parent / "data",
                    data.load["namespace"],
                    (args.pg_dsn, args.mysql_dsn),
                    stack,
                ),
            }
            task = progress.add_task(SOURCE_KINDS[source], total=len(readers) * (1 + args.reps))
            with stack:
                kinds.append(measure_kind(source, readers, args.reps, progress, task))

    results = {
        "benchmark": NAME,
        "started_at": started,
        "sf": sf,
        "table": TABLE,
        "rows": rows,
        "repetitions": args.reps,
        "statistic": "median of the timed runs after one first (cold) pull",
        "machine": machine_info(),
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "versions": versions(),
        "load": data.load,
        "kinds": kinds,
    }
    name = NAME if sf == QUICK_SF else f"{NAME}-sf{sf:g}"
    chart = charts.bulk_bars(results, result_file(name, ".png"))
    target = write_results(name, results, markdown(results, chart.name))
    print_summary(results, console)
    console.print(f"wrote {target}, {target.with_suffix('.json')} and {chart}")
    return 0


def markdown(results: dict[str, Any], image: str) -> list[str]:
    """Return the lines of the markdown summary."""
    m = results["machine"]
    lines = [
        f"# W6 bulk transfer — {results['started_at'][:10]}, TPC-H {results['table']} SF "
        f"{results['sf']:g} ({results['rows']:,} rows, all columns)",
        "",
        "`SELECT *` through civicfed (full-access user, policies and audit on) against the driver "
        "its adapter uses, reading the same table straight into Arrow. "
        f"{results['statistic'].capitalize()} ({results['repetitions']} runs, interleaved). "
        "MB/s counts each side's own Arrow bytes; the ratio is civicfed's time ÷ the raw "
        "driver's (above 1 is slower).",
        "",
        f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB, Python {m['python']}; "
        f"load average {results['load_average']['before'][0]:.1f} before, "
        f"{results['load_average']['after'][0]:.1f} after. Versions: "
        + ", ".join(f"{k} {v}" for k, v in results["versions"].items())
        + ".",
        "",
        "| kind | civicfed s | rows/s | MB/s | raw driver | raw s | rows/s | MB/s | "
        "civicfed ÷ raw | first pull civicfed / raw s |",
        "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for k in results["kinds"]:
        ours, raw = k["systems"][CIVICFED], k["systems"][RAW]
        lines.append(
            f"| {k['kind']} | {ours['median_s']:.3f} | {ours['rows_per_s']:,} | "
            f"{ours['mb_per_s']:,} | {raw['reader']} | {raw['median_s']:.3f} | "
            f"{raw['rows_per_s']:,} | {raw['mb_per_s']:,} | **{k['civicfed/raw']:.2f}×** | "
            f"{ours['first_s']:.3f} / {raw['first_s']:.3f} |"
        )
    extra = [k for k in results["kinds"] if PYARROW in k["systems"]]
    if extra:
        lines += ["", "pyarrow's own readers, for reference:", ""]
        lines += [
            f"- {k['kind']}: {k['systems'][PYARROW]['reader']} "
            f"{k['systems'][PYARROW]['median_s']:.3f} s "
            f"({k['systems'][PYARROW]['mb_per_s']:,} MB/s); civicfed ÷ pyarrow "
            f"{k['civicfed/pyarrow']:.2f}×"
            for k in extra
        ]
    lines += ["", "Notes:", "", *(f"- {note}" for note in NOTES), ""]
    lines += [f"![rows per second per kind]({image})"]
    return lines


def print_summary(results: dict[str, Any], console: Console) -> None:
    table = Table(title=f"W6: SELECT * FROM {results['table']} ({results['rows']:,} rows)")
    for column in ("kind", "civicfed s", "raw s", "civicfed ÷ raw", "civicfed MB/s"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for k in results["kinds"]:
        ours, raw = k["systems"][CIVICFED], k["systems"][RAW]
        table.add_row(
            k["kind"],
            f"{ours['median_s']:.3f}",
            f"{raw['median_s']:.3f}",
            f"{k['civicfed/raw']:.2f}×",
            f"{ours['mb_per_s']:,}",
        )
    console.print(table)


if __name__ == "__main__":
    raise SystemExit(main())

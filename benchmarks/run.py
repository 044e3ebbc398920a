"""``python -m benchmarks``: the TPC-H split on civicfed, DuckDB's scanners and DuckDB native.

``--split servers`` (the default) spreads the tables over PostgreSQL, MariaDB and embedded files;
``--split embedded`` over SQLite files, DuckDB files, Parquet and CSV only (no server needed).
Loads the split once per scale factor (cached under ``benchmarks/.work/``), runs each of the 22
queries on the three systems (one warm-up, then ``--reps`` timed runs, median kept), checks
every answer against DuckDB native's, measures pinned point lookups across two sources, and
writes JSON, a markdown summary and PNG charts under ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from benchmarks import report, split_loaders
from benchmarks.answers import answer_difference
from benchmarks.common import add_server_options
from benchmarks.peers import NativePeer, ScannerPeer
from benchmarks.report import CIVICFED, NATIVE, SCANNERS, SYSTEMS
from benchmarks.tpch_schema import TPCH_TABLES
from benchmarks.tpch_split import (
    BENCH_PURPOSE,
    BENCH_USER,
    DEFAULT_SPLIT,
    SERVER_KINDS,
    SPLITS,
    federated_query,
    generate,
    load_split,
    split_files,
)

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
RESULTS = HERE / "results"
SLOW_WARMUP_S = 20.0  # a query this slow on warm-up is timed once more, not --reps times

Runner = Callable[[str], pa.Table]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; return the process exit code."""
    args = _parse_args(argv)
    sf = 1.0 if args.full else args.sf
    reps = args.reps if args.reps is not None else (5 if args.full else 3)
    console = Console()
    started = dt.datetime.now().astimezone()
    queries = args.queries or list(range(1, 23))
    split, kinds = SPLITS[args.split]
    label = "TPC-H split" if args.split == "servers" else f"TPC-H split ({args.split})"

    console.print(f"[bold]{label}[/] SF {sf:g}: {len(queries)} queries × 3 systems, {reps} reps")
    try:
        config, tables, load = prepare_split(
            sf, args.pg_dsn, args.mysql_dsn, args.reload, console, args.split
        )
    except Exception as exc:  # servers down, drivers missing: say which, without a traceback
        console.print(f"[red]could not prepare the {label}: {_describe(exc)}[/]")
        if any(kind in SERVER_KINDS for kind in kinds.values()):
            console.print("PostgreSQL and MariaDB must be up; see --pg-dsn / --mysql-dsn.")
        return 2
    runners, closers, open_errors = _open_systems(config, tables, split)
    try:
        columns = (
            TextColumn("{task.description:<28}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console) as progress:
            results = run_queries(queries, runners, open_errors, reps, progress, split)
            lookups = run_lookups(tables, runners, open_errors, args.lookups, progress, split)
    finally:
        for close in closers:
            close()

    document = report.build_document(
        sf=sf, reps=reps, started=started, load=load, queries=results, lookups=lookups,
        split=dict(split), kinds=kinds, rows={t: tables[t].num_rows for t in tables},
        split_name=args.split,
    )  # fmt: skip
    stem = result_stem(started.date(), args.split, sf)
    written = report.write_all(document, args.out, stem)
    report.print_summary(document, console)
    for path in written:
        console.print(f"wrote {path}")
    return 0


def result_stem(date: dt.date, split_name: str, sf: float) -> str:
    """Return the result files' name without extension: ``<date>-tpch-split`` for the servers
    split at SF 0.1, ``<date>-tpch-split-embedded`` for the embedded one, ``-sf<N>`` after
    either at another scale factor."""
    split_part = "" if split_name == "servers" else f"-{split_name}"
    suffix = "" if sf == 0.1 else f"-sf{sf:g}"
    return f"{date.isoformat()}-tpch-split{split_part}{suffix}"


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--split",
        choices=tuple(SPLITS),
        default="servers",
        help="servers: PostgreSQL, MariaDB and files (default); embedded: files only",
    )
    parser.add_argument("--sf", type=float, default=0.1, help="TPC-H scale factor (0.1)")
    parser.add_argument("--full", action="store_true", help="release run: SF 1, 5 reps")
    parser.add_argument("--reps", type=int, default=None, help="timed runs per query (3; 5 full)")
    parser.add_argument("--queries", type=_query_list, default=None, help="e.g. 1,3,18")
    parser.add_argument("--lookups", type=int, default=50, help="point lookups per system (50)")
    parser.add_argument("--reload", action="store_true", help="reload the split even if cached")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    add_server_options(parser)
    return parser.parse_args(argv)


def _query_list(text: str) -> list[int]:
    numbers = [int(part) for part in text.split(",") if part.strip()]
    if not numbers or not all(1 <= n <= 22 for n in numbers):
        raise argparse.ArgumentTypeError("queries are numbers 1 to 22, comma-separated")
    return numbers


# --- the split, loaded once per scale factor -------------------------------------------------


def prepare_split(
    sf: float,
    pg_dsn: str,
    mysql_dsn: str,
    reload: bool,
    console: Console,
    split_name: str = "servers",
) -> tuple[Path, dict[str, pa.Table], dict[str, Any]]:
    """Return (civicfed.toml, local copies of the tables, load facts), loading only when the
    cache for ``split_name`` at ``sf`` is missing or stale."""
    split, kinds = SPLITS[split_name]
    servers = _servers(kinds, pg_dsn, mysql_dsn)
    prefix = "" if split_name == "servers" else f"{split_name}-"
    directory = WORK / f"{prefix}sf{sf:g}"
    namespace = "tpch_bench_sf" + f"{sf:g}".replace(".", "_")
    config, manifest_file, local = (
        directory / "civicfed.toml",
        directory / "manifest.json",
        directory / "local",
    )
    if not reload and _cache_is_valid(directory, namespace, pg_dsn, mysql_dsn, split_name):
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
        tables = {name: pq.read_table(local / f"{name}.parquet") for name in TPCH_TABLES}
        console.print(f"using the split loaded at {manifest.get('loaded_at')} ({directory})")
        return config, tables, {"cached": True, **manifest}

    with console.status(f"generating TPC-H SF {sf:g}"):
        started = time.perf_counter()
        tables = generate(sf)
        generate_s = time.perf_counter() - started
    loading = (
        "loading PostgreSQL, MariaDB, SQLite, DuckDB, Parquet, CSV"
        if split_name == "servers"
        else "loading " + ", ".join(f"{s} ({k})" for s, k in kinds.items() if s in split.values())
    )
    with console.status(loading):
        started = time.perf_counter()
        load_split(
            tables,
            directory,
            pg_dsn if "postgres" in kinds.values() else None,
            mysql_dsn if "mysql" in kinds.values() else None,
            split=split,
            namespace=namespace,
            kinds=kinds,
        )
        load_s = time.perf_counter() - started
    local.mkdir(exist_ok=True)
    for name, table in tables.items():
        pq.write_table(table, local / f"{name}.parquet")
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    manifest.update(
        sf=sf,
        servers=servers,
        generate_seconds=round(generate_s, 3),
        total_load_seconds=round(load_s, 3),
        loaded_at=dt.datetime.now().astimezone().isoformat(timespec="seconds"),
    )
    manifest_file.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    console.print(
        f"generated in {generate_s:.1f} s, loaded in {load_s:.1f} s: "
        + ", ".join(f"{s} {t:.1f} s" for s, t in manifest["load_seconds"].items())
    )
    return config, tables, {"cached": False, **manifest}


def _servers(kinds: Mapping[str, str], pg_dsn: str, mysql_dsn: str) -> list[str]:
    """The server DSNs a split loads into (recorded in the manifest; a change reloads)."""
    if not any(kind in SERVER_KINDS for kind in kinds.values()):
        return []
    return [pg_dsn, mysql_dsn]


def _cache_is_valid(
    directory: Path,
    namespace: str,
    pg_dsn: str,
    mysql_dsn: str,
    split_name: str = "servers",
) -> bool:
    split, kinds = SPLITS[split_name]
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if (
        manifest.get("namespace") != namespace
        or manifest.get("split") != dict(split)
        or manifest.get("servers") != _servers(kinds, pg_dsn, mysql_dsn)
    ):
        return False
    rows: dict[str, int] = manifest.get("rows", {})
    for name in TPCH_TABLES:
        copy = directory / "local" / f"{name}.parquet"
        if not copy.is_file() or pq.ParquetFile(copy).metadata.num_rows != rows.get(name):
            return False
    files = split_files(directory, split, kinds)
    if not (directory / "civicfed.toml").is_file() or not all(f.exists() for f in files):
        return False
    for table, source in split.items():
        if kinds[source] == "postgres":
            found = split_loaders.postgres_row_count(pg_dsn, namespace, table)
        elif kinds[source] == "mysql":
            found = split_loaders.mysql_row_count(mysql_dsn, namespace, table)
        else:
            continue
        if found != rows.get(table):
            return False
    return True


# --- the systems -----------------------------------------------------------------------------


def _open_systems(
    config: Path, tables: Mapping[str, pa.Table], split: Mapping[str, str] = DEFAULT_SPLIT
) -> tuple[dict[str, Runner], list[Callable[[], None]], dict[str, str]]:
    runners: dict[str, Runner] = {}
    closers: list[Callable[[], None]] = []
    errors: dict[str, str] = {}
    native = NativePeer(tables, split)
    runners[NATIVE], closers = native.run, [native.close]
    try:
        scanners = ScannerPeer(config)
        runners[SCANNERS] = scanners.run
        closers.append(scanners.close)
    except Exception as exc:
        errors[SCANNERS] = _describe(exc)
    try:
        from engine import Federation, Purpose

        fed = Federation.open(config)
        purpose = Purpose(case_name="TPC-H", purpose=BENCH_PURPOSE, case_no="tpch")
        runners[CIVICFED] = lambda sql: fed.query(sql, user=BENCH_USER, purpose=purpose)
        closers.append(fed.close)
    except Exception as exc:
        errors[CIVICFED] = f"could not open civicfed: {_describe(exc)}"
    return runners, closers, errors


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(exc).__name__}: {first}"[:400]


def _timed(runner: Runner, sql: str) -> tuple[float, pa.Table]:
    started = time.perf_counter()
    table = runner(sql)
    return time.perf_counter() - started, table


def run_queries(
    queries: Sequence[int],
    runners: Mapping[str, Runner],
    open_errors: Mapping[str, str],
    reps: int,
    progress: Progress,
    split: Mapping[str, str] = DEFAULT_SPLIT,
) -> list[dict[str, Any]]:
    """Time every query on every system; each answer is checked against DuckDB native's."""
    task = progress.add_task("TPC-H queries", total=len(queries) * len(SYSTEMS))
    results = []
    for n in queries:
        sql = federated_query(n, split)
        expected: pa.Table | None = None
        timings: dict[str, dict[str, Any]] = {}
        for system in (NATIVE, SCANNERS, CIVICFED):  # native first: it gives the expected answer
            progress.update(task, description=f"Q{n:<2} {system}")
            timing: dict[str, Any] = {"error": open_errors.get(system), "runs_s": []}
            if system in runners:
                try:
                    warmup_s, answer = _timed(runners[system], sql)
                    timing["warmup_s"] = warmup_s
                    if expected is None:
                        expected = answer
                    difference = answer_difference(answer, expected, sql)
                    timing["answer"] = "same" if difference is None else f"differs: {difference}"
                    count = 1 if warmup_s > SLOW_WARMUP_S else reps
                    timing["runs_s"] = [_timed(runners[system], sql)[0] for _ in range(count)]
                    timing["median_s"] = statistics.median(timing["runs_s"])
                except Exception as exc:
                    timing["error"] = _describe(exc)
            timings[system] = timing
            progress.advance(task)
        results.append({"query": n, "sql": sql, "timings": timings})
    return results


def lookup_queries(split: Mapping[str, str] = DEFAULT_SPLIT) -> dict[str, str]:
    """Return name → SQL template (``{key}``) of the pinned lookups joined across two sources."""
    return {
        "customer ⋈ nation, c_custkey = K": (
            "SELECT c.c_custkey, c.c_name, c.c_acctbal, n.n_name "
            f"FROM {split['customer']}.customer c "
            f"JOIN {split['nation']}.nation n ON c.c_nationkey = n.n_nationkey "
            "WHERE c.c_custkey = {key}"
        ),
        "orders ⋈ lineitem, o_orderkey = K": (
            "SELECT o.o_orderkey, o.o_orderdate, l.l_linenumber, l.l_extendedprice "
            f"FROM {split['orders']}.orders o "
            f"JOIN {split['lineitem']}.lineitem l ON l.l_orderkey = o.o_orderkey "
            "WHERE o.o_orderkey = {key}"
        ),
    }


def run_lookups(
    tables: Mapping[str, pa.Table],
    runners: Mapping[str, Runner],
    open_errors: Mapping[str, str],
    count: int,
    progress: Progress,
    split: Mapping[str, str] = DEFAULT_SPLIT,
) -> dict[str, Any]:
    """Time ``count`` pinned lookups (random keys, fixed seed) per system; p50 / p95 in ms."""
    rng = random.Random(20241126)
    key_columns = {
        "customer ⋈ nation, c_custkey = K": tables["customer"]["c_custkey"].to_pylist(),
        "orders ⋈ lineitem, o_orderkey = K": tables["orders"]["o_orderkey"].to_pylist(),
    }
    templates = lookup_queries(split)
    task = progress.add_task("point lookups", total=len(templates) * len(SYSTEMS) * count)
    out: dict[str, Any] = {}
    for name, template in templates.items():
        keys = rng.sample(key_columns[name], min(count, len(key_columns[name])))
        first = template.format(key=keys[0])
        expected: pa.Table | None = None
        systems: dict[str, Any] = {}
        for system in (NATIVE, SCANNERS, CIVICFED):
            progress.update(task, description=f"lookup {system}")
            entry: dict[str, Any] = {"error": open_errors.get(system), "runs_ms": []}
            if system in runners:
                try:
                    answer = runners[system](first)  # warm-up: connections, caches, plans
                    expected = answer if expected is None else expected
                    difference = answer_difference(answer, expected, first)
                    entry["answer"] = "same" if difference is None else f"differs: {difference}"
                    for key in keys:
                        entry["runs_ms"].append(
                            _timed(runners[system], template.format(key=key))[0] * 1000
                        )
                        progress.advance(task)
                    entry.update(report.percentiles(entry["runs_ms"]))
                except Exception as exc:
                    entry["error"] = _describe(exc)
            progress.advance(task, len(keys) - len(entry["runs_ms"]))  # the ones not run
            systems[system] = entry
        out[name] = {"sql": template, "keys": len(keys), "systems": systems}
    return out

"""Benchmark result files: the JSON document, its markdown summary and PNG charts."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

CIVICFED, SCANNERS, NATIVE = "civicfed", "duckdb-scanners", "duckdb-native"
SYSTEMS = (CIVICFED, SCANNERS, NATIVE)
EMBEDDED_BUDGET = 3.0  # DESIGN.md §7: civicfed ÷ native on the embedded split
_PACKAGES = ("duckdb", "pyarrow", "sqlglot", "polars", "adbc-driver-postgresql", "connectorx")


def percentiles(runs_ms: Sequence[float]) -> dict[str, float]:
    """Return p50 / p95 / p99 / mean of latencies in milliseconds."""
    cuts = statistics.quantiles(runs_ms, n=100, method="inclusive") if len(runs_ms) > 1 else None
    return {
        "p50_ms": statistics.median(runs_ms),
        "p95_ms": cuts[94] if cuts else runs_ms[0],
        "p99_ms": cuts[98] if cuts else runs_ms[0],
        "mean_ms": statistics.fmean(runs_ms),
    }


def machine_info() -> dict[str, Any]:
    """Return the cores, memory, CPU, OS and Python this run had."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(memory / 2**30, 1),
        "cpu": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def versions() -> dict[str, str]:
    """Return the versions of the libraries that decide the numbers, and the git commit."""
    found = {}
    for package in _PACKAGES:
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found[package] = "not installed"
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True, cwd=Path(__file__).parent,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    found["civicfed_commit"] = commit
    return found


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def _answered(query: Mapping[str, Any], systems: Sequence[str]) -> bool:
    timings = query["timings"]
    return all(
        timings.get(s, {}).get("median_s") is not None and timings[s].get("answer") == "same"
        for s in systems
    )


def build_document(
    *,
    sf: float,
    reps: int,
    started: dt.datetime,
    load: Mapping[str, Any],
    queries: list[dict[str, Any]],
    lookups: Mapping[str, Any],
    split: Mapping[str, str],
    kinds: Mapping[str, str],
    rows: Mapping[str, int],
    split_name: str = "servers",
) -> dict[str, Any]:
    """Return the result document: machine, versions, raw timings, per-query and total ratios.

    ``split_name`` is ``servers`` (the default split) or ``embedded`` (files only), whose
    document is ``tpch-split-embedded`` and carries DESIGN.md §7's budget for it."""
    for q in queries:
        medians = {s: q["timings"].get(s, {}).get("median_s") for s in SYSTEMS}
        q["ratios"] = {
            "civicfed/scanners": _ratio(medians[CIVICFED], medians[SCANNERS]),
            "civicfed/native": _ratio(medians[CIVICFED], medians[NATIVE]),
            "scanners/native": _ratio(medians[SCANNERS], medians[NATIVE]),
        }
    # A wrong answer's time means nothing (it may have skipped the work), so only queries every
    # system answered correctly count towards the totals.
    complete = [q["query"] for q in queries if _answered(q, SYSTEMS)]
    peers_complete = [q["query"] for q in queries if _answered(q, (SCANNERS, NATIVE))]

    def total(system: str, over: list[int]) -> float | None:
        if not over:
            return None
        return sum(q["timings"][system]["median_s"] for q in queries if q["query"] in over)

    totals: dict[str, Any] = {
        "queries_all_three": complete,
        "civicfed_s": total(CIVICFED, complete),
        "scanners_s": total(SCANNERS, complete),
        "native_s": total(NATIVE, complete),
        "queries_both_peers": peers_complete,
        "peers_scanners_s": total(SCANNERS, peers_complete),
        "peers_native_s": total(NATIVE, peers_complete),
    }
    totals["civicfed/scanners"] = _ratio(totals["civicfed_s"], totals["scanners_s"])
    totals["civicfed/native"] = _ratio(totals["civicfed_s"], totals["native_s"])
    totals["scanners/native"] = _ratio(totals["peers_scanners_s"], totals["peers_native_s"])
    problems = {
        system: [
            {"query": q["query"], "problem": t.get("error") or t.get("answer")}
            for q in queries
            if (t := q["timings"].get(system, {})).get("error")
            or str(t.get("answer", "same")) != "same"
        ]
        for system in SYSTEMS
    }
    document: dict[str, Any] = {
        "benchmark": "tpch-split" if split_name == "servers" else f"tpch-split-{split_name}",
        "started_at": started.isoformat(timespec="seconds"),
        "sf": sf,
        "repetitions": reps,
        "statistic": "median of the timed runs after one warm-up run",
        "machine": machine_info(),
        "versions": versions(),
        "split": {t: {"source": s, "kind": kinds[s], "rows": rows[t]} for t, s in split.items()},
        "load": dict(load),
        "totals": totals,
        "problems": problems,
        "queries": queries,
        "lookups": dict(lookups),
    }
    if split_name == "embedded":
        ratio = totals["civicfed/native"]
        document["split_name"] = split_name
        document["budget"] = {
            "rule": "DESIGN.md §7: on a split of embedded sources only, civicfed's total within "
            f"{EMBEDDED_BUDGET:g}× of DuckDB on in-memory copies",
            "civicfed/native_max": EMBEDDED_BUDGET,
            "civicfed/native": ratio,
            "met": None if ratio is None else ratio <= EMBEDDED_BUDGET,
        }
    return document


def write_all(document: Mapping[str, Any], folder: Path, stem: str) -> list[Path]:
    """Write ``<stem>.json``, ``<stem>.md`` and the charts into ``folder``; return the paths."""
    from benchmarks import charts

    folder.mkdir(parents=True, exist_ok=True)
    json_path = folder / f"{stem}.json"
    json_path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
    chart_paths = [
        charts.query_bars(document, folder / f"{stem}-queries.png"),
        charts.lookup_cdf(document, folder / f"{stem}-lookups.png"),
    ]
    md_path = folder / f"{stem}.md"
    md_path.write_text(markdown(document, [p.name for p in chart_paths]), encoding="utf-8")
    return [json_path, md_path, *chart_paths]


def _s(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _x(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


def markdown(document: Mapping[str, Any], images: Sequence[str]) -> str:
    """Return the human summary of a result document."""
    m, v, t = document["machine"], document["versions"], document["totals"]
    embedded = document.get("split_name") == "embedded"
    title = "TPC-H split (embedded sources only)" if embedded else "TPC-H split"
    scanners = (
        "DuckDB with its sqlite scanner attached to the same SQLite files, the same DuckDB files "
        "attached read-only and read_parquet / read_csv on the same Parquet and CSV files"
        if embedded
        else "DuckDB with its postgres/mysql/sqlite scanners attached to the same split"
    )
    lines = [
        f"# {title} — {document['started_at'][:10]}, SF {document['sf']:g}",
        "",
        f"civicfed vs {scanners} vs DuckDB on in-memory copies (the physical limit). Same data, "
        f"same machine, same run; {document['statistic']} ({document['repetitions']} runs).",
        "",
        f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB, {m['platform']}, "
        f"Python {m['python']}. Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()) + ".",
        "",
        "| table | source | kind | rows |",
        "|---|---|---|---:|",
        *(
            f"| {name} | {s['source']} | {s['kind']} | {s['rows']:,} |"
            for name, s in document["split"].items()
        ),
        "",
        "## Totals",
        "",
        f"Over the {len(t['queries_all_three'])} of {len(document['queries'])} queries all three "
        "systems answered correctly"
        + (":" if t["queries_all_three"] else " (civicfed answered none correctly):"),
        "",
        "| system | total s | civicfed ÷ system |",
        "|---|---:|---:|",
        f"| civicfed | {_s(t['civicfed_s'])} | 1.00× |",
        f"| DuckDB scanners | {_s(t['scanners_s'])} | {_x(t['civicfed/scanners'])} |",
        f"| DuckDB native | {_s(t['native_s'])} | {_x(t['civicfed/native'])} |",
        "",
        f"Peers alone, over {len(t['queries_both_peers'])} queries: scanners "
        f"{_s(t['peers_scanners_s'])} s, native {_s(t['peers_native_s'])} s, "
        f"scanners ÷ native {_x(t['scanners/native'])}.",
        "",
        *_budget_lines(document),
        "## Per query (median seconds)",
        "",
        "| Q | civicfed | scanners | native | civicfed ÷ scanners | civicfed ÷ native | "
        "civicfed answer |",
        "|---:|---:|---:|---:|---:|---:|---|",
    ]
    for q in document["queries"]:
        tm, r = q["timings"], q["ratios"]
        civ = tm.get(CIVICFED, {})
        verdict = "error" if civ.get("error") else str(civ.get("answer", "—")).split(":")[0]
        lines.append(
            f"| {q['query']} | {_s(civ.get('median_s'))} | "
            f"{_s(tm.get(SCANNERS, {}).get('median_s'))} | "
            f"{_s(tm.get(NATIVE, {}).get('median_s'))} | {_x(r['civicfed/scanners'])} | "
            f"{_x(r['civicfed/native'])} | {verdict} |"
        )
    lines += ["", "## Failures and wrong answers", ""]
    any_problem = False
    for system, problems in document["problems"].items():
        for p in problems:
            any_problem = True
            lines.append(f"- {system} Q{p['query']}: {p['problem']}")
    if not any_problem:
        lines.append("None: every system answered every query, and every answer matched native.")
    lines += [
        "",
        "## Point lookups (pinned key, joined across two sources)",
        "",
        "| lookup | system | p50 ms | p95 ms | answer |",
        "|---|---|---:|---:|---|",
    ]
    for name, lookup in document["lookups"].items():
        for system, e in lookup["systems"].items():
            answer = f"error: {e['error']}" if e.get("error") else e.get("answer", "—")
            lines.append(
                f"| {name} | {system} | {_s(e.get('p50_ms'))} | {_s(e.get('p95_ms'))} | {answer} |"
            )
    load = document["load"]
    lines += [
        "",
        "## Load",
        "",
        ("Reused the split loaded at " if load.get("cached") else "Loaded at ")
        + f"{load.get('loaded_at', '?')}: generate {load.get('generate_seconds', '?')} s; "
        + ", ".join(f"{s} {sec} s" for s, sec in load.get("load_seconds", {}).items())
        + ".",
        "",
        *(f"![{name}]({name})" for name in images),
        "",
    ]
    return "\n".join(lines)


def _budget_lines(document: Mapping[str, Any]) -> list[str]:
    budget = document.get("budget")
    if not budget:
        return []
    verdict = {True: "met", False: "**not met**", None: "not measured"}[budget["met"]]
    return [
        f"Budget — {budget['rule']}: civicfed ÷ native {_x(budget['civicfed/native'])}, {verdict}.",
        "",
    ]


def print_summary(document: Mapping[str, Any], console: Console) -> None:
    """Print the totals, the lookups and any failures."""
    t = document["totals"]
    split = f" ({document['split_name']})" if document.get("split_name") else ""
    table = Table(title=f"TPC-H split{split} SF {document['sf']:g}: totals (median s)")
    for column in ("system", "total s", "civicfed ÷ system"):
        table.add_column(column, justify="right" if column != "system" else "left")
    table.add_row("civicfed", _s(t["civicfed_s"]), "1.00×")
    table.add_row("DuckDB scanners", _s(t["scanners_s"]), _x(t["civicfed/scanners"]))
    table.add_row("DuckDB native", _s(t["native_s"]), _x(t["civicfed/native"]))
    console.print(table)
    console.print(
        f"over {len(t['queries_all_three'])} queries; peers alone: scanners "
        f"{_s(t['peers_scanners_s'])} s vs native {_s(t['peers_native_s'])} s "
        f"({_x(t['scanners/native'])})"
    )
    budget = document.get("budget")
    if budget and budget["met"] is not None:
        colour = "green" if budget["met"] else "red"
        console.print(
            f"[{colour}]budget: civicfed ÷ native {_x(budget['civicfed/native'])} "
            f"(≤ {budget['civicfed/native_max']:g}×: {'met' if budget['met'] else 'not met'})[/]"
        )
    for name, lookup in document["lookups"].items():
        cells = ", ".join(
            f"{system} p50 {_s(e.get('p50_ms'))} ms" if not e.get("error") else f"{system} failed"
            for system, e in lookup["systems"].items()
        )
        console.print(f"{name}: {cells}")
    for system, problems in document["problems"].items():
        if problems:
            queries = ", ".join(f"Q{p['query']}" for p in problems)
            console.print(f"[red]{system}: {len(problems)} failed or wrong: {queries}[/]")

"""W3 cross-source analytics on the embedded demo, as the statistics analyst would run them.

``analyst_dbas`` (purpose statistics) holds aggregate-only grants: national_id may only join,
birth dates are masked to the year, and groups of fewer than ten distinct persons are removed.
Three questions over household.persons (SQLite) ⋈ welfare.recipients (a DuckDB file): the
analyst's statistics by district and programme, the top 5 districts by recipients, and a count
of distinct values per programme. civicfed runs them with policies and audit on; the peers —
DuckDB with its sqlite scanner attached to the same files, and DuckDB on in-memory copies — run
no policies, so their SQL applies the year mask and the minimum group by hand and must give
the same answer. One warm-up, then ``--repeat`` runs per system, interleaved (p50).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from benchmarks import charts
from benchmarks.answers import answer_difference
from benchmarks.common import ensure_demo, percentiles, result_file, write_results
from benchmarks.peers import NativePeer, ScannerPeer
from benchmarks.report import CIVICFED, NATIVE, SCANNERS, machine_info, versions
from engine import Federation, QueryReport

NAME = "analytics"
ANALYST = "analyst_dbas"
QUICK_SCALE = 100_000
PURPOSE = {"case_no": "BENCH-W3", "case_name": "W3 cross-source analytics", "purpose": "statistics"}
JOIN = "FROM household.persons AS p JOIN welfare.recipients AS r ON r.national_id = p.national_id"
# What the grants enforce, written out for the peers: every group has at least ten distinct
# persons on both sides of the join (demo/catalog.py, aggregate_only min_group 10).
MIN_GROUP = "HAVING count(DISTINCT p.national_id) >= 10 AND count(DISTINCT r.national_id) >= 10"


@dataclass(frozen=True)
class Question:
    """One analysis: the analyst's SQL and the peers' equivalent with the policy spelled out."""

    name: str
    analyst_sql: str
    peer_sql: str


QUESTIONS = (
    Question(
        "statistics by district × programme",
        f"SELECT p.district, r.program, count(*) AS persons, "
        f"sum(r.monthly_amount) AS monthly_total {JOIN} "
        "GROUP BY p.district, r.program ORDER BY p.district, r.program",
        f"SELECT p.district, r.program, count(*) AS persons, "
        f"sum(r.monthly_amount) AS monthly_total {JOIN} "
        f"GROUP BY p.district, r.program {MIN_GROUP} ORDER BY p.district, r.program",
    ),
    Question(
        "top 5 districts by recipients",
        f"SELECT p.district, count(*) AS recipients {JOIN} "
        "GROUP BY p.district ORDER BY recipients DESC, p.district LIMIT 5",
        f"SELECT p.district, count(*) AS recipients {JOIN} "
        f"GROUP BY p.district {MIN_GROUP} ORDER BY recipients DESC, p.district LIMIT 5",
    ),
    Question(
        "count distinct districts, birth years per programme",
        "SELECT r.program, count(DISTINCT p.district) AS districts, "
        f"count(DISTINCT p.birth_date) AS birth_years {JOIN} "
        "GROUP BY r.program ORDER BY r.program",
        # birth_date reaches the analyst as its year (mask:year_only).
        "SELECT r.program, count(DISTINCT p.district) AS districts, "
        f"count(DISTINCT date_trunc('year', p.birth_date)) AS birth_years {JOIN} "
        f"GROUP BY r.program {MIN_GROUP} ORDER BY r.program",
    ),
)
SYSTEMS = (CIVICFED, SCANNERS, NATIVE)


def run(scale: int, repeat: int, console: Console) -> dict[str, Any]:
    """Time every question on the three systems; civicfed's answers are checked against
    DuckDB native's, and what civicfed pulled per source is kept."""
    work = ensure_demo(scale)
    scanners = ScannerPeer(work / "civicfed.toml")
    native = NativePeer(
        {
            "persons": scanners.run("SELECT * FROM household.persons"),
            "recipients": scanners.run("SELECT * FROM welfare.recipients"),
        },
        split={"persons": "household", "recipients": "welfare"},
    )
    questions: list[dict[str, Any]] = []
    columns = (TextColumn("{task.description:<44}"), BarColumn(), MofNCompleteColumn())
    try:
        with (
            Federation.open(work / "civicfed.toml") as fed,
            Progress(*columns, TimeElapsedColumn(), console=console) as progress,
        ):
            last: list[QueryReport] = []

            def analyst(sql: str) -> pa.Table:
                table, report = fed.run(sql, ANALYST, PURPOSE)
                last[:] = [report]
                return table

            task = progress.add_task("W3", total=len(QUESTIONS) * len(SYSTEMS) * (1 + repeat))
            for question in QUESTIONS:
                runners: dict[str, tuple[Callable[[str], pa.Table], str]] = {
                    NATIVE: (native.run, question.peer_sql),  # first: its answer is expected
                    SCANNERS: (scanners.run, question.peer_sql),
                    CIVICFED: (analyst, question.analyst_sql),
                }
                progress.update(task, description=question.name[:44])
                entry: dict[str, Any] = {
                    "question": question.name,
                    "analyst_sql": question.analyst_sql,
                    "peer_sql": question.peer_sql,
                    "systems": measure(runners, repeat, lambda: progress.advance(task)),
                }
                if last:
                    entry["civicfed_pulled"] = {
                        "rows_per_scan": list(last[0].stats.rows_per_scan.values()),
                        "bytes_per_source": last[0].stats.bytes_per_source,
                        "suppressed_groups": last[0].stats.suppressed_groups,
                    }
                    last.clear()
                entry["ratios"] = {
                    f"civicfed/{peer}": _ratio(entry["systems"], CIVICFED, peer)
                    for peer in (SCANNERS, NATIVE)
                }
                questions.append(entry)
    finally:
        scanners.close()
        native.close()
    return {"scale": scale, "repeat": repeat, "questions": questions}


def measure(
    runners: dict[str, tuple[Callable[[str], pa.Table], str]],
    repeat: int,
    advance: Callable[[], None],
) -> dict[str, dict[str, Any]]:
    """Return system → answer check, runs and percentiles: one warm-up each (answers compared
    with the first system's), then ``repeat`` rounds interleaved so drift in the machine's
    load falls on every system alike."""
    results: dict[str, dict[str, Any]] = {}
    expected: pa.Table | None = None
    for system, (runner, sql) in runners.items():
        result: dict[str, Any] = {"runs_ms": []}
        try:
            answer = runner(sql)
            expected = answer if expected is None else expected
            result["answer"] = answer_difference(answer, expected, sql) or "same"
            result["rows"] = answer.num_rows
        except Exception as exc:
            result["error"] = f"{type(exc).__name__}: {exc}"[:300]
        results[system] = result
        advance()
    for _ in range(repeat):
        for system, (runner, sql) in runners.items():
            if "error" not in results[system]:
                started = time.perf_counter()
                runner(sql)
                results[system]["runs_ms"].append(round((time.perf_counter() - started) * 1000, 3))
            advance()
    for result in results.values():
        if result["runs_ms"]:
            result.update(percentiles(result["runs_ms"]))
    return results


def _ratio(systems: dict[str, Any], a: str, b: str) -> float | None:
    first, second = systems.get(a, {}).get("p50_ms"), systems.get(b, {}).get("p50_ms")
    return round(first / second, 3) if first and second else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.analytics", description=__doc__)
    parser.add_argument("--scale", type=int, default=None, help="demo persons (100000)")
    parser.add_argument("--full", action="store_true", help="the full demo, 2 500 000 persons")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per system (7)")
    args = parser.parse_args(argv)
    scale = args.scale or (2_500_000 if args.full else QUICK_SCALE)
    console = Console()
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    load_before = os.getloadavg()
    results = run(scale, args.repeat, console)
    results = {
        "benchmark": NAME,
        "started_at": started,
        "user": ANALYST,
        "purpose": PURPOSE["purpose"],
        "statistic": "p50 of the timed runs (interleaved across systems) after one warm-up",
        "machine": machine_info(),
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "versions": versions(),
        **results,
    }
    name = NAME if scale == QUICK_SCALE else f"{NAME}-scale{scale}"
    chart = charts.grouped_bars(
        [q["question"] for q in results["questions"]],
        {
            system: [q["systems"][system].get("p50_ms") for q in results["questions"]]
            for system in SYSTEMS
        },
        result_file(name, ".png"),
        ylabel="p50 ms (log scale)",
        title=f"W3 analyst statistics, demo scale {scale:,} — labels: civicfed ÷ scanners",
        labels=[_x(q["ratios"][f"civicfed/{SCANNERS}"]) for q in results["questions"]],
        log=True,
    )
    target = write_results(name, results, markdown(results, chart.name))
    print_summary(results, console)
    console.print(f"wrote {target}, {target.with_suffix('.json')} and {chart}")
    return 0


def _x(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


def _ms(entry: dict[str, Any]) -> str:
    return "error" if "error" in entry else f"{entry['p50_ms']:.1f}"


def markdown(results: dict[str, Any], image: str) -> list[str]:
    """Return the lines of the markdown summary."""
    m, load = results["machine"], results["load_average"]
    lines = [
        f"# W3 cross-source analytics — {results['started_at'][:10]}, demo scale "
        f"{results['scale']:,}",
        "",
        f"As `{results['user']}` (purpose {results['purpose']}; aggregate-only grants: "
        "national_id join-only, birth_date masked to the year, groups under ten distinct persons "
        "removed) through civicfed with policies and the durable audit log on, against DuckDB "
        "with its sqlite scanner attached to the same files (household.sqlite, welfare.duckdb) "
        "and DuckDB on in-memory copies. **The peers run no policies and write no audit**: "
        "their SQL applies the year mask and the ten-person minimum by hand, so all three "
        f"give the same answer. {results['statistic'].capitalize()} ({results['repeat']} runs).",
        "",
        f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB, Python {m['python']}; "
        f"load average {load['before'][0]:.1f} before, {load['after'][0]:.1f} after. Versions: "
        + ", ".join(f"{k} {v}" for k, v in results["versions"].items())
        + ".",
        "",
        "| question | civicfed p50 ms | scanners p50 ms | native p50 ms | civicfed ÷ scanners | "
        "civicfed ÷ native | civicfed answer |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for q in results["questions"]:
        s = q["systems"]
        civ = s[CIVICFED]
        verdict = civ.get("error") or str(civ.get("answer", "—"))
        lines.append(
            f"| {q['question']} | {_ms(civ)} | {_ms(s[SCANNERS])} | {_ms(s[NATIVE])} | "
            f"**{_x(q['ratios'][f'civicfed/{SCANNERS}'])}** | "
            f"{_x(q['ratios'][f'civicfed/{NATIVE}'])} | {verdict} |"
        )
    lines += [
        "",
        "What civicfed pulled (rows per scan, bytes per source) and the groups its "
        "aggregation guard removed:",
        "",
    ]
    for q in results["questions"]:
        pulled = q.get("civicfed_pulled")
        if pulled:
            lines.append(
                f"- {q['question']}: rows {pulled['rows_per_scan']}, bytes "
                + ", ".join(f"{src} {n:,}" for src, n in pulled["bytes_per_source"].items())
                + f"; {pulled['suppressed_groups']} groups removed"
            )
    lines += ["", "Queries as the analyst wrote them, and as the peers ran them:", ""]
    for q in results["questions"]:
        lines += [f"- {q['question']}", f"  - analyst: `{q['analyst_sql']}`"]
        lines += [f"  - peers: `{q['peer_sql']}`"]
    lines += ["", f"![p50 per question]({image})"]
    return lines


def print_summary(results: dict[str, Any], console: Console) -> None:
    table = Table(title=f"W3 as {results['user']}, demo scale {results['scale']:,} (p50 ms)")
    for column in ("question", "civicfed", "scanners", "native", "÷ scanners", "÷ native"):
        table.add_column(column, justify="left" if column == "question" else "right")
    for q in results["questions"]:
        s = q["systems"]
        table.add_row(
            q["question"],
            _ms(s[CIVICFED]),
            _ms(s[SCANNERS]),
            _ms(s[NATIVE]),
            _x(q["ratios"][f"civicfed/{SCANNERS}"]),
            _x(q["ratios"][f"civicfed/{NATIVE}"]),
        )
    console.print(table)


if __name__ == "__main__":
    raise SystemExit(main())

"""W4 pushdown matrix: what each source kind sends civicfed for each predicate shape, against
the least the query needs.

TPC-H orders (SF 0.1; ``--full`` SF 1) with a nullable ``o_paydate`` sits in every kind
(benchmarks/every_kind.py). Each cell runs ``SELECT <payload and predicate columns> FROM
<kind>.orders WHERE <shape>`` through civicfed as a full-access user and reads the rows and
Arrow bytes the source sent (``ExecutionStats``). The minimum is the answer itself: DuckDB runs
the same SELECT on a local copy typed as the source declares its columns, and its Arrow bytes
(no validity bitmap where a column has no NULLs) are what any engine must move. The peer for
time is DuckDB on that in-memory copy. DESIGN.md §7 budgets bytes pulled at ≤ 1.1× the need.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from benchmarks import charts, every_kind
from benchmarks.answers import answer_difference
from benchmarks.common import add_server_options, result_file, write_results
from benchmarks.pushdown_report import BUDGET, markdown, print_summary
from benchmarks.report import machine_info, versions
from benchmarks.tpch_split import BENCH_PURPOSE, BENCH_USER, SOURCE_KINDS, generate
from engine import Federation

NAME = "pushdown-matrix"
QUICK_SF = 0.1
# Columns every cell selects; each shape adds the columns its predicate reads, so the columns
# the query references are exactly the ones it selects.
PAYLOAD = ("o_orderkey", "o_custkey", "o_totalprice")
PURPOSE = {"case_no": "BENCH-W4", "case_name": "W4 pushdown matrix", "purpose": BENCH_PURPOSE}


@dataclass(frozen=True)
class Shape:
    """One predicate shape over orders. ``baseline`` marks the unfiltered accounting check;
    ``function`` a predicate that applies a function to a column."""

    name: str
    predicate: str
    columns: tuple[str, ...]
    baseline: bool = False
    function: bool = False

    def sql(self, table: str) -> str:
        selected = ", ".join(dict.fromkeys(PAYLOAD + self.columns))
        where = f" WHERE {self.predicate}" if self.predicate else ""
        return f"SELECT {selected} FROM {table}{where}"


def shapes(orders: pa.Table) -> list[Shape]:
    """Return the shapes, their constants taken from the data so each selects a few rows."""
    con = duckdb.connect()
    con.register("orders", orders)
    busiest = [
        row[0]
        for row in con.execute(
            "SELECT o_custkey FROM orders GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 21"
        ).fetchall()
    ]
    con.close()
    one, many = busiest[0], ", ".join(str(k) for k in busiest[1:])
    return [
        Shape("none (baseline)", "", (), baseline=True),
        Shape("=", f"o_custkey = {one}", ()),
        Shape("IN (20)", f"o_custkey IN ({many})", ()),
        Shape(
            "range",
            "o_orderdate >= DATE '1995-03-01' AND o_orderdate < DATE '1995-04-01'",
            ("o_orderdate",),
        ),
        Shape("LIKE prefix", "o_clerk LIKE 'Clerk#000000012%'", ("o_clerk",)),
        Shape("IS NULL", "o_paydate IS NULL", ("o_paydate",)),
        Shape("OR", f"o_custkey = {one} OR o_clerk = 'Clerk#000000042'", ("o_clerk",)),
        Shape("lower()", "lower(o_clerk) = 'clerk#000000042'", ("o_clerk",), function=True),
        Shape("year()", "year(o_orderdate) = 1996", ("o_orderdate",), function=True),
    ]


def generate_orders(sf: float) -> dict[str, pa.Table]:
    """TPC-H orders plus ``o_paydate``: the order date plus 0–59 days, NULL (unpaid) for 2%."""
    orders = generate(sf)["orders"]
    con = duckdb.connect()
    con.register("orders", orders)
    table = con.execute(
        "SELECT *, CASE WHEN o_orderkey % 50 = 7 THEN NULL "
        "ELSE o_orderdate + CAST(o_orderkey % 60 AS INTEGER) END AS o_paydate "
        "FROM orders ORDER BY o_orderkey"
    ).to_arrow_table()
    con.close()
    return {"orders": table}


def arrow_bytes(table: pa.Table) -> int:
    """Return the Arrow bytes of ``table``'s values, without the validity bitmap of a chunk
    that has no NULLs (DuckDB writes one anyway; a source need not send it)."""
    total = 0
    for column in table.columns:
        for chunk in column.chunks:
            total += chunk.nbytes
            if chunk.null_count == 0 and chunk.buffers()[0] is not None:
                total -= (len(chunk) + chunk.offset + 7) // 8 - chunk.offset // 8
    return total


class MinimalPeer:
    """DuckDB over an in-memory copy of orders typed as one source declares it: the answer,
    hence the minimum any engine must pull, and the time the peer takes."""

    def __init__(self, orders: pa.Table, schema: pa.Schema) -> None:
        self._con = duckdb.connect()
        self._con.register("incoming", orders.select(schema.names).cast(schema))
        self._con.execute("CREATE TABLE orders AS SELECT * FROM incoming")
        self._con.unregister("incoming")

    def run(self, sql: str) -> pa.Table:
        return self._con.execute(sql).to_arrow_table()

    def close(self) -> None:
        self._con.close()


def run_cell(
    fed: Federation, peer: MinimalPeer, source: str, shape: Shape, reps: int
) -> dict[str, Any]:
    """Measure one (kind, shape) cell: rows and bytes pulled against the minimum, and time."""
    sql = shape.sql(f"{source}.orders")
    expected = peer.run(shape.sql("orders"))
    cell: dict[str, Any] = {
        "source": source,
        "kind": SOURCE_KINDS[source],
        "shape": shape.name,
        "baseline": shape.baseline,
        "function": shape.function,
        "sql": sql,
        "rows_minimal": expected.num_rows,
        "bytes_minimal": arrow_bytes(expected),
    }
    try:
        answer, report = fed.run(sql, BENCH_USER, PURPOSE)  # warm-up: also the measured pull
        runs_ms = []
        for _ in range(reps):
            started = time.perf_counter()
            fed.run(sql, BENCH_USER, PURPOSE)
            runs_ms.append((time.perf_counter() - started) * 1000)
    except Exception as exc:
        cell["error"] = f"{type(exc).__name__}: {exc}"[:300]
        return cell
    peer_ms = []
    for _ in range(reps):
        started = time.perf_counter()
        peer.run(shape.sql("orders"))
        peer_ms.append((time.perf_counter() - started) * 1000)
    stats = report.stats
    cell.update(
        rows_pulled=sum(stats.rows_per_scan.values()),
        bytes_pulled=sum(stats.bytes_per_source.values()),
        answer=answer_difference(answer, expected, sql) or "same",
        filters=[
            {"sql": n.sql, "verdict": n.verdict, "reason": n.reason}
            for scan in report.plan.scans
            for n in scan.filters
        ],
        sent=[scan.statement for scan in report.plan.scans],
        civicfed_ms=runs_ms,
        civicfed_p50_ms=round(statistics.median(runs_ms), 3),
        peer_ms=peer_ms,
        peer_p50_ms=round(statistics.median(peer_ms), 3),
    )
    cell["bytes_ratio"] = _ratio(cell["bytes_pulled"], cell["bytes_minimal"])
    cell["rows_ratio"] = _ratio(cell["rows_pulled"], cell["rows_minimal"])
    cell["time_ratio"] = _ratio(cell["civicfed_p50_ms"], cell["peer_p50_ms"])
    return cell


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def overall(cells: Sequence[dict[str, Any]], *, functions: bool) -> dict[str, Any]:
    """Total bytes pulled over total minimal bytes, over the measured non-baseline cells
    (optionally leaving out the function shapes, which no source is offered)."""
    chosen = [
        c
        for c in cells
        if "bytes_pulled" in c and not c["baseline"] and (functions or not c["function"])
    ]
    pulled = sum(c["bytes_pulled"] for c in chosen)
    minimal = sum(c["bytes_minimal"] for c in chosen)
    return {
        "cells": len(chosen),
        "bytes_pulled": pulled,
        "bytes_minimal": minimal,
        "bytes_ratio": _ratio(pulled, minimal),
        "rows_pulled": sum(c["rows_pulled"] for c in chosen),
        "rows_minimal": sum(c["rows_minimal"] for c in chosen),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.pushdown_matrix", description=__doc__
    )
    parser.add_argument("--full", action="store_true", help="SF 1 (1.5M orders), 5 reps")
    parser.add_argument("--sf", type=float, default=None, help="TPC-H scale factor (0.1)")
    parser.add_argument("--reps", type=int, default=None, help="timed runs per cell (3; 5 full)")
    parser.add_argument("--reload", action="store_true", help="reload the sources")
    add_server_options(parser)
    args = parser.parse_args(argv)
    sf = args.sf if args.sf is not None else (1.0 if args.full else QUICK_SF)
    reps = args.reps if args.reps is not None else (5 if args.full else 3)
    console = Console()
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    load_before = os.getloadavg()
    try:
        data = every_kind.prepare(
            "pushdown", sf, generate_orders, args.pg_dsn, args.mysql_dsn, console, args.reload
        )
    except Exception as exc:
        console.print(f"[red]could not load the sources: {type(exc).__name__}: {exc}[/]")
        return 2
    orders = data.tables["orders"]
    matrix = shapes(orders)
    cells: list[dict[str, Any]] = []
    columns = (TextColumn("{task.description:<32}"), BarColumn(), MofNCompleteColumn())
    with (
        Federation.open(data.config) as fed,
        Progress(*columns, TimeElapsedColumn(), console=console) as progress,
    ):
        task = progress.add_task("cells", total=len(matrix) * len(SOURCE_KINDS))
        for source in SOURCE_KINDS:
            peer = MinimalPeer(orders, fed.catalog.schema(source, "orders"))
            try:
                for shape in matrix:
                    progress.update(task, description=f"{SOURCE_KINDS[source]} {shape.name}")
                    cells.append(run_cell(fed, peer, source, shape, reps))
                    progress.advance(task)
            finally:
                peer.close()

    results = {
        "benchmark": NAME,
        "started_at": started,
        "sf": sf,
        "rows": orders.num_rows,
        "repetitions": reps,
        "budget_bytes_ratio": BUDGET,
        "machine": machine_info(),
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "versions": versions(),
        "load": data.load,
        "shapes": [{"name": s.name, "predicate": s.predicate} for s in matrix],
        "overall": overall(cells, functions=True),
        "overall_without_functions": overall(cells, functions=False),
        "cells": cells,
    }
    name = NAME if sf == QUICK_SF else f"{NAME}-sf{sf:g}"
    chart = charts.pushdown_heatmap(results, result_file(name, ".png"))
    target = write_results(name, results, markdown(results, chart.name))
    print_summary(results, console)
    console.print(f"wrote {target}, {target.with_suffix('.json')} and {chart}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

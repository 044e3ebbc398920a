"""The W4 pushdown matrix's markdown and console summary, with the reason behind every cell
over the budget read from the plan's filter notes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks.tpch_split import SOURCE_KINDS

BUDGET = 1.1  # DESIGN.md §7: bytes pulled per source ≤ 1.1× what the query needs


def why(cell: dict[str, Any]) -> str:
    """Return the reason a cell pulls more than it needs, from the plan's filter notes."""
    if "error" in cell:
        return f"failed: {cell['error']}"
    kept = [f for f in cell["filters"] if f["verdict"] != "exact"]
    if kept:
        return "; ".join(f"{f['verdict']}: {f['reason'] or f['sql']}" for f in kept)
    if cell["function"] and not cell["filters"]:
        return (
            "the predicate was never offered to the source: it applies a function to the "
            "column, and the planner offers only comparisons of plain columns with constants, "
            "so every row comes up and DuckDB filters above the scan (EXPLAIN lists no filter)"
        )
    return "every filter pushed exactly; the excess is in the transfer (types, batches)"


def over_budget(cells: Sequence[dict[str, Any]]) -> list[str]:
    """Return one markdown line per (shape, reason) whose cells exceed the budget."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for c in cells:
        if "error" in c or (c.get("bytes_ratio") or 0) > BUDGET:
            groups.setdefault((c["shape"], why(c)), []).append(c)
    lines = []
    for (shape, reason), group in sorted(
        groups.items(), key=lambda item: -max(c.get("bytes_ratio") or 0 for c in item[1])
    ):
        ratios = [c.get("bytes_ratio") or 0 for c in group]
        spread = (
            _x(min(ratios))
            if min(ratios) == max(ratios)
            else (f"{min(ratios):.2f}–{max(ratios):.2f}×")
        )
        kinds = ", ".join(c["kind"] for c in group)
        rows = f"{group[0].get('rows_pulled', 0):,} rows for {group[0]['rows_minimal']:,}"
        sentence = reason[0].upper() + reason[1:]
        lines.append(f"- **{shape}** on {kinds}: {spread} ({rows}). {sentence}.")
    return lines


def reading(cells: Sequence[dict[str, Any]]) -> list[str]:
    """Return the explanation of the matrix, each claim checked against the cells."""
    offered = [c for c in cells if "rows_ratio" in c and c["filters"]]
    lines = []
    if offered and all(c["rows_ratio"] == 1 for c in offered):
        worst = max(c["bytes_ratio"] for c in offered)
        lines += [
            f"- Every shape the planner offered a source ({len(offered)} cells) was taken by it, "
            "exactly or as a superset re-checked above (LIKE on MySQL and SQLite, which ignore "
            "case): rows pulled equal rows matched. CSV and Parquet take filters too: civicfed "
            "reads them through a private DuckDB (from its cached copy once loaded), so the "
            "filter runs before anything crosses into the engine.",
            f"- What is left over the minimum on those cells (at most {worst - 1:.1%}) is Arrow "
            "validity bitmaps: the DuckDB-read kinds and SQLite's ADBC driver send one for "
            "every column, connectorx (MySQL) none where a column has no NULLs.",
        ]
    else:
        extra = [c for c in offered if c["rows_ratio"] != 1]
        lines += [
            f"- Rows pulled exceed rows matched where a filter was offered: {c['kind']} × "
            f"{c['shape']} ({c['rows_ratio']:.2f}×)"
            for c in extra
        ]
    if any(c["function"] and not c.get("filters", True) for c in cells):
        lines.append(
            "- A function over a column (`lower(col) = …`, `year(col) = …`) is not offered to "
            "any source, so every row is pulled: the ratio is 1 ÷ the selectivity. "
            "`year(col) = N` has an exact, indexable equivalent every kind takes "
            "(`col >= 'N-01-01' AND col < 'N+1-01-01'`), and the DuckDB-read kinds apply "
            "DuckDB's own `lower()`, so they could take it unchanged."
        )
    return lines


def _x(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


def markdown(results: dict[str, Any], image: str) -> list[str]:
    """Return the lines of the markdown summary."""
    cells, kinds = results["cells"], list(SOURCE_KINDS)
    by = {(c["shape"], c["source"]): c for c in cells}
    m, every, pushable = (
        results["machine"],
        results["overall"],
        results["overall_without_functions"],
    )
    lines = [
        f"# W4 pushdown matrix — {results['started_at'][:10]}, TPC-H orders SF {results['sf']:g}"
        f" ({results['rows']:,} rows)",
        "",
        "Bytes each source sent civicfed (Arrow bytes, `ExecutionStats.bytes_per_source`) over "
        "the least the query needs: the Arrow bytes of its answer, computed by DuckDB on a local "
        "copy typed as the source declares the columns (no validity bitmap where a column has no "
        "NULLs). Every query selects `o_orderkey, o_custkey, o_totalprice` plus the columns its "
        "predicate reads, so the columns referenced are the columns selected. Full-access user, "
        f"policies and audit on. Budget (DESIGN.md §7): ≤ {BUDGET}×.",
        "",
        f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB, Python {m['python']}; "
        f"load average {results['load_average']['before'][0]:.1f} before, "
        f"{results['load_average']['after'][0]:.1f} after. Versions: "
        + ", ".join(f"{k} {v}" for k, v in results["versions"].items())
        + ".",
        "",
        "## Overall",
        "",
        "| cells | bytes pulled | minimal | ratio | rows pulled | minimal rows |",
        "|---|---:|---:|---:|---:|---:|",
        f"| all {every['cells']} (baseline left out) | {every['bytes_pulled']:,} | "
        f"{every['bytes_minimal']:,} | **{_x(every['bytes_ratio'])}** | "
        f"{every['rows_pulled']:,} | {every['rows_minimal']:,} |",
        f"| {pushable['cells']} without lower()/year() | {pushable['bytes_pulled']:,} | "
        f"{pushable['bytes_minimal']:,} | **{_x(pushable['bytes_ratio'])}** | "
        f"{pushable['rows_pulled']:,} | {pushable['rows_minimal']:,} |",
        "",
        "## Bytes pulled ÷ minimal, per cell",
        "",
        "| shape | " + " | ".join(SOURCE_KINDS[k] for k in kinds) + " | minimal rows |",
        "|---|" + "---:|" * (len(kinds) + 1),
    ]
    for shape in results["shapes"]:
        row = [by.get((shape["name"], k), {}) for k in kinds]
        ratios = [
            "error"
            if "error" in c
            else _x(c.get("bytes_ratio")) + ("" if c.get("answer") == "same" else " ✗")
            for c in row
        ]
        lines.append(
            f"| {shape['name']} | " + " | ".join(ratios) + f" | {row[0].get('rows_minimal', 0):,} |"
        )
    lines += [
        "",
        "✗ marks an answer that differs from DuckDB's on the local copy.",
        "",
        "## Rows pulled ÷ minimal rows, and time (civicfed p50 ÷ DuckDB on the in-memory copy)",
        "",
        "| shape | " + " | ".join(SOURCE_KINDS[k] for k in kinds) + " |",
        "|---|" + "---:|" * len(kinds),
    ]
    for shape in results["shapes"]:
        row = [by.get((shape["name"], k), {}) for k in kinds]
        lines.append(
            f"| {shape['name']} | "
            + " | ".join(
                f"{_x(c.get('rows_ratio'))} rows, {_x(c.get('time_ratio'))} time" for c in row
            )
            + " |"
        )
    lines += ["", "## Cells above the budget, and why", ""]
    lines += over_budget(cells) or [f"None: every cell is within {BUDGET}×."]
    lines += ["", "## Reading it", "", *reading(cells)]
    lines += [
        "",
        "## Predicates",
        "",
        *(f"- {s['name']}: `{s['predicate'] or '(none)'}`" for s in results["shapes"]),
        "",
        f"![bytes ratio per cell]({image})",
    ]
    return lines


def print_summary(results: dict[str, Any], console: Console) -> None:
    """Print the bytes-ratio matrix and the overall ratios."""
    table = Table(title="W4: bytes pulled ÷ minimal")
    table.add_column("shape")
    for source in SOURCE_KINDS:
        table.add_column(SOURCE_KINDS[source], justify="right")
    by = {(c["shape"], c["source"]): c for c in results["cells"]}
    for shape in results["shapes"]:
        table.add_row(
            shape["name"],
            *(
                "error"
                if "error" in (c := by.get((shape["name"], s), {}))
                else _x(c.get("bytes_ratio"))
                for s in SOURCE_KINDS
            ),
        )
    console.print(table)
    console.print(
        f"overall {_x(results['overall']['bytes_ratio'])}; without lower()/year() "
        f"{_x(results['overall_without_functions']['bytes_ratio'])} (budget ≤ {BUDGET}×)"
    )

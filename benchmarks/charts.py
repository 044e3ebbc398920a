"""PNG charts of a result document (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib import ticker  # after use("Agg"): the backend must be chosen first

from benchmarks.report import SYSTEMS

_COLOURS = {
    "civicfed": "#1f77b4",
    "duckdb-scanners": "#ff7f0e",
    "duckdb-native": "#2ca02c",
    "raw driver": "#7f7f7f",
    "pyarrow": "#bcbd22",
}


def query_bars(document: Mapping[str, Any], path: Path) -> Path:
    """Per-query grouped bars of the three systems' median seconds, log scale."""
    queries = document["queries"]
    width = 0.8 / len(SYSTEMS)
    fig, ax = plt.subplots(figsize=(14, 5.5))
    for i, system in enumerate(SYSTEMS):
        xs = [q_index + (i - 1) * width for q_index in range(len(queries))]
        heights = [q["timings"].get(system, {}).get("median_s") for q in queries]
        ax.bar(
            [x for x, h in zip(xs, heights, strict=True) if h is not None],
            [h for h in heights if h is not None],
            width=width, label=system, color=_COLOURS[system],
        )  # fmt: skip
        for x, h in zip(xs, heights, strict=True):
            if h is None:  # failed: mark the gap so it is not read as "instant"
                ax.annotate("✗", (x, 0), xycoords=("data", "axes fraction"), ha="center",
                            va="bottom", color=_COLOURS[system], fontsize=11)  # fmt: skip
    ax.set_yscale("log")
    ax.set_xticks(range(len(queries)), [f"Q{q['query']}" for q in queries])
    ax.set_ylabel("median seconds (log scale)")
    totals = document["totals"]
    ratio = totals.get("civicfed/scanners")
    native = totals.get("civicfed/native")
    subtitle = (
        f"civicfed ÷ scanners {ratio:.2f}×, civicfed ÷ native {native:.2f}×"
        if ratio is not None and native is not None
        else f"scanners ÷ native {totals.get('scanners/native') or float('nan'):.2f}×"
    )
    ax.set_title(f"TPC-H split, SF {document['sf']:g} — {subtitle}")
    ax.grid(axis="y", which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def lookup_cdf(document: Mapping[str, Any], path: Path) -> Path:
    """Latency CDFs of the pinned point lookups, one panel per lookup, log scale."""
    lookups = document["lookups"]
    fig, axes = plt.subplots(1, max(len(lookups), 1), figsize=(6 * max(len(lookups), 1), 4.5))
    axes_list = list(axes) if len(lookups) > 1 else [axes]
    for ax, (name, lookup) in zip(axes_list, lookups.items(), strict=False):
        for system, entry in lookup["systems"].items():
            runs = sorted(entry.get("runs_ms") or [])
            if not runs:
                continue
            fractions = [(i + 1) / len(runs) for i in range(len(runs))]
            label = f"{system} (p50 {entry['p50_ms']:.1f} ms)" if "p50_ms" in entry else system
            ax.step(runs, fractions, where="post", label=label, color=_COLOURS.get(system))
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
        ax.set_xlabel("latency, ms (log scale)")
        ax.set_ylabel("fraction of lookups")
        ax.set_title(name)
        ax.grid(alpha=0.3, which="both")
        ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def pushdown_heatmap(document: Mapping[str, Any], path: Path) -> Path:
    """W4: bytes pulled ÷ minimal per (predicate shape, source kind), log colour scale."""
    from matplotlib.colors import LogNorm

    shapes = [s["name"] for s in document["shapes"]]
    kinds = list(dict.fromkeys(c["kind"] for c in document["cells"]))
    by = {(c["shape"], c["kind"]): c.get("bytes_ratio") for c in document["cells"]}
    grid = [[by.get((s, k)) or float("nan") for k in kinds] for s in shapes]
    finite = [v for row in grid for v in row if v == v]
    fig, ax = plt.subplots(figsize=(1.4 * len(kinds) + 3, 0.55 * len(shapes) + 2))
    image = ax.imshow(
        grid, cmap="RdYlGn_r", aspect="auto",
        norm=LogNorm(vmin=1.0, vmax=max(10.0, *finite) if finite else 10.0),
    )  # fmt: skip
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            label = "✗" if value != value else f"{value:.2f}×" if value < 10 else f"{value:.0f}×"
            ax.text(j, i, label, ha="center", va="center", fontsize=9)
    ax.set_xticks(range(len(kinds)), kinds)
    ax.set_yticks(range(len(shapes)), shapes)
    overall = document["overall"]["bytes_ratio"]
    pushable = document["overall_without_functions"]["bytes_ratio"]
    ax.set_title(
        f"W4 bytes pulled ÷ minimal, orders SF {document['sf']:g} — overall {overall:.2f}×, "
        f"without functions {pushable:.2f}×",
        fontsize=10,
    )
    fig.colorbar(image, ax=ax, label="bytes ratio (log)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def grouped_bars(
    groups: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    path: Path,
    *,
    ylabel: str,
    title: str,
    labels: Sequence[str] = (),
    log: bool = False,
    mark_missing: bool = True,
) -> Path:
    """Bars of each series side by side per group, ``labels`` written above each group. A
    missing value is a failed run, marked ✗ rather than drawn as zero — or, without
    ``mark_missing``, a system that does not apply to the group, left out."""
    width = 0.8 / max(len(series), 1)
    fig, ax = plt.subplots(figsize=(max(8.0, 1.8 * len(groups) + 3), 5))
    for i, (name, values) in enumerate(series.items()):
        xs = [j + (i - (len(series) - 1) / 2) * width for j in range(len(groups))]
        drawn = [(x, v) for x, v in zip(xs, values, strict=True) if v is not None]
        ax.bar([x for x, _ in drawn], [v for _, v in drawn], width=width, label=name,
               color=_COLOURS.get(name))  # fmt: skip
        for x, v in zip(xs, values, strict=True):
            if v is None and mark_missing:
                ax.annotate("✗", (x, 0), xycoords=("data", "axes fraction"), ha="center",
                            va="bottom", color=_COLOURS.get(name))  # fmt: skip
    for j, label in enumerate(labels):
        top = max((v[j] or 0) for v in series.values())
        ax.annotate(label, (j, top), ha="center", va="bottom", fontsize=9,
                    xytext=(0, 3), textcoords="offset points")  # fmt: skip
    if log:
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
        ax.yaxis.set_minor_formatter(ticker.FormatStrFormatter("%g"))
    ax.set_xticks(range(len(groups)), [textwrap.fill(g, 24) for g in groups])
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(axis="y", alpha=0.3, which="both")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def bulk_bars(document: Mapping[str, Any], path: Path) -> Path:
    """W6: million rows per second per source kind, civicfed beside the raw drivers."""
    kinds = document["kinds"]
    systems = list(dict.fromkeys(s for k in kinds for s in k["systems"]))
    return grouped_bars(
        [k["kind"] for k in kinds],
        {
            system: [
                k["systems"][system]["rows_per_s"] / 1e6 if system in k["systems"] else None
                for k in kinds
            ]
            for system in systems
        },
        path,
        ylabel="million rows per second (median)",
        title=f"W6 SELECT * FROM {document['table']} ({document['rows']:,} rows) — "
        "labels: civicfed time ÷ raw driver time",
        labels=[f"{k['civicfed/raw']:.2f}×" for k in kinds],
        mark_missing=False,
    )

"""PNG charts of a result document (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib import ticker  # after use("Agg"): the backend must be chosen first

from benchmarks.report import SYSTEMS

_COLOURS = {"civicfed": "#1f77b4", "duckdb-scanners": "#ff7f0e", "duckdb-native": "#2ca02c"}


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

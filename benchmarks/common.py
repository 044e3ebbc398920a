"""What the demo-based benchmarks share: the demo build they run on, latency summaries and the
result files they write."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from demo.scenario import read_facts, setup

DEMO_WORK = Path(__file__).parent / ".work" / "demo"
RESULTS = Path(__file__).parent / "results"


def ensure_demo(scale: int) -> Path:
    """The embedded demo at ``scale`` persons, built once and reused while the scale matches."""
    facts_file = DEMO_WORK / "demo-facts.json"
    if not facts_file.is_file() or read_facts(DEMO_WORK).get("scale") != scale:
        setup(DEMO_WORK, scale=scale)
    return DEMO_WORK


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    """p50 / p95 / p99 / mean of millisecond samples, rounded to microseconds."""
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)

    return {
        "p50_ms": round(statistics.median(ordered), 3),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "mean_ms": round(statistics.fmean(ordered), 3),
    }


def result_file(name: str, suffix: str) -> Path:
    """Return ``results/<date>-<name><suffix>`` (the folder created), e.g. the chart's path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    return RESULTS / f"{time.strftime('%Y-%m-%d')}-{name}{suffix}"


def write_results(name: str, results: dict[str, Any], markdown: Sequence[str]) -> Path:
    """Write ``results/<date>-<name>.json`` and ``.md``; return the markdown file."""
    text = json.dumps(results, indent=2, ensure_ascii=False, default=str)
    result_file(name, ".json").write_text(text + "\n", encoding="utf-8")
    target = result_file(name, ".md")
    target.write_text("\n".join(markdown) + "\n", encoding="utf-8")
    return target


def add_server_options(parser: argparse.ArgumentParser) -> None:
    """``--pg-dsn`` and ``--mysql-dsn``, defaulting to $CIVICFED_BENCH_PG / _MYSQL, then the
    local test servers."""
    parser.add_argument(
        "--pg-dsn",
        default=os.environ.get("CIVICFED_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument(
        "--mysql-dsn",
        default=os.environ.get("CIVICFED_BENCH_MYSQL", "mysql://root@127.0.0.1:3306/test"),
    )

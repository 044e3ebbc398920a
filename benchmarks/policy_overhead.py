"""W5 planning cost and the price of policies and audit, on the embedded demo.

Planning (parse, decide, rewrite) is timed cold (plan cache bypassed) and cached, for users
whose grants differ: full access (one `*` grant per source), the 大安區 clerk (row filters,
required pins, row cap) and the statistics analyst (aggregate-only, masks). End to end, the
clerk's three-source lookup is compared with the same query as the full-access user writing to
an in-memory sink — policies and audit off — in the same run.
"""

from __future__ import annotations

import argparse
import functools
import platform
import time
from collections.abc import Callable
from typing import Any

from rich.console import Console

from audit import MemorySink
from benchmarks.common import ensure_demo, percentiles, write_results
from demo.scenario import sample_queries
from engine import Federation


def _timed(fn: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def run(scale: int, repeat: int, console: Console) -> dict[str, Any]:
    work = ensure_demo(scale)
    queries = {q.user: q for q in sample_queries(work, as_intended=True)}
    lookup, stats_query = queries["clerk_daan"], queries["analyst_dbas"]
    full_purpose = {**lookup.purpose, "purpose": "data-maintenance"}
    results: dict[str, Any] = {"scale": scale, "repeat": repeat, "planning": {}}

    with Federation.open(work / "civicfed.toml") as fed:
        authorizer = fed._authorizer  # the same object the planner asks
        cases = [
            ("full access, 3-source lookup", "demo_fullaccess", lookup.sql, "data-maintenance"),
            ("clerk, 3-source lookup", "clerk_daan", lookup.sql, lookup.purpose["purpose"]),
            ("analyst, statistics", "analyst_dbas", stats_query.sql, "statistics"),
        ]
        for title, user, sql, purpose in cases:
            principal = fed.catalog.principal(user)
            assert principal is not None
            fed.planner.plan(sql, principal, purpose)  # warm caches of schemas and adapters
            cold = _timed(
                functools.partial(fed.planner._plan, sql, principal, purpose, authorizer), repeat
            )
            cached = _timed(
                functools.partial(fed.planner.plan, sql, principal, purpose), repeat * 10
            )
            results["planning"][title] = {"cold": percentiles(cold), "cached": percentiles(cached)}
            console.print(
                f"planning {title}: cold p50 {percentiles(cold)['p50_ms']} ms, "
                f"cached p50 {percentiles(cached)['p50_ms']} ms"
            )

        results["grant_count"] = _by_grant_count(fed, lookup.sql, lookup.purpose, repeat, console)

        analyst = _timed(
            lambda: fed.query(stats_query.sql, "analyst_dbas", stats_query.purpose),
            max(5, repeat // 4),
        )
        # Paired and interleaved: the two federations alternate query by query, so drift in
        # the machine's load falls on both sides alike.
        with Federation.open(work / "civicfed.toml", audit=MemorySink()) as bare:

            def clerk() -> object:
                return fed.query(lookup.sql, "clerk_daan", lookup.purpose)

            def full() -> object:
                return bare.query(lookup.sql, "demo_fullaccess", full_purpose)

            for _ in range(5):
                clerk()
                full()
            on: list[float] = []
            off: list[float] = []
            for _ in range(repeat):
                on += _timed(clerk, 1)
                off += _timed(full, 1)

    results["lookup_policies_and_audit_on"] = percentiles(on)
    results["lookup_policies_and_audit_off"] = percentiles(off)
    results["analyst_statistics"] = percentiles(analyst)
    ratio = (
        results["lookup_policies_and_audit_on"]["p50_ms"]
        / results["lookup_policies_and_audit_off"]["p50_ms"]
    )
    results["overhead_ratio_p50"] = round(ratio, 3)
    console.print(
        f"3-source lookup p50: policies+audit on {percentiles(on)['p50_ms']} ms, "
        f"off {percentiles(off)['p50_ms']} ms (×{ratio:.2f})"
    )
    return results


PERSONS_COLUMNS = {
    "national_id": "read",
    "name": "read",
    "sex": "read",
    "birth_date": "read",
    "district": "read",
    "address": "read",
}


def _by_grant_count(
    fed: Federation, sql: str, purpose: dict[str, Any], repeat: int, console: Console
) -> dict[str, Any]:
    """Cold planning of the clerk's lookup when 0, 1 or 10 grants name household.persons for
    the user: with 0 the query is refused; with 10 the equally specific grants intersect."""
    out: dict[str, Any] = {}
    authorizer = fed.authorizer
    nobody = fed.principal("auditor_ethics")  # holds no grant at all
    clerk = fed.principal("clerk_daan")
    assert nobody is not None and clerk is not None

    def refused() -> None:
        try:
            fed.planner._plan(sql, nobody, purpose["purpose"], authorizer)
        except Exception:
            return
        raise AssertionError("a user without grants was planned")

    out["0"] = percentiles(_timed(refused, repeat))
    plan = functools.partial(fed.planner._plan, sql, clerk, purpose["purpose"], authorizer)
    out["1"] = percentiles(_timed(plan, repeat))
    extra = [
        authorizer.create_grant(
            {
                "user": "clerk_daan",
                "table": "household.persons",
                "columns": PERSONS_COLUMNS,
                "row_filter": "district = {user.district}",
                "require": [{"column": "national_id", "max_values": 10}],
                "max_rows": 100 + i,
                "purposes": [purpose["purpose"]],
            },
            created_by="benchmark",
        )
        for i in range(9)
    ]
    try:
        fed.planner.plan(sql, clerk, purpose["purpose"])  # the new decisions, once
        out["10"] = percentiles(_timed(plan, repeat))
    finally:
        for record in extra:
            authorizer.revoke_grant(record.id, "benchmark", "benchmark finished")
    console.print(
        "planning by grants naming the table (cold p50): "
        + ", ".join(f"{n}: {v['p50_ms']} ms" for n, v in out.items())
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=100)
    args = parser.parse_args()
    console = Console()
    results = run(args.scale, args.repeat, console)
    results["machine"] = {"python": platform.python_version(), "machine": platform.machine()}
    day = time.strftime("%Y-%m-%d")
    lines = [
        f"# Planning and policy overhead — {day}, demo scale {results['scale']}",
        "",
        "| case | cold p50 ms | cached p50 ms |",
        "|---|---:|---:|",
    ]
    for title, entry in results["planning"].items():
        lines.append(f"| {title} | {entry['cold']['p50_ms']} | {entry['cached']['p50_ms']} |")
    lines += [
        "",
        "| grants naming household.persons for the user | cold planning p50 ms |",
        "|---|---:|",
        *(
            f"| {n}{' (refused)' if n == '0' else ''} | {v['p50_ms']} |"
            for n, v in results["grant_count"].items()
        ),
    ]
    on, off = results["lookup_policies_and_audit_on"], results["lookup_policies_and_audit_off"]
    lines += [
        "",
        "| end to end | p50 ms | p95 ms |",
        "|---|---:|---:|",
        f"| clerk 3-source lookup, policies + audit on | {on['p50_ms']} | {on['p95_ms']} |",
        f"| same query, full access, in-memory audit | {off['p50_ms']} | {off['p95_ms']} |",
        f"| analyst statistics (persons ⋈ recipients) | "
        f"{results['analyst_statistics']['p50_ms']} | "
        f"{results['analyst_statistics']['p95_ms']} |",
        "",
        f"Policies + audit cost ×{results['overhead_ratio_p50']} at p50.",
    ]
    write_results("policy-overhead", results, lines)


if __name__ == "__main__":
    main()

"""Audit log benchmark: append cost (one thread, eight threads), the audit's share of a point
lookup through the engine, and ``verify`` over a log of a million entries.

    .venv/bin/python -m benchmarks.audit_bench [--verify-events 1000000] [--lookups 300]

Writes ``benchmarks/results/<date>-audit.md`` and ``.json``. The million-entry log is built
once under ``benchmarks/.work/audit-1m`` (rows written in bulk with the log's own hashing and
signing code, since appending them one by one would take minutes) and reused.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import rfc8785

from audit import AuditLog, MemorySink, verify_log
from audit.hashing import GENESIS, chain_hash, entry_message, leaf_hash
from audit.keys import load_signer
from audit.log import DEFAULT_ORIGIN
from audit.log import connect as connect_log

ROOT = Path(__file__).resolve().parent
WORK = ROOT / ".work"
RESULTS = ROOT / "results"


def query_event(i: int, when: dt.datetime | None = None) -> dict[str, Any]:
    """An event shaped and sized like the engine's for a clerk's three-source lookup."""
    pid = f"A1{i % 10_000_000:07d}{i % 10}"
    sql = (
        "SELECT p.national_id, p.name, p.sex, p.birth_date, p.district, p.address, r.program, "
        "r.start_date, r.end_date, o.parcel_no, o.share FROM household.persons AS p LEFT JOIN "
        "welfare.recipients AS r ON r.national_id = p.national_id LEFT JOIN land.ownership AS o"
        f" ON o.owner_national_id = p.national_id WHERE p.national_id = '{pid}'"
    )
    return {
        "type": "query",
        "time": (when or dt.datetime.now(dt.UTC)).isoformat(timespec="microseconds"),
        "query_id": f"{i:032x}",
        "user": f"clerk_{i % 40}",
        "agency": ("DAAN", "XINYI", "DSW", "LAND")[i % 4],
        "roles": ["user"],
        "purpose": {
            "case_name": "低收入戶資格複查",
            "purpose": "welfare-eligibility",
            "document_no": "北市安社字第1133012345號",
            "case_no": f"113-{i % 9000:04d}",
            "legal_basis": "社會救助法第4條",
        },
        "sql": sql,
        "rewritten_sql": sql.replace("household.persons", "scan_1")
        .replace("welfare.recipients", "scan_2")
        .replace("land.ownership", "scan_3"),
        "source_sql": [
            {
                "source": s,
                "table": t,
                "statement": f'SELECT "national_id", "name" FROM "{t}" WHERE "{c}" = \'{pid}\'',
            }
            for s, t, c in (
                ("household", "persons", "national_id"),
                ("welfare", "recipients", "national_id"),
                ("land", "ownership", "owner_national_id"),
            )
        ],
        "tables": [
            {"table": "household.persons", "columns": ["national_id", "name"], "grants": ["g1"]},
            {"table": "welfare.recipients", "columns": ["program"], "grants": ["g2"]},
            {"table": "land.ownership", "columns": ["parcel_no", "share"], "grants": ["g3"]},
        ],
        "outcome": "ok",
        "error_code": None,
        "reason": None,
        "rows": 2,
        "bytes_per_source": {"household": 412, "welfare": 96, "land": 80},
        "duration_ms": 4.2,
    }


def _latencies(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    return {
        "mean_us": statistics.fmean(samples) * 1e6,
        "p50_us": samples[len(samples) // 2] * 1e6,
        "p99_us": samples[int(len(samples) * 0.99)] * 1e6,
    }


def bench_append_single(n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(dir=WORK) as d, AuditLog(d) as log:
        for i in range(50):
            log.append(query_event(i))
        samples = []
        started = time.perf_counter()
        for i in range(n):
            t = time.perf_counter()
            log.append(query_event(i))
            samples.append(time.perf_counter() - t)
        wall = time.perf_counter() - started
        size = len(rfc8785.dumps(query_event(0)))
    return {"events": n, "event_bytes": size, "per_second": n / wall, **_latencies(samples)}


def bench_append_threads(threads: int, per_thread: int) -> dict[str, Any]:
    samples: list[float] = []
    lock = threading.Lock()
    with tempfile.TemporaryDirectory(dir=WORK) as d, AuditLog(d) as log:

        def worker(t: int) -> None:
            mine = []
            for i in range(per_thread):
                s = time.perf_counter()
                log.append(query_event(t * per_thread + i))
                mine.append(time.perf_counter() - s)
            with lock:
                samples.extend(mine)

        started = time.perf_counter()
        pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
        for th in pool:
            th.start()
        for th in pool:
            th.join()
        wall = time.perf_counter() - started
        assert log.size() == threads * per_thread
    total = threads * per_thread
    return {
        "threads": threads,
        "events": total,
        "per_second": total / wall,
        "wall_us_per_event": wall / total * 1e6,
        **_latencies(samples),
    }


def bench_engine_lookup(runs: int) -> dict[str, Any]:
    """The demo's three-source point lookup with the audit kept in memory vs the real log."""
    from demo.scenario import sample_queries, setup
    from engine import Federation

    directory = WORK / "audit-demo"
    if not (directory / "civicfed.toml").is_file():
        setup(directory, scale=5000, seed=11)
    lookup = sample_queries(directory)[0]
    timings: dict[str, list[float]] = {"memory": [], "log": []}
    with (
        Federation.open(directory / "civicfed.toml", audit=MemorySink()) as memory,
        Federation.open(directory / "civicfed.toml") as logged,
    ):
        feds = {"memory": memory, "log": logged}
        for fed in feds.values():
            for _ in range(20):
                fed.query(lookup.sql, lookup.user, lookup.purpose)
        # Alternate query by query, so load from anything else on the machine hits both alike;
        # the paired differences give the audit's own cost.
        for i in range(runs):
            for name in ("memory", "log") if i % 2 else ("log", "memory"):
                t = time.perf_counter()
                feds[name].query(lookup.sql, lookup.user, lookup.purpose)
                timings[name].append(time.perf_counter() - t)
    memory_p50 = statistics.median(timings["memory"]) * 1000
    log_p50 = statistics.median(timings["log"]) * 1000
    paired = statistics.median(
        (a - b) * 1000 for a, b in zip(timings["log"], timings["memory"], strict=True)
    )
    return {
        "query": lookup.title,
        "runs": len(timings["log"]),
        "memory_sink_p50_ms": memory_p50,
        "audit_log_p50_ms": log_p50,
        "audit_overhead_ms": paired,
        "audit_overhead_pct": paired / memory_p50 * 100,
    }


def bench_commit_floor(n: int) -> dict[str, Any]:
    """A bare one-row commit with the log's settings: the disk's share of every append."""
    with tempfile.TemporaryDirectory(dir=WORK) as d:
        conn = connect_log(Path(d) / "floor.sqlite", 10)
        conn.execute("CREATE TABLE t (seq INTEGER PRIMARY KEY, v TEXT)")
        samples = []
        for i in range(n):
            t = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t VALUES (?, ?)", (i, "x" * 100))
            conn.execute("COMMIT")
            samples.append(time.perf_counter() - t)
        conn.close()
    return _latencies(samples)


def build_big_log(directory: Path, n: int) -> float:
    """Write ``n`` entries in bulk exactly as ``AuditLog.append`` would; returns the seconds it
    took (now or, when reused, the first time)."""
    db = directory / "audit.sqlite"
    record = directory / "build.json"
    if db.is_file() and record.is_file():
        with sqlite3.connect(db) as conn:
            if conn.execute("SELECT max(seq) FROM audit_events").fetchone()[0] == n:
                return float(json.loads(record.read_text())["build_s"])
    for p in directory.iterdir():
        if p.is_file():
            p.unlink()
    started = time.perf_counter()
    AuditLog(directory).close()  # schema and keys
    signer = load_signer(directory, DEFAULT_ORIGIN)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    step = (dt.datetime(2026, 11, 1, tzinfo=dt.UTC) - base) / n
    # One canonical template, then only fixed-width ASCII fields vary: the bytes are exactly
    # what rfc8785 produces (checked below for the first rows).
    template = rfc8785.dumps(_templated(query_event(0, base))).decode()
    conn = connect_log(directory / "audit.sqlite", 30)
    previous = GENESIS
    batch: list[tuple[Any, ...]] = []
    conn.execute("BEGIN IMMEDIATE")
    for i in range(n):
        when = base + step * i
        stamp = when.isoformat(timespec="microseconds")
        text = (
            template.replace("@TIME@", stamp)
            .replace("@QID@", f"{i:032x}")
            .replace("@USER@", f"clerk_{i % 40:02d}")
            .replace("@CASE@", f"113-{i % 9000:04d}")
            .replace("@TOKEN@", f"hmac:{i * 2654435761 % 2**128:032x}")
        )
        if i < 3:
            assert text == _canonical_check(text)
        data = text.encode()
        leaf = leaf_hash(data)
        entry = chain_hash(previous, leaf)
        seq = i + 1
        sig = signer.sign(entry_message(seq, entry))
        batch.append((seq, text, leaf, entry, sig, "query", stamp, f"clerk_{i % 40:02d}", None))
        previous = entry
        if len(batch) == 20_000:
            conn.executemany("INSERT INTO audit_events VALUES (?,?,?,?,?,?,?,?,?)", batch)
            batch.clear()
    conn.executemany("INSERT INTO audit_events VALUES (?,?,?,?,?,?,?,?,?)", batch)
    conn.execute("COMMIT")
    conn.close()
    AuditLog(directory).close()  # the checkpointer signs the tree head over all of it
    seconds = time.perf_counter() - started
    record.write_text(json.dumps({"build_s": seconds}))
    return seconds


def _templated(event: dict[str, Any]) -> dict[str, Any]:
    """``event`` with its varying fields replaced by placeholders."""
    pid = event["sql"].rsplit("'", 2)[1]
    event = json.loads(json.dumps(event, ensure_ascii=False).replace(pid, "@TOKEN@"))
    event.update(time="@TIME@", query_id="@QID@", user="@USER@")
    event["purpose"]["case_no"] = "@CASE@"
    return event


def _canonical_check(text: str) -> str:
    return rfc8785.dumps(json.loads(text)).decode()


def bench_verify(n: int) -> dict[str, Any]:
    directory = WORK / f"audit-{n // 1000}k"
    directory.mkdir(parents=True, exist_ok=True)
    build_s = build_big_log(directory, n)
    size_mb = (directory / "audit.sqlite").stat().st_size / 1e6
    runs = []
    for _ in range(2):
        started = time.perf_counter()
        result = verify_log(directory)
        runs.append(time.perf_counter() - started)
        assert result.ok, result.message()
    return {
        "events": n,
        "db_mb": round(size_mb, 1),
        "build_s": round(build_s, 1),
        "verify_s": min(runs),
        "verify_runs_s": runs,
        "entries_per_second": n / min(runs),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--appends", type=int, default=3000)
    parser.add_argument("--verify-events", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=600)
    args = parser.parse_args(argv)
    WORK.mkdir(exist_ok=True)
    RESULTS.mkdir(exist_ok=True)
    results: dict[str, Any] = {"date": dt.date.today().isoformat(), "machine": _machine()}
    print("commit floor …", flush=True)
    results["commit_floor"] = bench_commit_floor(1000)
    print("append, one thread …", flush=True)
    results["append_single"] = bench_append_single(args.appends)
    print("append, eight threads …", flush=True)
    results["append_threads"] = bench_append_threads(8, 500)
    print("engine lookup, memory sink vs audit log …", flush=True)
    results["engine_lookup"] = bench_engine_lookup(args.lookups)
    print(f"verify {args.verify_events} entries …", flush=True)
    results["verify"] = bench_verify(args.verify_events)
    stem = RESULTS / f"{results['date']}-audit"
    stem.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
    stem.with_suffix(".md").write_text(_markdown(results))
    print(_markdown(results))
    return 0


def _machine() -> dict[str, Any]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "commit": commit,
    }


def _row(label: str, r: dict[str, Any]) -> str:
    cells = [r["events"], f"{r['mean_us']:.0f}", f"{r['p50_us']:.0f}", f"{r['p99_us']:.0f}"]
    return f"| {label} | " + " | ".join(map(str, cells)) + f" | {r['per_second']:.0f} |"


def _markdown(r: dict[str, Any]) -> str:
    one, many, eng, ver = r["append_single"], r["append_threads"], r["engine_lookup"], r["verify"]
    m = r["machine"]
    runs = ", ".join(f"{s:.2f}" for s in ver["verify_runs_s"])
    lines = [
        f"# Audit log — {r['date']}",
        "",
        f"Machine: {m['cores']} cores, {m['platform']}, Python {m['python']}, "
        f"SQLite {m['sqlite']}, commit {m['commit']}.",
        "Every append is a committed SQLite transaction (WAL, synchronous=FULL: one fsync per",
        "entry), after pseudonymising IDs, RFC 8785 encoding, hashing and an Ed25519 signature.",
        "",
        f"## Append cost per event ({one['event_bytes']}-byte query event)",
        "",
        "| writers | events | mean µs | p50 µs | p99 µs | events/s |",
        "|---|---:|---:|---:|---:|---:|",
        _row("1 thread", one),
        _row("8 threads", many),
        "",
        "A bare one-row SQLite commit with the same settings (the disk's share) takes "
        f"{r['commit_floor']['p50_us']:.0f} µs p50 here.",
        "With 8 threads the per-call latency includes waiting for the write lock; the wall time",
        f"per event is {many['wall_us_per_event']:.0f} µs (writes are serialised, as one "
        "gap-free sequence requires).",
        "",
        f"## Audit cost per query (engine: {eng['query']})",
        "",
        "| audit sink | p50 ms |",
        "|---|---:|",
        f"| in memory (no durability) | {eng['memory_sink_p50_ms']:.2f} |",
        f"| hash-chained log | {eng['audit_log_p50_ms']:.2f} |",
        "",
        f"The durable log adds {eng['audit_overhead_ms']:.2f} ms per query "
        f"({eng['audit_overhead_pct']:.1f}% of the lookup): the median of {eng['runs']} paired",
        "differences, the two federations alternating query by query.",
        "",
        f"## verify at {ver['events']:,} entries",
        "",
        "| entries | database | verify s | entries/s |",
        "|---:|---:|---:|---:|",
        f"| {ver['events']:,} | {ver['db_mb']} MB | {ver['verify_s']:.2f} | "
        f"{ver['entries_per_second']:,.0f} |",
        "",
        "One pass recomputes every leaf hash and chained hash, checks the selection columns",
        "against the signed event, grows the Merkle tree and compares its head with the signed",
        f"checkpoints; the last entry's Ed25519 signature is checked too (runs: {runs} s).",
        f"Building the log in bulk took {ver['build_s']:.0f} s; it is kept for later runs.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())

"""W7: the clerk's point lookup over HTTP under load — `civicfed serve` as a real server in a
subprocess, 1/4/8 clients each signed in once as clerk_daan, a different 大安區 national ID per
request — against the same lookups in-process through ``Federation.run`` at the same
concurrency (the peer: what HTTP + JSON costs). Checks that every request got a 200 and left
exactly one query event in the audit log; exits non-zero otherwise.

``python -m benchmarks.api_load [--seconds 30] [--clients 1,4,8] [--scale 100000]``
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from benchmarks.common import ensure_demo, percentiles, result_file, write_results
from demo.scenario import CONFIG_FILE, CREDENTIALS_FILE, read_facts, sample_queries
from engine import Federation
from engine.errors import FederationError

USER = "clerk_daan"
DISTRICT = "大安區"
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class Outcome:
    """One lookup's answer: ``code`` is the HTTP status, or the engine's error code in-process."""

    code: str
    query_id: str | None = None
    rows: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        # An existing 大安區 person always yields at least one row; none is a wrong answer.
        return self.code == "200" and self.rows > 0


Lookup = Callable[[str], Outcome]
Opener = Callable[[ExitStack], Lookup]  # per client thread: sign in, give back its lookup


@dataclass
class Phase:
    """What one phase (system × concurrency) measured."""

    system: str
    label: str  # "warmup" or "c<clients>"
    clients: int
    case_no: str
    wall_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    cpu_s: dict[str, float | None] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        errors = [o for o in self.outcomes if not o.ok]
        n = len(self.outcomes)
        return {
            "system": self.system,
            "clients": self.clients,
            "case_no": self.case_no,
            "requests": n,
            "wall_s": round(self.wall_s, 3),
            "throughput_rps": round(n / self.wall_s, 2) if self.wall_s else None,
            "errors": len(errors),
            "codes": dict(Counter(o.code for o in self.outcomes)),
            "first_errors": [o.error or f"{o.code}, {o.rows} rows" for o in errors[:5]],
            **(percentiles(self.latencies_ms) if self.latencies_ms else {}),
            "cpu_ms_per_request": {
                k: round(v * 1000 / n, 3) if v is not None and n else None
                for k, v in self.cpu_s.items()
            },
        }


class IdPool:
    """Hands every request a different national ID (reshuffled once all are used), so no
    request repeats the SQL text of the one before it."""

    def __init__(self, ids: Sequence[str], seed: int) -> None:
        self._ids, self._rng = list(ids), random.Random(seed)
        self._order: list[str] = []
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            if not self._order:
                self._order = self._ids.copy()
                self._rng.shuffle(self._order)
            return self._order.pop()


def district_ids(work: Path) -> list[str]:
    """The national IDs of the clerk's district, read straight from the generated data."""
    uri = f"file:{work / 'data' / 'household.sqlite'}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        rows = conn.execute("SELECT national_id FROM persons WHERE district = ?", (DISTRICT,))
        return [r[0] for r in rows]


def clerk_lookup(work: Path) -> tuple[Callable[[str], str], dict[str, Any]]:
    """The demo's 3-source lookup (persons ⋈ recipients ⋈ ownership) as a function of the ID,
    and the clerk's purpose envelope."""
    sample = next(q for q in sample_queries(work, as_intended=True) if q.user == USER)
    subject = read_facts(work)["lookup_person"]["national_id"]
    if sample.sql.count(subject) != 1:
        raise RuntimeError("the demo's lookup no longer pins exactly one national ID")
    return (lambda national_id: sample.sql.replace(subject, national_id)), dict(sample.purpose)


# -- the server ------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` so far (Linux /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS


@contextmanager
def served(config: Path, console: Console) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`civicfed serve` on a free port until the block ends: terminated, then killed. Its
    output goes to ``api-load-server.log`` beside the config."""
    port = _free_port()
    command = [sys.executable, "-m", "api.cli", "serve", "--config", str(config), "--port"]
    server_log = config.parent / "api-load-server.log"
    with server_log.open("wb") as log:
        proc = subprocess.Popen([*command, str(port)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                tail = server_log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"civicfed serve exited with {proc.returncode}:\n{tail}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"civicfed serve did not answer /healthz; see {server_log}")
            time.sleep(0.1)
        console.print(f"server pid {proc.pid} at {url} (log {server_log})")
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def api_opener(url: str, password: str, sql: Callable[[str], str], case: dict[str, Any]) -> Opener:
    """Each client: its own httpx.Client (keep-alive), one sign-in, then POST /v1/query."""

    def open_client(stack: ExitStack) -> Lookup:
        client = stack.enter_context(httpx.Client(base_url=url, timeout=60))
        signed = client.post("/v1/auth/token", json={"username": USER, "password": password})
        signed.raise_for_status()
        headers = {"Authorization": f"Bearer {signed.json()['access_token']}"}

        def lookup(national_id: str) -> Outcome:
            try:
                r = client.post(
                    "/v1/query", json={"sql": sql(national_id), "purpose": case}, headers=headers
                )
            except httpx.HTTPError as exc:
                return Outcome("transport", error=f"{type(exc).__name__}: {exc}")
            if r.status_code != 200:
                return Outcome(str(r.status_code), error=r.text[:300])
            body = r.json()
            return Outcome("200", body["query_id"], body["row_count"])

        return lookup

    return open_client


def in_process_opener(fed: Federation, sql: Callable[[str], str], case: dict[str, Any]) -> Opener:
    """Each thread calls the shared federation directly, as the API's handlers do."""

    def open_thread(_: ExitStack) -> Lookup:
        def lookup(national_id: str) -> Outcome:
            try:
                table, report = fed.run(sql(national_id), USER, case)
            except FederationError as exc:
                return Outcome(exc.code, exc.query_id, error=exc.message)
            return Outcome("200", report.query_id, table.num_rows)

        return lookup

    return open_thread


# -- running a phase -------------------------------------------------------------------------
@dataclass
class _Window:
    start: float = 0.0
    deadline: float = 0.0
    cpu: float = 0.0
    server_cpu: float | None = None


def run_phase(
    phase: Phase,
    opener: Opener,
    ids: IdPool,
    seconds: float,
    progress: Progress,
    server_pid: int | None = None,
) -> Phase:
    """``phase.clients`` threads, set up first (sign-in), then released together for
    ``seconds``; a request under way at the deadline is finished and counted."""
    window = _Window()

    def release() -> None:  # runs once, before any thread passes the gate
        window.cpu = time.process_time()
        window.server_cpu = _cpu_s(server_pid) if server_pid else None
        window.start = time.perf_counter()
        window.deadline = window.start + seconds

    gate = threading.Barrier(phase.clients + 1, action=release)
    per_thread: list[list[tuple[float, Outcome]]] = [[] for _ in range(phase.clients)]
    failures: list[BaseException] = []

    def client(samples: list[tuple[float, Outcome]]) -> None:
        with ExitStack() as stack:
            try:
                lookup = opener(stack)
            except BaseException as exc:
                failures.append(exc)
                gate.abort()
                return
            gate.wait()
            while time.perf_counter() < window.deadline:
                national_id = ids.next()
                sent = time.perf_counter()
                outcome = lookup(national_id)
                samples.append(((time.perf_counter() - sent) * 1000, outcome))

    threads = [threading.Thread(target=client, args=(s,), daemon=True) for s in per_thread]
    for t in threads:
        t.start()
    try:
        gate.wait()
    except threading.BrokenBarrierError:
        raise RuntimeError(f"{phase.system}: a client could not start: {failures[0]!r}") from None
    task = progress.add_task(
        f"{phase.system:<10} {phase.clients} client(s)", total=seconds, requests=0, rate=0.0
    )
    while any(t.is_alive() for t in threads):
        time.sleep(0.2)
        elapsed = time.perf_counter() - window.start
        done = sum(len(s) for s in per_thread)
        progress.update(task, completed=min(elapsed, seconds), requests=done, rate=done / elapsed)
    phase.wall_s = time.perf_counter() - window.start
    phase.cpu_s = {"benchmark_process": time.process_time() - window.cpu}
    if server_pid:
        after = _cpu_s(server_pid)
        before = window.server_cpu
        phase.cpu_s["server"] = after - before if after is not None and before is not None else None
    for samples in per_thread:
        phase.latencies_ms.extend(ms for ms, _ in samples)
        phase.outcomes.extend(o for _, o in samples)
    progress.update(task, completed=seconds, requests=len(phase.outcomes))
    return phase


# -- the audit log ---------------------------------------------------------------------------
def audit_seq(data_dir: Path) -> int:
    with _audit_reader(data_dir) as conn:
        return int(conn.execute("SELECT coalesce(max(seq), 0) FROM audit_events").fetchone()[0])


def audit_queries(data_dir: Path, after: int, run_tag: str) -> dict[str, dict[str, Any]]:
    """This run's query events after ``after``, per case_no: their query ids and durations."""
    found: dict[str, dict[str, Any]] = {}
    with _audit_reader(data_dir) as conn:
        rows = conn.execute(
            "SELECT query_id, json_extract(event, '$.purpose.case_no'), "
            "json_extract(event, '$.outcome'), json_extract(event, '$.duration_ms') "
            "FROM audit_events WHERE seq > ? AND type = 'query'",
            (after,),
        )
        for query_id, case_no, outcome, duration in rows:
            if not isinstance(case_no, str) or not case_no.startswith(run_tag):
                continue
            entry = found.setdefault(case_no, _no_events())
            entry["events"] += 1
            entry["ids"].add(query_id)
            entry["outcomes"][outcome] += 1
            entry["ms"][query_id] = duration
    return found


def _no_events() -> dict[str, Any]:
    return {"events": 0, "ids": set(), "outcomes": Counter(), "ms": {}}


def audit_sign_ins(data_dir: Path, after: int) -> int:
    with _audit_reader(data_dir) as conn:
        query = "SELECT count(*) FROM audit_events WHERE seq > ? AND type = 'auth' AND actor = ?"
        return int(conn.execute(query, (after, USER)).fetchone()[0])


@contextmanager
def _audit_reader(data_dir: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(data_dir / "audit.sqlite", timeout=30)
    try:
        conn.execute("PRAGMA query_only = ON")
        yield conn
    finally:
        conn.close()


def audit_check(phase: Phase, events: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Requests vs query events of one phase, and the answered query ids missing from the log."""
    entry = events.get(phase.case_no) or _no_events()
    answered = {o.query_id for o in phase.outcomes if o.query_id}
    engine_ms = [entry["ms"][q] for q in answered if entry["ms"].get(q) is not None]
    return {
        "requests": len(phase.outcomes),
        "query_events": entry["events"],
        "outcomes": dict(entry["outcomes"]),
        "answered_ids_missing": len(answered - entry["ids"]),
        "ids_recorded_twice": entry["events"] - len(entry["ids"]),
        "equal": entry["events"] == len(entry["ids"]) == len(phase.outcomes)
        and answered <= entry["ids"],
        "engine_ms": percentiles(engine_ms) if engine_ms else None,
    }


# -- the whole run ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Settings:
    scale: int
    clients: tuple[int, ...]
    seconds: float  # at the highest concurrency (the acceptance level)
    other_seconds: float  # at the lower levels
    warmup_s: float
    seed: int

    def seconds_for(self, clients: int) -> float:
        return self.seconds if clients == max(self.clients) else self.other_seconds


def run(settings: Settings, console: Console, work: Path | None = None) -> dict[str, Any]:
    """Run every phase on the demo in ``work`` (default: the cached demo at the settings'
    scale) and return the result document (``passed`` says whether it held)."""
    work = work or ensure_demo(settings.scale)
    config = work / CONFIG_FILE
    password = json.loads((work / CREDENTIALS_FILE).read_text(encoding="utf-8"))[USER]
    sql, purpose = clerk_lookup(work)
    ids = IdPool(district_ids(work), settings.seed)
    run_tag = f"W7-{uuid.uuid4().hex[:8]}"
    load_before = os.getloadavg()
    console.print(f"[bold]W7 API load[/] scale {settings.scale}, run {run_tag}, load {load_before}")

    def phase(system: str, clients: int, label: str) -> tuple[Phase, dict[str, Any]]:
        case = {**purpose, "case_no": f"{run_tag}-{system}-{label}"}
        return Phase(system, label, clients, case["case_no"]), case

    phases: list[Phase] = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[requests]:>6} req {task.fields[rate]:>7.1f}/s"),
        TimeElapsedColumn(),
    )
    with Federation.open(config) as fed, ExitStack() as stack:
        _install_password(fed, password)
        url, server = stack.enter_context(served(config, console))
        progress = stack.enter_context(Progress(*columns, console=console))
        data_dir = fed.loaded.data_dir
        first_seq = audit_seq(data_dir)
        for label, clients, seconds in [
            ("warmup", 1, settings.warmup_s),
            *((f"c{c}", c, settings.seconds_for(c)) for c in settings.clients),
        ]:
            api_phase, api_case = phase("api", clients, label)
            api = api_opener(url, password, sql, api_case)
            phases.append(run_phase(api_phase, api, ids, seconds, progress, server.pid))
            local_phase, local_case = phase("in-process", clients, label)
            local = in_process_opener(fed, sql, local_case)
            phases.append(run_phase(local_phase, local, ids, seconds, progress))
        floor = _healthz_floor(url)
    # After the server has stopped: every event it wrote is committed and checkpointed.
    events = audit_queries(data_dir, first_seq, run_tag)
    sign_ins = audit_sign_ins(data_dir, first_seq)
    growth = audit_seq(data_dir) - first_seq
    environment = {
        "run_tag": run_tag,
        "scale": read_facts(work).get("scale"),
        "cpus": os.cpu_count(),
        "load_avg_before": load_before,
        "load_avg_after": os.getloadavg(),
        "server": "civicfed serve (uvicorn, 1 worker) in a subprocess",
        "sql_example": sql("A123456789"),
        "purpose": purpose,
    }
    return _document(settings, phases, events, sign_ins, growth, floor, environment)


def _install_password(fed: Federation, password: str) -> None:
    """Store the clerk's demo password when the cached demo predates `demo setup` doing so
    (the account then has none and cannot sign in); a password already set is left alone."""
    account = fed.accounts.get(USER)
    if account is not None and account.password_changed_at is None:
        fed.accounts.set_password(USER, password, by="benchmarks.api_load", enforce_history=False)


def _healthz_floor(url: str, count: int = 200) -> dict[str, float]:
    """GET /healthz latency on one keep-alive connection: the HTTP stack with no query."""
    samples = []
    with httpx.Client(base_url=url, timeout=30) as client:
        for _ in range(count):
            started = time.perf_counter()
            client.get("/healthz").raise_for_status()
            samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


def _document(
    settings: Settings,
    phases: list[Phase],
    events: dict[str, dict[str, Any]],
    sign_ins: int,
    growth: int,
    floor: dict[str, float],
    environment: dict[str, Any],
) -> dict[str, Any]:
    failures: list[str] = []
    levels: list[dict[str, Any]] = []
    requests = query_events = 0
    for api, local in zip(phases[::2], phases[1::2], strict=True):
        entry: dict[str, Any] = {"label": api.label, "clients": api.clients}
        for name, p in (("api", api), ("in_process", local)):
            audit = audit_check(p, events)
            entry[name] = {**p.summary(), "audit": audit}
            entry[name]["latencies_ms"] = [round(ms, 3) for ms in p.latencies_ms]
            requests += audit["requests"]
            query_events += audit["query_events"]
            if entry[name]["errors"]:
                failures.append(f"{p.system} × {p.clients}: {entry[name]['errors']} errors")
            if not audit["equal"]:
                failures.append(
                    f"{p.system} × {p.clients}: {audit['query_events']} query events for "
                    f"{audit['requests']} requests ({audit['answered_ids_missing']} answered "
                    "query ids missing from the log)"
                )
        a, b = entry["api"], entry["in_process"]
        if a.get("p50_ms") and b.get("p50_ms"):
            entry["api_over_in_process"] = {
                "p50": round(a["p50_ms"] / b["p50_ms"], 2),
                "p95": round(a["p95_ms"] / b["p95_ms"], 2),
                "throughput": round(a["throughput_rps"] / b["throughput_rps"], 2),
            }
        levels.append(entry)
    expected_sign_ins = sum(1 for p in phases if p.system == "api" for _ in range(p.clients))
    if sign_ins != expected_sign_ins:
        failures.append(f"{sign_ins} sign-in events for {expected_sign_ins} clients")
    return {
        "workload": "W7 API load: the clerk's 3-source point lookup over HTTP vs in-process",
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "scale": environment["scale"],
        "settings": {
            "clients": list(settings.clients),
            "seconds": settings.seconds,
            "other_seconds": settings.other_seconds,
            "warmup_s": settings.warmup_s,
            "seed": settings.seed,
        },
        "user": USER,
        "environment": environment,
        "http_floor_healthz": floor,
        "levels": levels,
        "audit": {
            "requests": requests,
            "query_events": query_events,
            "sign_ins": expected_sign_ins,
            "sign_in_events": sign_ins,
            # AuditLog.size() after − before: our query events + sign-ins + anyone else's.
            "log_growth": growth,
            "other_events": growth - query_events - sign_ins,
        },
        "passed": not failures,
        "failures": failures,
    }


# -- results ---------------------------------------------------------------------------------
def markdown(document: dict[str, Any], chart: Path, command: str) -> list[str]:
    """The result summary: one row per system × concurrency, then the ratios and the audit."""
    env, audit = document["environment"], document["audit"]
    lines = [
        f"# W7 API load — {document['date']}, demo scale {document['scale']}",
        "",
        f"`{command}`",
        "",
        f"{USER}'s lookup persons ⋈ recipients ⋈ ownership pinned by one national_id (a",
        "different 大安區 person per request), purpose welfare-eligibility. **api**: `civicfed",
        "serve` (uvicorn, one worker) in a subprocess; each client thread has its own httpx",
        "keep-alive connection and signs in once; POST /v1/query, JSON rows. **in-process**: the",
        "same lookups through `Federation.run` on the same number of threads, no HTTP. Policies",
        f"and the durable audit log on in both. {env['cpus']} CPUs, shared with the clients; load",
        f"average {env['load_avg_before'][0]:.2f} before, {env['load_avg_after'][0]:.2f} after.",
        "",
        "| clients | system | seconds | requests | req/s | p50 ms | p95 ms | p99 ms | errors "
        "| audit query events |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for level in document["levels"]:
        for name in ("api", "in_process"):
            e = level[name]
            lines.append(
                f"| {level['clients']}{' (warm-up)' if level['label'] == 'warmup' else ''} "
                f"| {e['system']} | {e['wall_s']:.1f} | {e['requests']} | {e['throughput_rps']} "
                f"| {e.get('p50_ms')} | {e.get('p95_ms')} | {e.get('p99_ms')} | {e['errors']} "
                f"| {e['audit']['query_events']} |"
            )
    lines += [
        "",
        "| clients | API ÷ in-process p50 | p95 | throughput | engine p50 in the server "
        "(audit duration_ms) | server CPU ms/req | client CPU ms/req | in-process CPU ms/req |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for level in document["levels"]:
        if level["label"] == "warmup" or "api_over_in_process" not in level:
            continue
        r, a, b = level["api_over_in_process"], level["api"], level["in_process"]
        engine = (a["audit"]["engine_ms"] or {}).get("p50_ms")
        lines.append(
            f"| {level['clients']} | {r['p50']}× | {r['p95']}× | {r['throughput']}× | {engine} "
            f"| {a['cpu_ms_per_request'].get('server')} "
            f"| {a['cpu_ms_per_request'].get('benchmark_process')} "
            f"| {b['cpu_ms_per_request'].get('benchmark_process')} |"
        )
    verdict = "**PASS**" if document["passed"] else "**FAIL**: " + "; ".join(document["failures"])
    lines += [
        "",
        f"Audit: {audit['query_events']} query events for {audit['requests']} requests (both",
        f"systems, warm-up included); {audit['sign_in_events']} sign-in events for "
        f"{audit['sign_ins']} clients; the log grew by {audit['log_growth']} entries "
        f"({audit['other_events']} not this run's). {verdict}",
        "",
        f"HTTP floor (GET /healthz, one connection): p50 {document['http_floor_healthz']['p50_ms']}"
        f" ms, p95 {document['http_floor_healthz']['p95_ms']} ms.",
        "",
        f"![throughput and latency]({chart.name})",
    ]
    return lines


def chart(document: dict[str, Any], path: Path) -> Path:
    """Throughput against clients, and the latency CDF of every level, API and in-process."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import ticker

    levels = [lv for lv in document["levels"] if lv["label"] != "warmup"]
    styles = {"api": ("-", "o", "API (HTTP + JSON)"), "in_process": ("--", "s", "in-process")}
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    clients = [lv["clients"] for lv in levels]
    for name, (line, marker, label) in styles.items():
        rates = [lv[name]["throughput_rps"] for lv in levels]
        left.plot(clients, rates, linestyle=line, marker=marker, label=label)
        for x, lv, y in zip(clients, levels, rates, strict=True):
            left.annotate(f"p50 {lv[name].get('p50_ms', 0):.0f} ms", (x, y), fontsize=8,
                          textcoords="offset points", xytext=(4, 4))  # fmt: skip
    left.set_xticks(clients)
    left.set_xlabel("concurrent clients")
    left.set_ylabel("lookups per second")
    left.set_ylim(0, left.get_ylim()[1] * 1.15)  # room for the p50 labels
    left.set_title("throughput")
    left.grid(alpha=0.3)
    left.legend()
    for i, lv in enumerate(levels):
        for name, (line, _, label) in styles.items():
            runs = sorted(lv[name]["latencies_ms"])
            if runs:
                fractions = [(k + 1) / len(runs) for k in range(len(runs))]
                right.step(runs, fractions, where="post", linestyle=line, color=f"C{i}",
                           label=f"{label}, {lv['clients']} client(s)")  # fmt: skip
    right.set_xscale("log")
    right.xaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
    right.set_xlabel("latency, ms (log scale)")
    right.set_ylabel("fraction of lookups")
    right.set_title("latency CDF")
    right.grid(alpha=0.3, which="both")
    right.legend(fontsize=8, loc="lower right")
    fig.suptitle(f"W7: clerk's 3-source lookup, demo scale {document['scale']}")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Run W7, write the result files; exit 1 on any error or audit mismatch."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=100_000, help="demo persons")
    parser.add_argument("--clients", default="1,4,8", help="concurrency levels, e.g. 1,4,8")
    parser.add_argument("--seconds", type=float, default=30, help="per phase at the top level")
    parser.add_argument("--other-seconds", type=float, help="per phase below it (default s/3)")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up seconds, 1 client")
    parser.add_argument("--quick", action="store_true", help="10 s at the top, 4 s below")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.other_seconds, args.warmup = 10, 4, 1
    settings = Settings(
        scale=args.scale,
        clients=tuple(sorted({int(c) for c in args.clients.split(",")})),
        seconds=args.seconds,
        other_seconds=args.other_seconds if args.other_seconds else args.seconds / 3,
        warmup_s=args.warmup,
        seed=args.seed,
    )
    # SIGTERM unwinds like Ctrl-C, so the server subprocess is stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    console = Console()
    document = run(settings, console)
    command = "python -m benchmarks.api_load " + " ".join(sys.argv[1:] if argv is None else argv)
    document["command"] = command.strip()
    png = chart(document, result_file("api-load", ".png"))
    lines = markdown(document, png, document["command"])
    for line in lines[next(i for i, t in enumerate(lines) if t.startswith("| clients")) : -2]:
        console.print(line, markup=False, highlight=False)
    console.print(f"results → {write_results('api-load', document, lines)}")
    if not document["passed"]:
        console.print("[bold red]FAILED:[/] " + "; ".join(document["failures"]))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The log itself: durable, gap-free under threads and processes, keys private, checkpoints
at least once a second, plaintext national IDs never stored."""

from __future__ import annotations

import itertools
import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from audit import AuditError, AuditLog, record_governance, verify_log
from audit.checkpoint import Checkpoint
from audit.keys import HMAC_KEY_FILE, SIGNING_KEY_FILE, KeyFileError
from tests.audit.activity import person

ROOT = Path(__file__).resolve().parents[2]


def seqs(data_dir: Path) -> list[int]:
    with sqlite3.connect(data_dir / "audit.sqlite") as conn:
        return [r[0] for r in conn.execute("SELECT seq FROM audit_events ORDER BY seq")]


def test_appends_get_consecutive_numbers_and_commit_before_returning(tmp_path: Path) -> None:
    with AuditLog(tmp_path) as log:
        assert [log.append({"type": "query", "n": i}) for i in range(5)] == [1, 2, 3, 4, 5]
        # Another connection sees each entry as soon as append returns: it was committed.
        seq = log.append({"type": "query", "n": 5})
        with sqlite3.connect(tmp_path / "audit.sqlite") as other:
            assert other.execute("SELECT max(seq) FROM audit_events").fetchone()[0] == seq
            assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert log._writer.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_entries_are_canonical_json_with_leaf_and_chain_hashes(tmp_path: Path) -> None:
    import hashlib

    with AuditLog(tmp_path) as log:
        log.append({"type": "query", "b": 1, "a": "臺北", "time": "2026-11-02T09:00:00+08:00"})
        log.append({"type": "query", "z": [3, 1]})
    with sqlite3.connect(tmp_path / "audit.sqlite") as conn:
        rows = conn.execute(
            "SELECT event, leaf_hash, entry_hash, time FROM audit_events ORDER BY seq"
        ).fetchall()
    first = rows[0][0]
    assert first == '{"a":"臺北","b":1,"time":"2026-11-02T09:00:00+08:00","type":"query"}'
    assert rows[0][1] == hashlib.sha256(b"\x00" + first.encode()).digest()
    assert rows[0][2] == hashlib.sha256(bytes(32) + rows[0][1]).digest()
    assert rows[1][2] == hashlib.sha256(rows[0][2] + rows[1][1]).digest()
    assert rows[0][3] == "2026-11-02T01:00:00.000000+00:00"  # the selection column is UTC


def test_an_event_without_a_type_is_refused(tmp_path: Path) -> None:
    with AuditLog(tmp_path) as log, pytest.raises(ValueError, match="type"):
        log.append({"user": "u"})


def test_keys_are_created_once_and_private(tmp_path: Path) -> None:
    with AuditLog(tmp_path) as log:
        vkey = log.verifier.vkey
    for name in (HMAC_KEY_FILE, SIGNING_KEY_FILE):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    with AuditLog(tmp_path) as log:
        assert log.verifier.vkey == vkey
    assert (tmp_path / "audit-checkpoints" / "log.pub").read_text().strip() == vkey


def test_a_key_others_can_read_is_refused(tmp_path: Path) -> None:
    AuditLog(tmp_path).close()
    (tmp_path / SIGNING_KEY_FILE).chmod(0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        AuditLog(tmp_path)


def test_eight_threads_times_500_appends_give_4000_gap_free_entries(tmp_path: Path) -> None:
    got: dict[int, list[int]] = {}
    errors: list[BaseException] = []
    with AuditLog(tmp_path) as log:

        def worker(t: int) -> None:
            try:
                got[t] = [log.append({"type": "query", "thread": t, "i": i}) for i in range(500)]
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    assert not errors
    assert sorted(s for v in got.values() for s in v) == list(range(1, 4001))
    assert all(v == sorted(v) for v in got.values())  # each thread's entries in its own order
    assert seqs(tmp_path) == list(range(1, 4001))
    assert verify_log(tmp_path).ok


APPENDER = """
import sys
from audit import AuditLog
log = AuditLog(sys.argv[1])
for i in range(int(sys.argv[3])):
    seq = log.append({"type": "query", "writer": sys.argv[2], "i": i})
    print(seq, flush=True)
log.close()
"""


def test_processes_appending_together_keep_one_gap_free_sequence(tmp_path: Path) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", APPENDER, str(tmp_path), f"p{p}", "150"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for p in range(4)
    ]
    with AuditLog(tmp_path) as log:
        mine = [log.append({"type": "query", "writer": "main", "i": i}) for i in range(150)]
    acked = list(mine)
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0
        acked += [int(line) for line in out.split()]
    assert sorted(acked) == list(range(1, 751))
    assert seqs(tmp_path) == list(range(1, 751))
    assert verify_log(tmp_path).ok


KILLED = """
import sys
from audit import AuditLog
log = AuditLog(sys.argv[1])
i = 0
while True:
    seq = log.append({"type": "query", "i": i, "sql": "SELECT 1"})
    print(seq, i, flush=True)
    i += 1
"""


def test_sigkill_mid_load_loses_no_acknowledged_entry(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    watchdog = threading.Timer(60, proc.kill)  # a stuck writer fails the test, never hangs it
    watchdog.start()
    acked: dict[int, int] = {}
    checkpoint = tmp_path / "audit-checkpoints" / "checkpoint"
    try:
        for line in proc.stdout:
            seq, i = map(int, line.split())
            acked[seq] = i
            if len(acked) >= 300 and checkpoint.exists():
                break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        watchdog.cancel()
    assert len(acked) >= 300
    with sqlite3.connect(tmp_path / "audit.sqlite") as conn:
        stored = {
            seq: json.loads(event)["i"]
            for seq, event in conn.execute("SELECT seq, event FROM audit_events")
        }
    assert all(stored.get(seq) == i for seq, i in acked.items())  # every acknowledged entry
    assert sorted(stored) == list(range(1, len(stored) + 1))
    result = verify_log(tmp_path)
    assert result.ok, result.message()
    # A restart picks up where the killed writer stopped, and covers the rest with a checkpoint.
    with AuditLog(tmp_path) as log:
        assert log.append({"type": "query", "i": -1}) == len(stored) + 1
    result = verify_log(tmp_path)
    assert result.ok and result.checkpoint_size == len(stored) + 1


def test_checkpoints_follow_appends_at_least_every_second(tmp_path: Path) -> None:
    stop = threading.Event()
    with AuditLog(tmp_path) as log:

        def load() -> None:
            while not stop.is_set():
                log.append({"type": "query"})
                time.sleep(0.002)

        writer = threading.Thread(target=load)
        writer.start()
        updates: list[float] = []
        last = None
        started = time.monotonic()
        while time.monotonic() - started < 3.0:
            size = log.store.latest_size()
            if size != last:
                updates.append(time.monotonic())
                last = size
            time.sleep(0.02)
        stop.set()
        writer.join()
        size = log.size()
    gaps = [b - a for a, b in itertools.pairwise(updates)]
    assert len(updates) >= 3 and max(gaps) <= 1.0, gaps
    # Closing signs a last checkpoint over everything, and keeps it in the history.
    assert Checkpoint.peek((tmp_path / "audit-checkpoints" / "checkpoint").read_text()).size == size
    history = (tmp_path / "audit-checkpoints").glob("history-*.jsonl")
    assert any(json.loads(line)["size"] == size for h in history for line in h.open())


def test_appends_stop_when_checkpoints_keep_failing(tmp_path: Path) -> None:
    log = AuditLog(tmp_path, checkpoint_interval_s=0.02, max_checkpoint_stall_s=0.2)
    try:

        def broken(*args: object, **kwargs: object) -> bool:
            raise OSError("checkpoint folder unwritable")

        log.store.write = broken  # type: ignore[method-assign]
        log.append({"type": "query"})
        time.sleep(0.6)
        with pytest.raises(AuditError, match="checkpoints have failed"):
            log.append({"type": "query"})
    finally:
        log.close()


def test_a_closed_log_refuses_entries(tmp_path: Path) -> None:
    log = AuditLog(tmp_path)
    log.close()
    log.close()  # idempotent
    with pytest.raises(AuditError, match="closed"):
        log.append({"type": "query"})


def test_national_ids_are_stored_as_keyed_hmacs_and_found_again(tmp_path: Path) -> None:
    a, b = person(1), person(2, sex=2)
    with AuditLog(tmp_path) as log:
        s1 = log.append(
            {"type": "query", "user": "u1", "sql": f"SELECT * FROM p WHERE national_id = '{a}'"}
        )
        s2 = log.append(
            {
                "type": "query",
                "user": "u2",
                "sql": f"SELECT * FROM p WHERE lower(national_id) IN ('{a.lower()}', '{b}')",
                "purpose": {"case_name": f"複查{b}號"},
                "source_sql": [{"statement": f"WHERE national_id = '{b}'"}],
            }
        )
        log.append({"type": "query", "user": "u3", "sql": "SELECT 1"})
        record_governance(log, "suspend", "admin", "DOIT", {"user": "u2"}, {"note": f"re {a}"})
        assert [e["seq"] for e in log.who_accessed(a)] == [s1, s2]
        assert [e["seq"] for e in log.who_accessed(b.lower())] == [s2]
        assert log.who_accessed(person(3)) == []
        assert [e["seq"] for e in log.who_accessed(a, types=("governance",))] == [4]
        token = log.subject_token(a)
        with pytest.raises(ValueError):
            log.who_accessed("not an id")
    assert token.startswith("hmac:") and len(token) == 5 + 32
    raw = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    for pid in (a, b, a.lower(), b.lower()):
        assert pid.encode() not in raw
    assert token.encode() in raw


def test_governance_events_share_the_log_and_the_chain(tmp_path: Path) -> None:
    with AuditLog(tmp_path) as log:
        log.append({"type": "query", "user": "clerk"})
        seq = record_governance(
            log, "grant", "owner_cra", "CRA", {"grant": "g-1", "user": "clerk"}, {"columns": "*"}
        )
        with pytest.raises(ValueError, match="unknown governance action"):
            record_governance(log, "delete_log", "admin", "DOIT", {})
    assert seq == 2
    with sqlite3.connect(tmp_path / "audit.sqlite") as conn:
        kind, actor, text = conn.execute(
            "SELECT type, actor, event FROM audit_events WHERE seq = 2"
        ).fetchone()
    assert (kind, actor) == ("governance", "owner_cra")
    assert json.loads(text)["action"] == "grant"
    assert verify_log(tmp_path).ok

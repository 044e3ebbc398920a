"""Every way of tampering with the log is caught, and verify names the first bad entry."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from audit import AuditError, AuditLog, verify_log
from audit.checkpoint import Checkpoint, NoteSigner
from audit.checkpoint_store import CHECKPOINT_DIR, LATEST_FILE
from audit.hashing import GENESIS
from audit.merkle import MerkleTree

SIZE = 50


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    with AuditLog(tmp_path) as log:
        for i in range(SIZE):
            log.append(
                {
                    "type": "query",
                    "time": f"2026-11-{1 + i % 28:02d}T10:00:00+08:00",
                    "user": f"clerk_{i % 3}",
                    "outcome": "ok",
                    "n": i,
                }
            )
    return tmp_path


def db(data_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(data_dir / "audit.sqlite", isolation_level=None)


def rehash_from(conn: sqlite3.Connection, first: int, leaves: bool = True) -> None:
    """What a careful forger does: recompute the plain hashes from ``first`` on."""
    row = conn.execute("SELECT entry_hash FROM audit_events WHERE seq = ?", (first - 1,)).fetchone()
    previous = row[0] if row else GENESIS
    for seq, event, leaf in conn.execute(
        "SELECT seq, event, leaf_hash FROM audit_events WHERE seq >= ? ORDER BY seq", (first,)
    ).fetchall():
        if leaves:
            leaf = hashlib.sha256(b"\x00" + event.encode()).digest()
        entry = hashlib.sha256(previous + leaf).digest()
        conn.execute(
            "UPDATE audit_events SET leaf_hash = ?, entry_hash = ? WHERE seq = ?",
            (leaf, entry, seq),
        )
        previous = entry


def modify_event(conn: sqlite3.Connection, seq: int) -> None:
    event = conn.execute("SELECT event FROM audit_events WHERE seq = ?", (seq,)).fetchone()[0]
    conn.execute(
        "UPDATE audit_events SET event = ? WHERE seq = ?",
        (event.replace('"outcome":"ok"', '"outcome":"denied"'), seq),
    )


def test_an_untouched_log_verifies(data_dir: Path) -> None:
    result = verify_log(data_dir)
    assert result.ok, result.message()
    assert result.size == SIZE and result.checkpoint_size == SIZE
    assert "intact" in result.message()


def test_an_empty_log_verifies(tmp_path: Path) -> None:
    AuditLog(tmp_path).close()
    assert verify_log(tmp_path).ok


def _modified(conn: sqlite3.Connection) -> None:
    modify_event(conn, 17)


def _deleted(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM audit_events WHERE seq = 23")


def _deleted_and_renumbered(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM audit_events WHERE seq = 23")
    conn.execute("UPDATE audit_events SET seq = seq - 1 WHERE seq > 23")


def _reordered(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE audit_events SET seq = -30 WHERE seq = 30")
    conn.execute("UPDATE audit_events SET seq = 30 WHERE seq = 31")
    conn.execute("UPDATE audit_events SET seq = 31 WHERE seq = -30")


def _truncated(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM audit_events WHERE seq > 40")


def _leaf_rehashed(conn: sqlite3.Connection) -> None:
    modify_event(conn, 12)
    event = conn.execute("SELECT event FROM audit_events WHERE seq = 12").fetchone()[0]
    leaf = hashlib.sha256(b"\x00" + event.encode()).digest()
    conn.execute("UPDATE audit_events SET leaf_hash = ? WHERE seq = 12", (leaf,))


def _whole_chain_rehashed(conn: sqlite3.Connection) -> None:
    modify_event(conn, 12)
    rehash_from(conn, 12)


def _forged_entry_appended_after_truncation(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM audit_events WHERE seq > 44")
    row = conn.execute("SELECT * FROM audit_events WHERE seq = 44").fetchone()
    for seq in range(45, SIZE + 1):
        conn.execute("INSERT INTO audit_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (seq, *row[1:]))
    rehash_from(conn, 45)


def _moved_to_another_month(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE audit_events SET time = '2026-09-01T00:00:00.000000+00:00' WHERE seq = 8")


@pytest.mark.parametrize(
    ("tamper", "first_bad", "says"),
    [
        (_modified, 17, "does not match its leaf hash"),
        (_deleted, 23, "missing"),
        (_deleted_and_renumbered, 23, "chained hash does not follow"),
        (_reordered, 30, "chained hash does not follow"),
        (_truncated, 41, "truncated"),
        (_leaf_rehashed, 12, "chained hash does not follow"),
        (_whole_chain_rehashed, 12, "rewritten"),
        (_forged_entry_appended_after_truncation, 45, "rewritten"),
        (_moved_to_another_month, 8, "type/time columns"),
    ],
    ids=lambda v: v.__name__.strip("_") if callable(v) else None,
)
def test_tampering_is_detected_and_the_first_bad_entry_named(
    data_dir: Path, tamper: Callable[[sqlite3.Connection], None], first_bad: int, says: str
) -> None:
    with db(data_dir) as conn:
        tamper(conn)
    result = verify_log(data_dir)
    assert not result.ok
    assert result.first_bad_seq == first_bad, result.message()
    assert says in (result.problem or "")
    assert f"first bad seq {first_bad}" in result.message()


def test_a_rewrite_with_recomputed_hashes_also_breaks_the_signed_tree_head(
    data_dir: Path,
) -> None:
    with db(data_dir) as conn:
        _whole_chain_rehashed(conn)
        leaves = [r[0] for r in conn.execute("SELECT leaf_hash FROM audit_events ORDER BY seq")]
    note = (data_dir / CHECKPOINT_DIR / LATEST_FILE).read_text()
    assert MerkleTree(leaves).root() != Checkpoint.peek(note).root


def test_a_missing_checkpoint_fails_verification(data_dir: Path) -> None:
    (data_dir / CHECKPOINT_DIR / LATEST_FILE).unlink()
    result = verify_log(data_dir)
    assert not result.ok and "no signed checkpoint" in (result.problem or "")


def test_a_checkpoint_signed_by_another_key_fails(data_dir: Path) -> None:
    latest = data_dir / CHECKPOINT_DIR / LATEST_FILE
    checkpoint = Checkpoint.peek(latest.read_text())
    stranger = NoteSigner.generate(checkpoint.origin)
    latest.write_text(Checkpoint(checkpoint.origin, SIZE + 5, checkpoint.root).sign(stranger))
    result = verify_log(data_dir)
    assert not result.ok and "not validly signed" in (result.problem or "")


def test_a_checkpoint_kept_by_an_auditor_catches_a_rolled_back_log(
    data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The forger truncates the log and puts back an older checkpoint; the one the auditor
    kept from before still proves what was there."""
    kept = (data_dir / CHECKPOINT_DIR / LATEST_FILE).read_text()
    earlier = tmp_path_factory.mktemp("earlier")
    shutil.copytree(data_dir, earlier, dirs_exist_ok=True)
    with db(earlier) as conn:
        conn.execute("DELETE FROM audit_events WHERE seq > 30")
        conn.execute("DELETE FROM audit_tree")
    shutil.rmtree(earlier / CHECKPOINT_DIR)
    AuditLog(earlier).close()  # signs a checkpoint of 30 entries
    old_note = (earlier / CHECKPOINT_DIR / LATEST_FILE).read_text()
    with db(data_dir) as conn:
        conn.execute("DELETE FROM audit_events WHERE seq > 30")
    (data_dir / CHECKPOINT_DIR / LATEST_FILE).write_text(old_note)
    for history in (data_dir / CHECKPOINT_DIR).glob("history-*"):
        history.unlink()
    assert verify_log(data_dir).ok  # without outside evidence the rollback is invisible
    result = verify_log(data_dir, extra_checkpoints=[kept])
    assert not result.ok and result.first_bad_seq == 31
    assert "truncated" in (result.problem or "")


def test_history_checkpoints_must_still_match(data_dir: Path) -> None:
    history = next((data_dir / CHECKPOINT_DIR).glob("history-*.jsonl"))
    line = json.loads(history.read_text().splitlines()[-1])
    checkpoint = Checkpoint.peek(line["note"])
    bogus = Checkpoint(checkpoint.origin, 10, bytes(32))
    forged = {"written": line["written"], "size": 10, "note": bogus.body() + "\n"}
    with history.open("a") as f:
        f.write(json.dumps(forged) + "\n")
    result = verify_log(data_dir)
    assert not result.ok and "kept checkpoint" in (result.problem or "")


def test_a_pinned_public_key_must_match(data_dir: Path) -> None:
    from audit.verify import load_verifier

    other = NoteSigner.generate("civicfed/audit").verifier
    result = verify_log(data_dir, load_verifier(data_dir, other.vkey))
    assert not result.ok
    assert verify_log(data_dir, load_verifier(data_dir, str(data_dir / CHECKPOINT_DIR / "log.pub")))


def test_entries_appended_after_the_last_checkpoint_still_verify(data_dir: Path) -> None:
    log = AuditLog(data_dir, checkpoint_interval_s=3600)
    try:
        for _ in range(5):
            log.append({"type": "query", "time": "2026-11-20T10:00:00+08:00"})
        result = verify_log(data_dir)
        assert result.ok and result.size == SIZE + 5 and result.checkpoint_size == SIZE
    finally:
        log.close()


def test_a_log_rewritten_while_the_service_was_down_gets_no_new_signature(
    data_dir: Path,
) -> None:
    latest = (data_dir / CHECKPOINT_DIR / LATEST_FILE).read_text()
    with db(data_dir) as conn:
        _whole_chain_rehashed(conn)
        conn.execute("DELETE FROM audit_tree")  # so the restarted log rebuilds its tree
    log = AuditLog(data_dir, checkpoint_interval_s=0.02, max_checkpoint_stall_s=0.1)
    try:
        with pytest.raises(AuditError, match="no longer match their signed checkpoint"):
            log.checkpoint()
        time.sleep(0.3)
        with pytest.raises(AuditError, match="checkpoints have failed"):
            log.append({"type": "query"})
    finally:
        log.close()
    assert (data_dir / CHECKPOINT_DIR / LATEST_FILE).read_text() == latest


def test_an_auditors_old_checkpoint_is_proven_a_prefix_of_todays_log(data_dir: Path) -> None:
    from audit.export import consistency_proof
    from audit.merkle import verify_consistency

    old = Checkpoint.peek((data_dir / CHECKPOINT_DIR / LATEST_FILE).read_text())
    with AuditLog(data_dir) as log:
        for i in range(7):
            log.append({"type": "query", "n": i})
        proof = consistency_proof(log, old.size)
    new = Checkpoint.peek(proof["checkpoint"])
    assert new.size == SIZE + 7
    steps = [bytes.fromhex(h) for h in proof["proof"]]
    assert verify_consistency(old.size, new.size, old.root, new.root, steps)

"""``civicfed audit verify``: recompute every hash and compare with the signed checkpoints.

One pass over the entries checks, in order: the sequence is 1, 2, 3, … without gaps; each
event hashes to its leaf hash; each chained hash follows from the one before; the type and time
columns used for selection agree with the signed event. The same pass grows the Merkle tree and
takes its head at every checkpoint size, which is then compared with the signed checkpoints —
that is what catches truncation, and rewrites whose author recomputed every plain hash. The
per-entry signatures are checked only where it matters: the last entry, and a binary search
when something is wrong, to name the first entry that was rewritten.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from audit.checkpoint import Checkpoint, NoteError, NoteSigner, NoteVerifier
from audit.checkpoint_store import CHECKPOINT_DIR, PUBLIC_KEY_FILE, CheckpointStore
from audit.hashing import GENESIS, entry_message
from audit.keys import SIGNING_KEY_FILE
from audit.log import DB_FILE, utc_time
from audit.merkle import CompactRange


@dataclass(frozen=True)
class VerifyResult:
    """What ``verify_log`` found; ``ok`` only when every check passed."""

    ok: bool
    size: int
    checkpoint_size: int | None = None
    first_bad_seq: int | None = None
    problem: str | None = None
    checkpoints_checked: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def message(self) -> str:
        if self.ok:
            return (
                f"audit log intact: {self.size} entries, chain and leaf hashes verified, "
                f"signed checkpoint at {self.checkpoint_size} matches "
                f"({self.checkpoints_checked} checkpoints checked, {self.seconds:.2f} s)"
            )
        where = f"first bad seq {self.first_bad_seq}: " if self.first_bad_seq else ""
        return f"audit log FAILED verification — {where}{self.problem}"


@dataclass
class _Problem:
    seq: int | None
    text: str


def load_verifier(data_dir: Path, public_key: str | None = None) -> NoteVerifier:
    """The key to check signatures with: ``public_key`` (a vkey or a file holding one) when
    given — auditors should pin it — else the log's own key."""
    if public_key:
        path = Path(public_key)
        text = path.read_text(encoding="ascii") if path.is_file() else public_key
        return NoteVerifier.from_vkey(text)
    skey = data_dir / SIGNING_KEY_FILE
    if skey.is_file():
        return NoteSigner.from_skey(skey.read_text(encoding="ascii")).verifier
    return NoteVerifier.from_vkey(
        (data_dir / CHECKPOINT_DIR / PUBLIC_KEY_FILE).read_text(encoding="ascii")
    )


def verify_log(
    data_dir: str | Path,
    verifier: NoteVerifier | None = None,
    extra_checkpoints: Sequence[str] = (),
) -> VerifyResult:
    """Check the log in ``data_dir`` against its signed checkpoints (and ``extra_checkpoints``,
    notes an auditor kept from earlier)."""
    started = time.perf_counter()
    data_dir = Path(data_dir)
    verifier = verifier or load_verifier(data_dir)
    store = CheckpointStore(data_dir / CHECKPOINT_DIR)
    latest = store.latest()
    notes = [*([] if latest is None else [latest]), *store.history(), *extra_checkpoints]
    claims: list[tuple[str, Checkpoint | None]] = []
    for note in notes:
        try:
            claims.append((note, Checkpoint.peek(note)))
        except NoteError:
            claims.append((note, None))
    wanted = sorted({c.size for _, c in claims if c is not None})

    if not (data_dir / DB_FILE).is_file():
        raise FileNotFoundError(f"no audit log at {data_dir / DB_FILE}")
    conn = sqlite3.connect(data_dir / DB_FILE)
    try:
        conn.execute("PRAGMA query_only = ON")
        size, roots, problem = _scan(conn, wanted)
        problem = _localise(conn, verifier, size, problem)
    finally:
        conn.close()

    latest_claim = claims[0][1] if latest is not None else None
    if problem is None:
        problem = _check_checkpoints(verifier, size, roots, claims, latest is not None)
    elapsed = time.perf_counter() - started
    return VerifyResult(
        ok=problem is None,
        size=size,
        checkpoint_size=latest_claim.size if latest_claim else None,
        first_bad_seq=problem.seq if problem else None,
        problem=problem.text if problem else None,
        checkpoints_checked=len(claims),
        seconds=elapsed,
    )


def _scan(
    conn: sqlite3.Connection, wanted: list[int]
) -> tuple[int, dict[int, bytes], _Problem | None]:
    """One pass over the entries: (entries that passed, tree heads at ``wanted`` sizes, the
    first problem)."""
    sha256 = hashlib.sha256
    tree = CompactRange()
    roots: dict[int, bytes] = {}
    pending = iter(wanted)
    next_size = next(pending, None)
    while next_size == 0:
        roots[0] = tree.root()
        next_size = next(pending, None)
    previous, expected = GENESIS, 1
    type_marks: dict[str, bytes] = {}
    rows = conn.execute(
        "SELECT seq, CAST(event AS BLOB), leaf_hash, entry_hash, type, time FROM audit_events "
        "ORDER BY seq"
    )
    for seq, data, leaf, entry, kind, when in rows:
        if seq != expected:
            if seq > expected:
                text = f"entry {expected} is missing (the next entry is {seq}): deleted"
            else:
                text = f"entry {seq} appears again after {expected - 1}: duplicated or reordered"
            return expected - 1, roots, _Problem(expected, text)
        if sha256(b"\x00" + data).digest() != leaf:
            return seq - 1, roots, _Problem(seq, "the event does not match its leaf hash: modified")
        if sha256(previous + leaf).digest() != entry:
            return (
                seq - 1,
                roots,
                _Problem(
                    seq,
                    f"its chained hash does not follow entry {seq - 1}: an entry was deleted, "
                    "inserted, reordered or rewritten",
                ),
            )
        mark = type_marks.get(kind)
        if mark is None:
            mark = type_marks[kind] = f'"type":{json.dumps(kind)}'.encode()
        # Canonical JSON writes these keys exactly so; parse only when the offset was not UTC.
        if mark not in data or (
            b'"time":"' + when.encode() + b'"' not in data and not _time_matches(data, when)
        ):
            return (
                seq - 1,
                roots,
                _Problem(
                    seq, "its type/time columns disagree with the signed event: edited to move it"
                ),
            )
        tree.append(leaf)
        previous = entry
        expected += 1
        if tree.size == next_size:
            roots[next_size] = tree.root()
            next_size = next(pending, None)
    return expected - 1, roots, None


def _time_matches(data: bytes, when: str) -> bool:
    try:
        return utc_time(json.loads(data)["time"]) == when
    except (ValueError, KeyError):
        return False


def _localise(
    conn: sqlite3.Connection, verifier: NoteVerifier, good: int, problem: _Problem | None
) -> _Problem | None:
    """Find the first entry whose signature fails among the ``good`` entries that passed the
    hash checks. Each signature covers a chained hash that commits to every earlier entry, so
    once a rewrite starts, every later recomputed entry fails too: a binary search finds it."""

    def signed(seq: int) -> bool:
        row = conn.execute(
            "SELECT entry_hash, signature FROM audit_events WHERE seq = ?", (seq,)
        ).fetchone()
        return row is not None and verifier.verify_bytes(entry_message(seq, row[0]), row[1])

    if good == 0 or signed(good):
        return problem
    lo, hi = 1, good
    while lo < hi:
        mid = (lo + hi) // 2
        if signed(mid):
            lo = mid + 1
        else:
            hi = mid
    return _Problem(
        lo,
        "the entry was rewritten: its hashes were recomputed, but its signature does not "
        "match (every later entry fails the same way)",
    )


def _check_checkpoints(
    verifier: NoteVerifier,
    size: int,
    roots: dict[int, bytes],
    claims: list[tuple[str, Checkpoint | None]],
    has_latest: bool,
) -> _Problem | None:
    if not has_latest:
        if size == 0:
            return None
        return _Problem(None, f"the log has {size} entries but no signed checkpoint")
    good_sizes = [c.size for _, c in claims if c is not None and roots.get(c.size) == c.root]

    # Oldest first, so a mismatch is reported against the earliest checkpoint it breaks.
    def claimed_size(index: int) -> int:
        claim = claims[index][1]
        return -1 if claim is None else claim.size

    order = sorted(range(len(claims)), key=claimed_size)
    for index in order:
        note, claim = claims[index]
        label = "the latest checkpoint" if index == 0 else "a kept checkpoint"
        # A kept checkpoint that agrees with the log needs no signature check to be harmless;
        # the latest must be genuine, since its size is what proves nothing was cut off.
        if claim is not None and index > 0 and roots.get(claim.size) == claim.root:
            continue
        try:
            checkpoint = Checkpoint.open(note, verifier)
        except NoteError as exc:
            return _Problem(None, f"{label} is not validly signed: {exc}")
        if checkpoint.origin != verifier.name:
            return _Problem(None, f"{label} is for log {checkpoint.origin!r}, not this one")
        if checkpoint.size > size:
            return _Problem(
                size + 1,
                f"the log ends at entry {size} but {label} covers {checkpoint.size}: "
                f"entries {size + 1}–{checkpoint.size} were removed (truncated)",
            )
        if roots.get(checkpoint.size) != checkpoint.root:
            earlier = max((s for s in good_sizes if s < checkpoint.size), default=0)
            return _Problem(
                earlier + 1,
                f"the first {checkpoint.size} entries do not hash to the root {label} signed; "
                f"the change lies in entries {earlier + 1}–{checkpoint.size}",
            )
    return None

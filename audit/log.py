"""The tamper-evident audit log: ``data_dir/audit.sqlite`` (DESIGN.md §5).

Each entry is one event as RFC 8785 canonical JSON with citizen IDs replaced by keyed HMACs,
its RFC 6962 leaf hash, its chained hash SHA-256(previous entry hash || leaf hash) and an
Ed25519 signature over (seq, chained hash). The chain and the Merkle tree make any change
visible; the per-entry signature lets ``verify`` name the first entry that was rewritten even
when the rewriter recomputed every plain hash after it.

Durability: WAL with ``synchronous=FULL``, and ``append`` returns only after COMMIT. Ordering:
``BEGIN IMMEDIATE`` takes SQLite's single write lock before the last entry is read, so threads
and processes appending together still get one gap-free sequence 1, 2, 3, …; a writer that
finds the lock taken waits (SQLite's busy handler) up to ``busy_timeout_s`` and then fails,
which fails the query (no audit, no result).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from audit.checkpoint import NoteVerifier
from audit.checkpoint_store import CHECKPOINT_DIR, CheckpointStore
from audit.checkpointer import Checkpointer
from audit.encoding import encode_event
from audit.errors import AuditError
from audit.hashing import GENESIS, chain_hash, entry_message, leaf_hash
from audit.identifiers import Pseudonymizer, is_national_id
from audit.keys import load_hmac_key, load_signer

DB_FILE = "audit.sqlite"
DEFAULT_ORIGIN = "civicfed/audit"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_events (
    seq        INTEGER PRIMARY KEY,  -- 1, 2, 3, … without gaps
    event      TEXT NOT NULL,        -- RFC 8785 canonical JSON, citizen IDs as hmac: tokens
    leaf_hash  BLOB NOT NULL,        -- SHA-256(0x00 || event)
    entry_hash BLOB NOT NULL,        -- SHA-256(previous entry_hash || leaf_hash)
    signature  BLOB NOT NULL,        -- Ed25519 over (seq, entry_hash)
    type       TEXT NOT NULL,        -- copied from the event for selection only;
    time       TEXT NOT NULL,        --   analytics re-read them from the event itself
    actor      TEXT,
    query_id   TEXT
);
CREATE INDEX IF NOT EXISTS audit_events_time ON audit_events (time);
CREATE INDEX IF NOT EXISTS audit_events_query ON audit_events (query_id)
    WHERE query_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS audit_subjects (   -- who-accessed index: person token → entries
    subject TEXT NOT NULL,
    seq     INTEGER NOT NULL,
    PRIMARY KEY (subject, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit_tree (       -- compact range of the Merkle tree, see Checkpointer
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    size  INTEGER NOT NULL,
    nodes BLOB NOT NULL
);
"""


def connect(path: Path, busy_timeout_s: float) -> sqlite3.Connection:
    """A connection in autocommit mode with the log's durability settings."""
    conn = sqlite3.connect(
        path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
    )
    # Entries are ~2 KB: on 4 KB pages only one fits, on 16 KB pages seven do (40% less disk).
    # Only takes effect while the file is still empty.
    conn.execute("PRAGMA page_size = 16384")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    return conn


def utc_time(value: object) -> str:
    """``value`` (ISO 8601 with an offset) as UTC with microseconds, which sorts as text."""
    if not isinstance(value, str):
        raise ValueError("an audit event's time must be an ISO 8601 string")
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"audit event time {value!r} has no UTC offset")
    return parsed.astimezone(dt.UTC).isoformat(timespec="microseconds")


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


class AuditLog:
    """The audit sink the engine writes to by default; one instance per process is enough,
    and any number of processes may share ``data_dir``."""

    def __init__(
        self,
        data_dir: str | Path,
        *,
        origin: str = DEFAULT_ORIGIN,
        checkpoint_interval_s: float = 0.5,
        history_interval_s: float = 60.0,
        busy_timeout_s: float = 10.0,
        max_checkpoint_stall_s: float = 30.0,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.data_dir / DB_FILE
        self._busy_timeout_s = busy_timeout_s
        self._pseudonymizer = Pseudonymizer(load_hmac_key(self.data_dir))
        self.signer = load_signer(self.data_dir, origin)
        self.store = CheckpointStore(self.data_dir / CHECKPOINT_DIR, history_interval_s)
        self.store.publish_key(self.signer.verifier)
        self._writer = connect(self.path, busy_timeout_s)
        try:
            self._writer.executescript(f"BEGIN IMMEDIATE; {_SCHEMA} COMMIT;")
        except sqlite3.Error as exc:
            self._writer.close()
            raise AuditError(f"{self.path}: cannot open the audit log ({exc})") from None
        self._write_lock = threading.Lock()
        self._closed = False
        self._checkpointer = Checkpointer(
            connect(self.path, busy_timeout_s),
            self.signer,
            self.store,
            checkpoint_interval_s,
            max_checkpoint_stall_s,
        )
        self._checkpointer.start()

    @property
    def verifier(self) -> NoteVerifier:
        return self.signer.verifier

    # -- writing ---------------------------------------------------------------------------
    def append(self, event: Mapping[str, Any]) -> int:
        """Durably record ``event`` and return its sequence number, or raise."""
        if self._closed:
            raise AuditError("the audit log is closed")
        self._checkpointer.raise_if_stalled()
        if "time" not in event:
            event = {**event, "time": now_utc()}
        stored, data, subjects = encode_event(event, self._pseudonymizer)
        kind = stored.get("type")
        if not isinstance(kind, str) or not kind:
            raise ValueError("an audit event needs a type, e.g. 'query' or 'governance'")
        time = utc_time(stored["time"])
        actor = next((stored[k] for k in ("user", "actor", "reviewer") if stored.get(k)), None)
        query_id = stored.get("query_id")
        leaf = leaf_hash(data)
        with self._write_lock:
            if self._closed:  # closed while this append waited for the lock
                raise AuditError("the audit log is closed")
            conn = self._writer
            self._begin(conn)
            try:
                row = conn.execute(
                    "SELECT seq, entry_hash FROM audit_events ORDER BY seq DESC LIMIT 1"
                ).fetchone()
                seq, previous = (row[0] + 1, row[1]) if row else (1, GENESIS)
                entry = chain_hash(previous, leaf)
                conn.execute(
                    "INSERT INTO audit_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        seq,
                        data.decode(),
                        leaf,
                        entry,
                        self.signer.sign(entry_message(seq, entry)),
                        kind,
                        time,
                        None if actor is None else str(actor),
                        None if query_id is None else str(query_id),
                    ),
                )
                if subjects:
                    conn.executemany(
                        "INSERT OR IGNORE INTO audit_subjects VALUES (?, ?)",
                        [(s, seq) for s in sorted(subjects)],
                    )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return seq

    def checkpoint(self) -> str | None:
        """Sign a checkpoint of everything committed so far; return the latest note."""
        self._checkpointer.checkpoint()
        return self.store.latest()

    def close(self) -> None:
        """Sign a final checkpoint over every entry and release the files."""
        with self._write_lock:
            if self._closed:
                return
            self._closed = True
        self._checkpointer.close()
        with self._write_lock:
            self._writer.close()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ---------------------------------------------------------------------------
    def reader(self) -> sqlite3.Connection:
        """A new read-only connection (the caller closes it)."""
        conn = sqlite3.connect(self.path, timeout=self._busy_timeout_s, check_same_thread=False)
        conn.execute("PRAGMA query_only = ON")
        return conn

    def size(self) -> int:
        with self._reading() as conn:
            return int(conn.execute("SELECT coalesce(max(seq), 0) FROM audit_events").fetchone()[0])

    def subject_token(self, national_id: str) -> str:
        """The token the log stores instead of ``national_id``."""
        if not is_national_id(national_id):
            raise ValueError("a national ID is a letter, 1 or 2, and eight digits")
        return self._pseudonymizer.token(national_id.strip())

    def who_accessed(
        self, national_id: str, types: tuple[str, ...] = ("query",)
    ) -> list[dict[str, Any]]:
        """Every entry (queries by default) whose statement or envelope named the person,
        oldest first, each with its ``seq``."""
        token = self.subject_token(national_id)
        marks = ",".join("?" * len(types))
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT e.seq, e.event FROM audit_subjects s JOIN audit_events e ON e.seq = s.seq "
                f"WHERE s.subject = ? AND e.type IN ({marks}) ORDER BY e.seq",
                (token, *types),
            ).fetchall()
        # The index is not hashed, so keep only entries whose signed text really names the token.
        return [_with_seq(seq, text) for seq, text in rows if token in text]

    def find_query(self, query_id: str) -> dict[str, Any] | None:
        """The query event with ``query_id``, with its ``seq``."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT seq, event FROM audit_events WHERE query_id = ? AND type = 'query'",
                (query_id,),
            ).fetchall()
        events = [_with_seq(seq, text) for seq, text in rows]
        return next((e for e in events if e.get("query_id") == query_id), None)

    def events_for(self, query_id: str) -> list[dict[str, Any]]:
        """Every entry that refers to ``query_id`` (the query and its review records)."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT seq, event FROM audit_events WHERE query_id = ? ORDER BY seq",
                (query_id,),
            ).fetchall()
        return [_with_seq(seq, text) for seq, text in rows]

    def rows_between(self, start: dt.datetime, end: dt.datetime) -> list[tuple[int, str]]:
        """(seq, event text) of entries with start ≤ time < end."""
        with self._reading() as conn:
            return conn.execute(
                "SELECT seq, event FROM audit_events WHERE time >= ? AND time < ? ORDER BY seq",
                (utc_time(start.isoformat()), utc_time(end.isoformat())),
            ).fetchall()

    def actors_before(self, when: dt.datetime) -> dict[str, str]:
        """Each actor's latest entry time before ``when`` (to tell dormant accounts)."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT actor, max(time) FROM audit_events WHERE time < ? AND actor IS NOT NULL "
                "GROUP BY actor",
                (utc_time(when.isoformat()),),
            ).fetchall()
        return dict(rows)

    def iter_entries(
        self, first: int = 1, last: int | None = None
    ) -> Iterator[tuple[int, bytes, bytes, bytes]]:
        """(seq, event bytes, leaf hash, entry hash) in order."""
        with self._reading() as conn:
            yield from conn.execute(
                "SELECT seq, CAST(event AS BLOB), leaf_hash, entry_hash FROM audit_events "
                "WHERE seq >= ? AND seq <= ? ORDER BY seq",
                (first, last if last is not None else 2**62),
            )

    def leaf_hashes(self, size: int) -> list[bytes]:
        with self._reading() as conn:
            return [
                row[0]
                for row in conn.execute(
                    "SELECT leaf_hash FROM audit_events WHERE seq <= ? ORDER BY seq", (size,)
                )
            ]

    def _reading(self) -> _Reading:
        return _Reading(self)

    def _begin(self, conn: sqlite3.Connection) -> None:
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise AuditError(
                f"the audit log stayed locked for {self._busy_timeout_s:.0f} s ({exc})"
            ) from None


class _Reading:
    def __init__(self, log: AuditLog) -> None:
        self._log = log

    def __enter__(self) -> sqlite3.Connection:
        self._conn = self._log.reader()
        return self._conn

    def __exit__(self, *exc: object) -> None:
        self._conn.close()


def _with_seq(seq: int, text: str) -> dict[str, Any]:
    event = json.loads(text)
    event["seq"] = seq
    return event

"""The background thread that signs the log's tree head at least once a second.

It keeps the tree as a compact range (one hash per set bit of the size), extends it with the
leaf hashes of entries committed since the last tick — by any process — and stores the range in
``audit_tree`` so a restart does not rehash the whole log. A signing failure is remembered: the
log refuses new entries once checkpoints have failed for too long (X-Road's fail-closed rule),
because entries no checkpoint covers can be truncated without trace.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

from audit.checkpoint import Checkpoint, NoteError, NoteSigner
from audit.checkpoint_store import CheckpointStore
from audit.errors import AuditError
from audit.merkle import CompactRange

logger = logging.getLogger(__name__)


class Checkpointer:
    """Signs checkpoints for one ``AuditLog``: every ``interval_s`` from its thread, on demand,
    and once more on close."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        signer: NoteSigner,
        store: CheckpointStore,
        interval_s: float,
        max_stall_s: float,
    ) -> None:
        self._conn = conn
        self._signer = signer
        self._store = store
        self._interval_s = interval_s
        self._max_stall_s = max_stall_s
        self._tree: CompactRange | None = None
        self._anchor: Checkpoint | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._failing_since: float | None = None
        self._last_error = ""
        self._thread = threading.Thread(target=self._run, name="audit-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        """Stop the thread and sign a final checkpoint covering every committed entry."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        try:
            self.checkpoint(final=True)
        except Exception as exc:  # closing must not hide the caller's own exception
            logger.error("audit log: the final checkpoint failed: %s", exc)
        finally:
            self._conn.close()

    def raise_if_stalled(self) -> None:
        since = self._failing_since
        if since is not None and time.monotonic() - since > self._max_stall_s:
            raise AuditError(
                f"audit checkpoints have failed for {time.monotonic() - since:.0f} s "
                f"({self._last_error}); no new entries are accepted until they succeed"
            )

    def checkpoint(self, final: bool = False) -> int:
        """Extend the tree to the committed size and store a signed checkpoint; returns it."""
        with self._lock:
            tree = self._extend()
            latest = self._store.latest_size()
            if tree.size and (latest is None or latest < tree.size):
                note = Checkpoint(self._signer.name, tree.size, tree.root()).sign(self._signer)
                self._store.write(note, tree.size, final=final)
            return tree.size

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self.checkpoint()
            except Exception as exc:
                if self._failing_since is None:
                    self._failing_since = time.monotonic()
                self._last_error = str(exc)
                logger.error("audit log: checkpoint failed: %s", exc)
            else:
                self._failing_since = None

    def _signed_anchor(self) -> Checkpoint | None:
        """The latest checkpoint, whose root the tree must reproduce before anything new is
        signed: otherwise a log rewritten while the service was down would get fresh
        signatures over the rewrite."""
        note = self._store.latest()
        if note is None:
            return None
        try:
            return Checkpoint.open(note, self._signer.verifier)
        except NoteError as exc:
            raise AuditError(
                f"the latest checkpoint is not ours ({exc}); refusing to sign"
            ) from None

    def _check_anchor(self, tree: CompactRange) -> None:
        anchor = self._anchor
        if anchor is not None and anchor.size < tree.size:
            self._anchor = None  # the stored tree already grew past it; it cannot be rechecked
        if anchor is None or tree.size != anchor.size:
            return
        if tree.root() != anchor.root:
            raise AuditError(
                f"the log's first {anchor.size} entries no longer match their signed checkpoint; "
                "refusing to sign; run `civicfed audit verify`"
            )
        self._anchor = None  # checked once; from here the tree only grows

    def _extend(self) -> CompactRange:
        conn = self._conn
        if self._tree is None:
            row = conn.execute("SELECT size, nodes FROM audit_tree WHERE id = 1").fetchone()
            self._tree = CompactRange.from_bytes(row[1]) if row else CompactRange()
            self._anchor = self._signed_anchor()
        tree = self._tree
        size = conn.execute("SELECT coalesce(max(seq), 0) FROM audit_events").fetchone()[0]
        if size < max(tree.size, self._anchor.size if self._anchor else 0):
            raise AuditError(
                f"the log holds {size} entries but was already signed for more: entries were "
                "removed; run `civicfed audit verify`"
            )
        self._check_anchor(tree)
        if size == tree.size:
            return tree
        expected = tree.size + 1
        rows = conn.execute(
            "SELECT seq, leaf_hash FROM audit_events WHERE seq > ? AND seq <= ? ORDER BY seq",
            (tree.size, size),
        )
        grown = CompactRange(tree.size, tree.nodes)
        for seq, leaf in rows:
            if seq != expected:
                raise AuditError(f"entry {expected} is missing; run `civicfed audit verify`")
            grown.append(leaf)
            self._check_anchor(grown)
            expected += 1
        if grown.size != size:
            raise AuditError(f"entry {expected} is missing; run `civicfed audit verify`")
        conn.execute(
            "INSERT INTO audit_tree (id, size, nodes) VALUES (1, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET size = excluded.size, nodes = excluded.nodes "
            "WHERE excluded.size > audit_tree.size",
            (grown.size, grown.to_bytes()),
        )
        self._tree = grown
        return grown

"""Checkpoint files in ``data_dir/audit-checkpoints/``.

``checkpoint`` is the newest signed note (replaced atomically, never by a smaller tree);
``history-YYYY-MM.jsonl`` keeps one note every ``history_interval_s`` for auditors who want to
check that today's log still extends what they saw before; ``log.pub`` is the verifier key to
hand them. Several processes may share the folder, so writers take a file lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

from audit.checkpoint import Checkpoint, NoteError, NoteVerifier

CHECKPOINT_DIR = "audit-checkpoints"
LATEST_FILE = "checkpoint"
PUBLIC_KEY_FILE = "log.pub"


class CheckpointStore:
    def __init__(self, directory: Path, history_interval_s: float = 60.0) -> None:
        self.directory = directory
        self.history_interval_s = history_interval_s
        self.latest_path = directory / LATEST_FILE
        directory.mkdir(parents=True, exist_ok=True)

    def publish_key(self, verifier: NoteVerifier) -> None:
        """Write ``log.pub`` once; auditors should pin this key outside the data folder."""
        path = self.directory / PUBLIC_KEY_FILE
        if not path.exists():
            _atomic_write(path, verifier.vkey + "\n")

    def write(self, note: str, size: int, *, final: bool = False) -> bool:
        """Store ``note`` (a checkpoint of ``size`` entries) unless a larger one is there.

        Returns True when it became the latest checkpoint.
        """
        with self._locked():
            current = self.latest_size()
            if current is not None and current >= size:
                return False
            _atomic_write(self.latest_path, note)
            history = self.history_path(dt.datetime.now(dt.UTC))
            due = not history.exists() or (
                time.time() - history.stat().st_mtime >= self.history_interval_s
            )
            if due or final:
                line = {
                    "written": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    "size": size,
                    "note": note,
                }
                with history.open("a", encoding="utf-8") as f:
                    f.write(json.dumps(line, ensure_ascii=False) + "\n")
                    f.flush()
                    os.fsync(f.fileno())
            return True

    def latest(self) -> str | None:
        try:
            return self.latest_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def latest_size(self) -> int | None:
        note = self.latest()
        if note is None:
            return None
        try:
            return Checkpoint.peek(note).size
        except NoteError:
            return None  # a damaged file is replaced by the next checkpoint; verify reports it

    def history(self) -> Iterator[str]:
        """Every note in the history files, oldest month first."""
        for path in sorted(self.directory.glob("history-*.jsonl")):
            with path.open(encoding="utf-8") as f:
                for line in f:
                    if line.strip():
                        yield json.loads(line)["note"]

    def history_path(self, now: dt.datetime) -> Path:
        return self.directory / f"history-{now:%Y-%m}.jsonl"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with (self.directory / ".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)

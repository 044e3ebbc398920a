"""The audit log's two secrets in ``data_dir``: the HMAC key that pseudonymises citizen IDs and
the Ed25519 key that signs entries and checkpoints. Both are created on first start, mode 0600."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path

from audit.checkpoint import NoteSigner

HMAC_KEY_FILE = "audit-hmac.key"
SIGNING_KEY_FILE = "audit-signing.key"


class KeyFileError(OSError):
    """A key file that is unreadable, malformed or readable by others."""


def read_or_create_secret(path: Path, create: Callable[[], str]) -> str:
    """The text of the secret at ``path``, creating it with ``create()`` when absent.

    Two processes starting at once must end up with the same key, so the new key is written to
    a private temporary file and hard-linked into place: the link fails if another process won.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, (create().strip() + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
        _fsync_dir(path.parent)
    mode = path.stat().st_mode
    if stat.S_IMODE(mode) & 0o077:
        raise KeyFileError(
            f"{path} is readable by other users; run `chmod 600 {path}` (the audit log refuses "
            "to use a key others could read)"
        )
    return path.read_text(encoding="ascii").strip()


def load_hmac_key(data_dir: Path) -> bytes:
    """The 32-byte key for pseudonymising citizen identifiers."""
    text = read_or_create_secret(data_dir / HMAC_KEY_FILE, lambda: secrets.token_hex(32))
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise KeyFileError(f"{data_dir / HMAC_KEY_FILE}: not a hex key") from None
    if len(key) < 32:
        raise KeyFileError(f"{data_dir / HMAC_KEY_FILE}: the key must be at least 32 bytes")
    return key


def load_signer(data_dir: Path, name: str) -> NoteSigner:
    """The Ed25519 note key that signs entries and checkpoints."""
    path = data_dir / SIGNING_KEY_FILE
    text = read_or_create_secret(path, lambda: NoteSigner.generate(name).skey)
    try:
        return NoteSigner.from_skey(text)
    except ValueError as exc:
        raise KeyFileError(f"{path}: {exc}") from None


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):  # some filesystems cannot fsync a directory
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

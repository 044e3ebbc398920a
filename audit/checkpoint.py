"""Signed tree heads as C2SP tlog-checkpoint text inside a C2SP signed note (Ed25519).

A checkpoint body is three lines — origin, tree size, base64 root hash — and the note adds a
blank line and ``— <key name> <base64(key id || signature)>``. The key id is the first four
bytes of SHA-256(name || "\\n" || 0x01 || public key), so any Go ``sumdb/note`` or
transparency-dev verifier can check our checkpoints with the published ``log.pub`` key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from audit.hashing import HASH_SIZE

ALG_ED25519 = 0x01
SIGNATURE_PREFIX = "\u2014 "  # em dash and a space, as the signed-note spec requires
_RAW = serialization.Encoding.Raw


class NoteError(ValueError):
    """A note or checkpoint that is malformed or carries no valid signature."""


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key id of an Ed25519 note key."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public_key).digest()[:4]


def _check_name(name: str) -> str:
    if not name or "+" in name or any(ch.isspace() for ch in name):
        raise NoteError(f"key name {name!r} must be non-empty, without spaces or '+'")
    return name


@dataclass(frozen=True)
class NoteVerifier:
    """A public note key: checks signature lines that carry its name and key id."""

    name: str
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key)

    @property
    def vkey(self) -> str:
        """The shareable verifier key: ``<name>+<hex key id>+<base64(0x01 || public key)>``."""
        blob = base64.b64encode(bytes([ALG_ED25519]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{blob}"

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        try:
            name, hex_id, blob = vkey.strip().split("+", 2)
            raw = base64.b64decode(blob, validate=True)
        except (ValueError, binascii.Error):
            raise NoteError("a verifier key reads <name>+<key id>+<base64 key>") from None
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise NoteError("the verifier key is not an Ed25519 note key")
        verifier = cls(_check_name(name), raw[1:])
        if verifier.key_id.hex() != hex_id.lower():
            raise NoteError("the verifier key's id does not match its name and key")
        return verifier

    def verify(self, text: str, signature: bytes) -> bool:
        return self.verify_bytes(text.encode(), signature)

    def verify_bytes(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


class NoteSigner:
    """A private note key; ``skey`` is the Go ``PRIVATE+KEY+…`` text it is stored as."""

    def __init__(self, name: str, seed: bytes) -> None:
        self.name = _check_name(name)
        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        self.verifier = NoteVerifier(
            name, self._key.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
        )

    @classmethod
    def generate(cls, name: str) -> NoteSigner:
        seed = Ed25519PrivateKey.generate().private_bytes(
            _RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        return cls(name, seed)

    @classmethod
    def from_skey(cls, skey: str) -> NoteSigner:
        parts = skey.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError("a signing key reads PRIVATE+KEY+<name>+<key id>+<base64 key>")
        try:
            raw = base64.b64decode(parts[4], validate=True)
        except binascii.Error:
            raise NoteError("the signing key is not base64") from None
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise NoteError("the signing key is not an Ed25519 note key")
        signer = cls(parts[2], raw[1:])
        if signer.verifier.key_id.hex() != parts[3].lower():
            raise NoteError("the signing key's id does not match its name and key")
        return signer

    @property
    def skey(self) -> str:
        seed = self._key.private_bytes(
            _RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        blob = base64.b64encode(bytes([ALG_ED25519]) + seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.verifier.key_id.hex()}+{blob}"

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    def sign_note(self, text: str) -> str:
        """``text`` followed by a blank line and this key's signature line."""
        if not text.endswith("\n") or "\n\n" in text:
            raise NoteError("note text must end in a newline and contain no blank line")
        blob = base64.b64encode(self.verifier.key_id + self.sign(text.encode())).decode()
        return f"{text}\n{SIGNATURE_PREFIX}{self.name} {blob}\n"


def open_note(note: str, verifier: NoteVerifier) -> str:
    """The note's text when it carries a valid signature by ``verifier``; else NoteError."""
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise NoteError("not a signed note: no blank line before the signatures")
    text, signatures = note[: split + 1], note[split + 2 :]
    for line in signatures.splitlines():
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError(f"malformed signature line {line!r}")
        name, _, blob = line[len(SIGNATURE_PREFIX) :].partition(" ")
        try:
            raw = base64.b64decode(blob, validate=True)
        except binascii.Error:
            raise NoteError(f"signature by {name} is not base64") from None
        if name != verifier.name or raw[:4] != verifier.key_id:
            continue  # signed notes may carry co-signatures by keys we do not know
        if verifier.verify(text, raw[4:]):
            return text
        raise NoteError(f"the signature by {name} does not verify")
    raise NoteError(f"the note carries no signature by {verifier.name}")


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: origin, size and root hash (C2SP tlog-checkpoint)."""

    origin: str
    size: int
    root: bytes

    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint body (extension lines after the root are allowed and ignored)."""
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "":
            raise NoteError("a checkpoint has an origin, a size and a root hash line")
        origin, size_text, root_text = lines[0], lines[1], lines[2]
        if not origin or not size_text.isascii() or not size_text.isdigit():
            raise NoteError("the checkpoint's origin or size line is malformed")
        if len(size_text) > 1 and size_text[0] == "0":
            raise NoteError("the checkpoint size has leading zeros")
        try:
            root = base64.b64decode(root_text, validate=True)
        except binascii.Error:
            raise NoteError("the checkpoint root hash is not base64") from None
        if len(root) != HASH_SIZE:
            raise NoteError("the checkpoint root hash is not 32 bytes")
        return cls(origin, int(size_text), root)

    def sign(self, signer: NoteSigner) -> str:
        return signer.sign_note(self.body())

    @classmethod
    def open(cls, note: str, verifier: NoteVerifier) -> Checkpoint:
        """The checkpoint in ``note`` after checking its signature."""
        return cls.parse(open_note(note, verifier))

    @classmethod
    def peek(cls, note: str) -> Checkpoint:
        """The checkpoint in ``note`` without checking the signature (for ordering only)."""
        split = note.rfind("\n\n")
        if split < 0:
            raise NoteError("not a signed note")
        return cls.parse(note[: split + 1])

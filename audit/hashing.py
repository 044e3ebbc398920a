"""The hashes every entry carries: RFC 8785 bytes, the RFC 6962 leaf hash and the chain hash.

>>> leaf_hash(b"").hex()[:16]
'6e340b9cffb37a98'
>>> chain_hash(GENESIS, leaf_hash(b"")) == chain_hash(GENESIS, leaf_hash(b""))
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import rfc8785

HASH_SIZE = 32
# The chain starts from 32 zero bytes, so entry 1 is hashed exactly like every other entry.
GENESIS = bytes(HASH_SIZE)
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
# Domain separation: an entry signature can never be confused with a note signature.
_ENTRY_CONTEXT = b"civicfed audit entry v1\n"


def canonical_bytes(event: Mapping[str, Any]) -> bytes:
    """``event`` as RFC 8785 canonical JSON (UTF-8), by the reference implementation; the log
    itself encodes through ``audit.encoding``, which produces the same bytes faster."""
    return rfc8785.dumps(dict(event))


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 leaf hash: SHA-256(0x00 || data)."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def chain_hash(previous: bytes, leaf: bytes) -> bytes:
    """The entry's chained hash: SHA-256(previous entry hash || leaf hash)."""
    return hashlib.sha256(previous + leaf).digest()


def entry_message(seq: int, entry: bytes) -> bytes:
    """What an entry's Ed25519 signature covers: its position and its chained hash, which
    commits to every entry before it."""
    return _ENTRY_CONTEXT + seq.to_bytes(8, "big") + entry

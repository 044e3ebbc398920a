"""``civicfed audit export``: entries as JSON lines, each with its proof of inclusion.

The first line holds a freshly signed checkpoint and the verifier key; every other line holds
one entry, its leaf and chained hash, and the RFC 6962 audit path from its leaf to the
checkpoint's root. Anyone with the key can check an exported entry without the database:
re-encode ``event`` as RFC 8785 JSON, hash it as a leaf, and follow the path.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from audit.checkpoint import Checkpoint
from audit.errors import AuditError
from audit.log import AuditLog
from audit.merkle import MerkleTree


def signed_tree(log: AuditLog) -> tuple[Checkpoint, str, MerkleTree]:
    """Sign a checkpoint of everything committed and return it with the tree it signs."""
    note = log.checkpoint()
    if note is None:
        raise AuditError("the audit log is empty: nothing to export")
    checkpoint = Checkpoint.open(note, log.verifier)
    tree = MerkleTree(log.leaf_hashes(checkpoint.size))
    if tree.root() != checkpoint.root:
        raise AuditError("the log does not match its checkpoint; run `civicfed audit verify`")
    return checkpoint, note, tree


def export_jsonl(log: AuditLog, out: TextIO, first: int = 1, last: int | None = None) -> int:
    """Write entries ``first``…``last`` (default: all that the checkpoint covers) to ``out``;
    return how many were written."""
    checkpoint, note, tree = signed_tree(log)
    end = checkpoint.size if last is None else min(last, checkpoint.size)
    header: dict[str, Any] = {
        "checkpoint": note,
        "tree_size": checkpoint.size,
        "root_hash": checkpoint.root.hex(),
        "verifier_key": log.verifier.vkey,
        "hashing": "leaf = SHA-256(0x00 || RFC 8785 event); node = SHA-256(0x01 || l || r); "
        "entry = SHA-256(previous entry || leaf)",
    }
    out.write(json.dumps(header, ensure_ascii=False) + "\n")
    written = 0
    for seq, data, leaf, entry in log.iter_entries(first, end):
        line = {
            "seq": seq,
            "event": json.loads(data),
            "leaf_hash": leaf.hex(),
            "entry_hash": entry.hex(),
            "leaf_index": seq - 1,
            "inclusion_proof": [h.hex() for h in tree.inclusion_proof(seq - 1)],
        }
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
        written += 1
    return written


def consistency_proof(log: AuditLog, old_size: int) -> dict[str, Any]:
    """Proof that the tree an auditor saw at ``old_size`` is a prefix of today's."""
    _, note, tree = signed_tree(log)
    return {
        "old_size": old_size,
        "old_root": tree.root_at(old_size).hex(),
        "checkpoint": note,
        "proof": [h.hex() for h in tree.consistency_proof(old_size)],
    }

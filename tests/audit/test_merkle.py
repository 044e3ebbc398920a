"""RFC 6962 tree heads and proofs, against an independent transcription of the RFC's
recursive definitions and against the published Certificate Transparency vectors."""

from __future__ import annotations

import hashlib

import pytest

from audit.hashing import leaf_hash, node_hash
from audit.merkle import (
    EMPTY_ROOT,
    CompactRange,
    MerkleTree,
    verify_consistency,
    verify_inclusion,
)

# The inputs of the CT test vectors (certificate-transparency merkle_tree_test.cc).
CT_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf index, tree size, audit path) and (old size, new size, proof) from the same suite.
CT_INCLUSION = [
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CT_CONSISTENCY = [
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]


# -- RFC 9162 §2.1 transcribed literally, with hashlib only: the reference the fast code meets --
def ref_mth(data: list[bytes]) -> bytes:
    n = len(data)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + data[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + ref_mth(data[:k]) + ref_mth(data[k:])).digest()


def ref_path(m: int, data: list[bytes]) -> list[bytes]:
    n = len(data)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*ref_path(m, data[:k]), ref_mth(data[k:])]
    return [*ref_path(m - k, data[k:]), ref_mth(data[:k])]


def ref_subproof(m: int, data: list[bytes], complete: bool) -> list[bytes]:
    n = len(data)
    if m == n:
        return [] if complete else [ref_mth(data)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*ref_subproof(m, data[:k], complete), ref_mth(data[k:])]
    return [*ref_subproof(m - k, data[k:], False), ref_mth(data[:k])]


def test_empty_tree_is_the_hash_of_nothing() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert MerkleTree([]).root() == EMPTY_ROOT == CompactRange().root()


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_the_certificate_transparency_vectors(size: int) -> None:
    leaves = [leaf_hash(d) for d in CT_LEAVES[:size]]
    assert MerkleTree(leaves).root().hex() == CT_ROOTS[size - 1]
    assert ref_mth(CT_LEAVES[:size]).hex() == CT_ROOTS[size - 1]
    compact = CompactRange()
    compact.extend(leaves)
    assert compact.root().hex() == CT_ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "path"), CT_INCLUSION)
def test_inclusion_proofs_match_the_vectors(index: int, size: int, path: list[str]) -> None:
    tree = MerkleTree([leaf_hash(d) for d in CT_LEAVES])
    assert [h.hex() for h in tree.inclusion_proof(index, size)] == path
    root = bytes.fromhex(CT_ROOTS[size - 1])
    proof = [bytes.fromhex(h) for h in path]
    assert verify_inclusion(index, size, leaf_hash(CT_LEAVES[index]), proof, root)


@pytest.mark.parametrize(("old", "new", "path"), CT_CONSISTENCY)
def test_consistency_proofs_match_the_vectors(old: int, new: int, path: list[str]) -> None:
    tree = MerkleTree([leaf_hash(d) for d in CT_LEAVES])
    assert [h.hex() for h in tree.consistency_proof(old, new)] == path
    old_root, new_root = bytes.fromhex(CT_ROOTS[old - 1]), bytes.fromhex(CT_ROOTS[new - 1])
    assert verify_consistency(old, new, old_root, new_root, [bytes.fromhex(h) for h in path])


def test_every_head_and_proof_agrees_with_the_rfc_definitions_up_to_40_leaves() -> None:
    data = [f"entry {i}".encode() for i in range(40)]
    tree = MerkleTree([leaf_hash(d) for d in data])
    compact = CompactRange()
    for n in range(1, 41):
        compact.append(leaf_hash(data[n - 1]))
        root = ref_mth(data[:n])
        assert tree.root_at(n) == root == compact.root()
        for m in range(n):
            proof = tree.inclusion_proof(m, n)
            assert proof == ref_path(m, data[:n])
            assert verify_inclusion(m, n, leaf_hash(data[m]), proof, root)
        for m in range(1, n + 1):
            proof = tree.consistency_proof(m, n)
            assert proof == ref_subproof(m, data[:n], True)
            assert verify_consistency(m, n, ref_mth(data[:m]), root, proof)


def test_tampered_proofs_do_not_verify() -> None:
    data = [bytes([i]) for i in range(13)]
    tree = MerkleTree([leaf_hash(d) for d in data])
    root = tree.root()
    proof = tree.inclusion_proof(6)
    leaf = leaf_hash(data[6])
    assert verify_inclusion(6, 13, leaf, proof, root)
    assert not verify_inclusion(5, 13, leaf, proof, root)
    # Sizes that change the leaf's position in the tree (a size that keeps the same shape of
    # path, like 14 here, proves nothing different, as the RFC algorithm intends).
    assert not verify_inclusion(6, 26, leaf, proof, root)
    assert not verify_inclusion(6, 7, leaf, proof, root)
    assert not verify_inclusion(6, 13, leaf_hash(b"other"), proof, root)
    assert not verify_inclusion(6, 13, leaf, proof[:-1], root)
    assert not verify_inclusion(6, 13, leaf, [*proof, root], root)
    assert not verify_inclusion(13, 13, leaf, proof, root)
    for i in range(len(proof)):
        bad = list(proof)
        bad[i] = EMPTY_ROOT
        assert not verify_inclusion(6, 13, leaf, bad, root)

    consistency = tree.consistency_proof(5)
    old_root = tree.root_at(5)
    assert verify_consistency(5, 13, old_root, root, consistency)
    assert not verify_consistency(4, 13, old_root, root, consistency)
    assert not verify_consistency(5, 26, old_root, root, consistency)
    assert not verify_consistency(5, 6, old_root, root, consistency)
    assert not verify_consistency(5, 13, root, old_root, consistency)
    assert not verify_consistency(5, 13, old_root, root, consistency[:-1])
    assert not verify_consistency(5, 13, old_root, root, [])
    assert not verify_consistency(13, 5, root, old_root, consistency)
    assert verify_consistency(13, 13, root, root, [])
    assert not verify_consistency(13, 13, root, old_root, [])


def test_compact_range_survives_a_round_trip() -> None:
    compact = CompactRange()
    compact.extend(leaf_hash(i.to_bytes(2, "big")) for i in range(1000))
    again = CompactRange.from_bytes(compact.to_bytes())
    assert again.size == 1000 and again.root() == compact.root()
    again.append(leaf_hash(b"x"))
    compact.append(leaf_hash(b"x"))
    assert again.root() == compact.root()
    with pytest.raises(ValueError):
        CompactRange(3, [node_hash(b"a", b"b")])

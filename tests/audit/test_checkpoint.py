"""Signed notes and checkpoints: byte-for-byte the Go sumdb/note format."""

from __future__ import annotations

import pytest

from audit.checkpoint import Checkpoint, NoteError, NoteSigner, NoteVerifier, open_note

# The example key and note of golang.org/x/mod/sumdb/note: an independent implementation's
# output, which ours must reproduce exactly (Ed25519 signatures are deterministic).
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def test_signing_reproduces_the_go_note_exactly() -> None:
    signer = NoteSigner.from_skey(GO_SKEY)
    assert signer.verifier.vkey == GO_VKEY
    assert signer.skey == GO_SKEY
    assert signer.sign_note(GO_TEXT) == GO_NOTE


def test_the_go_note_opens_with_its_verifier_key_and_not_when_changed() -> None:
    verifier = NoteVerifier.from_vkey(GO_VKEY)
    assert open_note(GO_NOTE, verifier) == GO_TEXT
    with pytest.raises(NoteError, match="does not verify"):
        open_note(GO_NOTE.replace("cryptography", "cryptographY"), verifier)
    other = NoteSigner.generate("PeterNeumann").verifier
    with pytest.raises(NoteError, match="no signature"):
        open_note(GO_NOTE, other)


def test_a_verifier_key_whose_id_does_not_match_is_refused() -> None:
    with pytest.raises(NoteError, match="id does not match"):
        NoteVerifier.from_vkey(GO_VKEY.replace("c74f20a3", "c74f20a4"))


def test_checkpoint_body_is_origin_size_and_base64_root() -> None:
    signer = NoteSigner.generate("civicfed/test")
    checkpoint = Checkpoint("civicfed/test", 42, bytes(range(32)))
    note = checkpoint.sign(signer)
    lines = note.split("\n")
    assert lines[:3] == ["civicfed/test", "42", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="]
    assert lines[3] == "" and lines[4].startswith("— civicfed/test ")
    assert Checkpoint.open(note, signer.verifier) == checkpoint
    forged = note.replace("\n42\n", "\n43\n")
    with pytest.raises(NoteError):
        Checkpoint.open(forged, signer.verifier)
    assert Checkpoint.peek(forged).size == 43  # peek is for ordering only, never for trust


@pytest.mark.parametrize(
    "body",
    [
        "origin\n042\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        "origin\n-1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        "origin\n1\nAAEC\n",
        "origin\n1\n",
        "\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
    ],
)
def test_malformed_checkpoints_are_refused(body: str) -> None:
    with pytest.raises(NoteError):
        Checkpoint.parse(body)


def test_extension_lines_after_the_root_are_allowed() -> None:
    body = "o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\nextension line\n"
    assert Checkpoint.parse(body).size == 1

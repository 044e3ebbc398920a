"""Citizen identifiers in audit events become keyed HMACs before anything is stored.

Every string in an event — SQL as sent, rewritten SQL, per-source SQL, reasons, case names —
is scanned (by ``audit.encoding``) for Taiwan national IDs: a letter, a sex digit 1 or 2 and
eight digits. Each one is replaced by ``hmac:`` + hex of HMAC-SHA-256(key, ID), so the log can
answer "who looked up this person" without holding the ID, and nobody without the key can test
guesses against it (the ID space is small enough to enumerate: a plain hash would not do).

>>> p = Pseudonymizer(bytes(32))
>>> p.scrub_text("WHERE national_id = 'A123456789'")[0].startswith("WHERE national_id = 'hmac:")
True
"""

from __future__ import annotations

import hashlib
import hmac
import re

# Not part of a longer run of letters or digits (a uuid hex must never match), upper or lower
# case because SQL compared with lower()/upper() still pins the person.
NATIONAL_ID = re.compile(r"(?<![A-Za-z0-9])([A-Za-z][12][0-9]{8})(?![0-9A-Za-z])")
TOKEN_PREFIX = "hmac:"
# 128 bits of the HMAC: collisions stay out of reach; the key, not the length, keeps IDs secret.
_TOKEN_HEX = 32
TOKEN = re.compile(TOKEN_PREFIX + f"[0-9a-f]{{{_TOKEN_HEX}}}")


class Pseudonymizer:
    """Replaces national IDs with stable keyed tokens."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def token(self, national_id: str) -> str:
        """The stored stand-in for ``national_id`` (case-insensitive)."""
        digest = hmac.new(self._key, national_id.upper().encode(), hashlib.sha256).hexdigest()
        return TOKEN_PREFIX + digest[:_TOKEN_HEX]

    def scrub_text(self, text: str) -> tuple[str, set[str]]:
        """``text`` with every national ID replaced, and the tokens that replaced them."""
        found: set[str] = set()

        def replace(match: re.Match[str]) -> str:
            token = self.token(match.group(1))
            found.add(token)
            return token

        return NATIONAL_ID.sub(replace, text), found


def is_national_id(value: str) -> bool:
    """True when ``value`` has the shape of a national ID (the check digit is not required:
    a mistyped ID a clerk searched for is still that clerk's lookup)."""
    return NATIONAL_ID.fullmatch(value.strip()) is not None

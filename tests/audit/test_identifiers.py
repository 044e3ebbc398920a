"""Which strings count as national IDs, and what replaces them."""

from __future__ import annotations

import pytest

from audit.encoding import encode_event
from audit.identifiers import Pseudonymizer, is_national_id

KEY = bytes(range(32))


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("national_id = 'A123456789'", 1),
        ("IN ('A123456789','B287654321')", 2),
        ("lower(x) = 'a123456789'", 1),
        ("身分證A123456789號", 1),  # no word boundary between CJK and Latin
        ('"A123456789"', 1),
        ("A323456789", 0),  # third letter-digit is not a sex digit
        ("A12345678", 0),  # too short
        ("A1234567890", 0),  # part of a longer number
        ("XA123456789", 0),  # part of a longer identifier
        ("a1234567890abcdef0123456789abcdef", 0),  # a uuid hex must stay intact
    ],
)
def test_what_is_replaced(text: str, found: int) -> None:
    scrubbed, tokens = Pseudonymizer(KEY).scrub_text(text)
    assert len(tokens) == found
    assert scrubbed.count("hmac:") == found


def test_tokens_are_stable_per_key_and_case_insensitive() -> None:
    p = Pseudonymizer(KEY)
    assert p.token("A123456789") == p.token("a123456789")
    assert p.token("A123456789") != Pseudonymizer(bytes(32)).token("A123456789")


def test_scrub_walks_nested_values_and_keys() -> None:
    event = {
        "sql": "x = 'A123456789'",
        "nested": [{"A123456789": ["B287654321", 3, None]}],
        "query_id": "a1" + "2" * 30,
    }
    scrubbed, data, tokens = encode_event(event, Pseudonymizer(KEY))
    assert b"A123456789" not in data
    assert "A123456789" not in str(scrubbed) and "B287654321" not in str(scrubbed)
    assert len(tokens) == 2
    assert scrubbed["query_id"] == event["query_id"]


def test_is_national_id() -> None:
    assert is_national_id(" A123456789 ")
    assert not is_national_id("A323456789")

"""The log's fast encoder writes exactly the bytes of the RFC 8785 reference implementation."""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.encoding import encode_event
from audit.identifiers import Pseudonymizer

KEY = bytes(32)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(
        [0.0, -0.0, 1e-4, 9.99e-5, 1e16, 1e21, 4.0, 0.1, 1 / 3, 2.5e-7, 2.0**53, 2.0**60]
    )
    | st.text()
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=1500, deadline=None)
@given(st.dictionaries(st.text(), json_values, max_size=6))
def test_fast_encoding_equals_rfc8785(event: dict[str, Any]) -> None:
    try:
        stored, data, _ = encode_event(event, Pseudonymizer(KEY))
    except (UnicodeEncodeError, rfc8785.CanonicalizationError):
        # Lone surrogates, integers beyond ±2^53: the reference refuses them too.
        with pytest.raises((UnicodeEncodeError, rfc8785.CanonicalizationError)):
            rfc8785.dumps(event)
        return
    assert data == rfc8785.dumps(stored)


def test_engine_shaped_events_take_the_fast_path_and_match() -> None:
    event = {
        "type": "query",
        "time": "2026-11-26T01:00:00.000001+00:00",
        "sql": "SELECT name FROM household.persons WHERE national_id = 'A123456789'\n\t",
        "purpose": {"case_name": "低收入戶資格複查 \u2028", "case_no": "113-0042"},
        "rows": 3,
        "duration_ms": 4.0,
        "bytes_per_source": {"household": 412},
        "ratio": 12.75,
        "keys": {"\U0001f600": 1, "\ue000": 2},  # non-BMP keys: UTF-16 order differs
    }
    stored, data, subjects = encode_event(event, Pseudonymizer(KEY))
    assert data == rfc8785.dumps(stored) == rfc8785.dumps({**stored, "duration_ms": 4.0})
    assert len(subjects) == 1 and b"A123456789" not in data

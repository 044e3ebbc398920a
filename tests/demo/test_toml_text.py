"""The small TOML writer behind civicfed.toml: whatever it writes, tomllib reads back."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from demo import toml_text

keys = st.text(min_size=1, max_size=12)
scalars = st.one_of(
    st.text(max_size=30),
    st.integers(-(2**63), 2**63 - 1),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=10,
)


@given(st.dictionaries(keys, values, max_size=6))
def test_a_table_reads_back_unchanged(entries: dict[str, Any]) -> None:
    text = toml_text.table("section", entries)
    assert tomllib.loads(text) == {"section": entries}


@given(st.lists(st.dictionaries(keys, scalars, min_size=1, max_size=4), max_size=4))
def test_arrays_of_tables_read_back_unchanged(items: list[dict[str, Any]]) -> None:
    text = "\n".join(toml_text.array_table("grants", item) for item in items)
    assert tomllib.loads(text) == ({"grants": items} if items else {})


def test_none_values_are_left_out_and_comments_written() -> None:
    text = toml_text.array_table("users", {"name": "clerk_daan", "district": None}, "a\nb")
    assert text.startswith("# a\n# b\n[[users]]\n")
    assert tomllib.loads(text) == {"users": [{"name": "clerk_daan"}]}


def test_dotted_headers_quote_what_is_not_bare() -> None:
    text = toml_text.table("sources.戶籍", {"kind": "sqlite"})
    assert tomllib.loads(text) == {"sources": {"戶籍": {"kind": "sqlite"}}}


def test_unsupported_values_are_refused() -> None:
    with pytest.raises(TypeError):
        toml_text.value(object())
    with pytest.raises(ValueError):
        toml_text.value(float("nan"))

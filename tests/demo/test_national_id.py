"""Taiwan national IDs: the check digit, the validator, and bulk generation."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from demo.national_id import (
    LETTER_CODES,
    check_digit,
    generate_national_ids,
    is_valid_national_id,
    national_id_is_valid_expr,
    sex_of,
)

letters = st.sampled_from(sorted(LETTER_CODES))
sex_digits = st.sampled_from("12")
serials = st.integers(min_value=0, max_value=9_999_999)


def test_known_valid_and_invalid_ids() -> None:
    assert is_valid_national_id("A123456789")
    assert check_digit("A", "12345678") == 9
    for bad in (
        "A123456788",  # wrong check digit
        "a123456789",  # lower-case letter
        "A323456789",  # 3 is not a sex digit
        "A12345678",  # too short
        "A1234567890",  # too long
        "1123456789",  # no letter
        "A12345678９",  # full-width digit
        "",
        None,
        1234567890,
    ):
        assert not is_valid_national_id(bad), bad


def test_letter_codes_follow_the_official_table() -> None:
    # I, O, W, X, Y, Z were added after the sequence A=10 … and take codes out of order.
    assert LETTER_CODES["A"] == 10
    assert LETTER_CODES["H"] == 17
    assert LETTER_CODES["I"] == 34
    assert LETTER_CODES["J"] == 18
    assert LETTER_CODES["O"] == 35
    assert LETTER_CODES["W"] == 32
    assert LETTER_CODES["Z"] == 33
    assert sorted(LETTER_CODES.values()) == list(range(10, 36))


@given(letters, sex_digits, serials)
def test_the_check_digit_makes_an_id_valid_and_no_other_digit_does(
    letter: str, sex: str, serial: int
) -> None:
    body = f"{sex}{serial:07d}"
    digit = check_digit(letter, body)
    assert is_valid_national_id(f"{letter}{body}{digit}")
    for other in set(range(10)) - {digit}:
        assert not is_valid_national_id(f"{letter}{body}{other}")


@given(letters, sex_digits, serials, st.integers(1, 9))
def test_a_changed_last_serial_digit_is_detected(
    letter: str, sex: str, serial: int, delta: int
) -> None:
    # The last serial digit and the check digit both carry weight 1, so any change is caught.
    body = f"{sex}{serial:07d}"
    valid = f"{letter}{body}{check_digit(letter, body)}"
    changed = valid[:8] + str((int(valid[8]) + delta) % 10) + valid[9]
    assert not is_valid_national_id(changed)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.sampled_from([1, 2]), min_size=0, max_size=3_000),
    st.integers(min_value=0, max_value=2**32 - 1),
)
def test_generated_ids_are_valid_distinct_and_carry_the_sex(sexes: list[int], seed: int) -> None:
    ids = generate_national_ids(np.array(sexes, dtype=np.int64), np.random.default_rng(seed))
    assert ids.len() == len(sexes)
    assert ids.n_unique() == len(sexes)
    assert all(is_valid_national_id(i) for i in ids)
    assert [sex_of(i) for i in ids] == sexes
    assert all(i.startswith("A") for i in ids)


@settings(max_examples=200)
@given(
    st.one_of(
        st.text(alphabet="AIOZa0123456789", min_size=0, max_size=12),
        st.builds(
            lambda letter, sex, serial, check: f"{letter}{sex}{serial:07d}{check}",
            letters,
            st.sampled_from("0123"),
            serials,
            st.integers(0, 9),
        ),
    )
)
def test_the_polars_validator_agrees_with_the_scalar_one(text: str) -> None:
    frame = pl.DataFrame({"national_id": [text]})
    assert frame.select(national_id_is_valid_expr()).item() == is_valid_national_id(text)


def test_a_large_batch_is_generated_without_collisions() -> None:
    rng = np.random.default_rng(1)
    sexes = rng.integers(1, 3, 300_000)
    ids = generate_national_ids(sexes, rng)
    assert ids.n_unique() == len(sexes)
    assert pl.DataFrame({"national_id": ids}).select(national_id_is_valid_expr().all()).item()


def test_generation_refuses_bad_input() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError):
        generate_national_ids(np.array([1, 3]), rng)
    with pytest.raises(ValueError):
        generate_national_ids(np.array([1]), rng, letter="a")
    with pytest.raises(ValueError):
        check_digit("A", "1234567")

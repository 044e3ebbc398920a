"""Taiwan national identification numbers (國民身分證統一編號): validation and bulk generation.

Format: one letter for the place of first registration (A is Taipei City), a sex digit
(1 male, 2 female), seven serial digits and a check digit. The letter's two-digit code
(A=10, B=11, …) is written in front of the nine digits and the eleven digits are weighted
1,9,8,7,6,5,4,3,2,1,1; the number is valid when the weighted sum is a multiple of 10.

>>> is_valid_national_id("A123456789")
True
>>> check_digit("A", "12345678")
9
"""

from __future__ import annotations

import numpy as np
import polars as pl

from engine.identifiers import LETTER_CODES, WEIGHTS, weighted_sum
from engine.identifiers import is_valid_national_id as is_valid_national_id

MALE, FEMALE = 1, 2
SERIALS_PER_SEX = 10**7  # seven serial digits


def check_digit(letter: str, body: str) -> int:
    """Return the check digit that completes ``letter`` + ``body`` (sex digit + 7 serial digits)."""
    if letter not in LETTER_CODES or len(body) != 8 or not body.isascii() or not body.isdigit():
        raise ValueError("a national ID body is one letter A–Z and eight digits")
    return (10 - weighted_sum(letter, body) % 10) % 10


def sex_of(national_id: str) -> int:
    """Return 1 (male) or 2 (female), read from the ID's second character."""
    return int(national_id[1])


def generate_national_ids(
    sexes: np.ndarray, rng: np.random.Generator, letter: str = "A"
) -> pl.Series:
    """Return one distinct, valid national ID per entry of ``sexes`` (an array of 1 and 2).

    Serials are drawn without replacement per sex, so IDs never collide; at most ten million
    persons of each sex fit under one letter.
    """
    sexes = np.asarray(sexes)
    if letter not in LETTER_CODES:
        raise ValueError(f"{letter!r} is not a national ID letter")
    if not np.isin(sexes, (MALE, FEMALE)).all():
        raise ValueError("sexes must be 1 (male) or 2 (female)")
    serials = np.empty(len(sexes), dtype=np.int64)
    for sex in (MALE, FEMALE):
        where = np.flatnonzero(sexes == sex)
        if len(where) > SERIALS_PER_SEX:
            raise ValueError(f"at most {SERIALS_PER_SEX} IDs per sex and letter")
        serials[where] = rng.choice(SERIALS_PER_SEX, size=len(where), replace=False)
    body = sexes.astype(np.int64) * SERIALS_PER_SEX + serials  # eight digits: sex + serial
    total = np.full(len(body), weighted_sum(letter, ""), dtype=np.int64)
    rest = body
    for weight in (1, 2, 3, 4, 5, 6, 7, 8):  # from the last serial digit back to the sex digit
        total += weight * (rest % 10)
        rest = rest // 10
    checks = (10 - total % 10) % 10
    digits = pl.Series("national_id", body * 10 + checks).cast(pl.String)
    return (letter + digits).alias("national_id")


def national_id_is_valid_expr(column: str = "national_id") -> pl.Expr:
    """A polars expression that is True where ``column`` holds a valid national ID."""
    col = pl.col(column)
    letter_code = col.str.slice(0, 1).replace_strict(
        list(LETTER_CODES), list(LETTER_CODES.values()), default=None, return_dtype=pl.Int64
    )
    total = (letter_code // 10) * WEIGHTS[0] + (letter_code % 10) * WEIGHTS[1]
    for position, weight in enumerate(WEIGHTS[2:], start=1):
        total = total + col.str.slice(position, 1).cast(pl.Int64, strict=False) * weight
    well_formed = col.str.contains(r"^[A-Z][12][0-9]{8}$")
    return (well_formed & (total % 10 == 0)).fill_null(False)

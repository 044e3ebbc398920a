"""Taiwan national identification numbers (國民身分證統一編號): the check-digit rule.

One letter for the place of first registration, a sex digit (1 or 2), seven serial digits and
a check digit. The letter's two-digit code (A=10, B=11, …) goes in front of the nine digits,
and the eleven digits weighted 1,9,8,7,6,5,4,3,2,1,1 sum to a multiple of 10.

>>> is_valid_national_id("A123456789")
True
>>> is_valid_national_id("A123456788")
False
"""

from __future__ import annotations

# fmt: off
LETTER_CODES: dict[str, int] = {
    "A": 10, "B": 11, "C": 12, "D": 13, "E": 14, "F": 15, "G": 16, "H": 17, "I": 34,
    "J": 18, "K": 19, "L": 20, "M": 21, "N": 22, "O": 35, "P": 23, "Q": 24, "R": 25,
    "S": 26, "T": 27, "U": 28, "V": 29, "W": 32, "X": 30, "Y": 31, "Z": 33,
}
# fmt: on
WEIGHTS = (1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1)


def weighted_sum(letter: str, digits: str) -> int:
    code = LETTER_CODES[letter]
    values = (code // 10, code % 10, *(int(d) for d in digits))
    return sum(w * v for w, v in zip(WEIGHTS, values, strict=False))


def is_valid_national_id(value: object) -> bool:
    """True for an upper-case letter, sex digit 1 or 2, eight more digits and a correct check
    digit (resident-certificate numbers, with other second digits, are not national IDs)."""
    if not isinstance(value, str) or len(value) != 10:
        return False
    letter, digits = value[0], value[1:]
    if letter not in LETTER_CODES or not digits.isascii() or not digits.isdigit():
        return False
    if digits[0] not in "12":
        return False
    return weighted_sum(letter, digits) % 10 == 0

"""Errors that carry values: a failing function whose error text would quote the value it
failed on (DESIGN.md invariant 5: no message ever carries a data value), and errors used as an
oracle on rows the user may not see (invariant 3)."""

from __future__ import annotations

import pytest

from .conftest import ANALYST, Adversary


def _pinned(adversary: Adversary, select: str, extra: str = "") -> str:
    nid = adversary.people.subject
    return f"SELECT {select} FROM household.persons WHERE national_id = '{nid}' {extra}"


def _assert_no_subject_values(adversary: Adversary, message: str) -> None:
    """Even values the clerk may read never appear in a message."""
    row = adversary.truth.execute(
        "SELECT name, address, CAST(birth_date AS VARCHAR), phone FROM household.persons "
        "WHERE national_id = ?",
        [adversary.people.subject],
    ).fetchone()
    for value in row:
        assert value not in message, f"message carries {value!r}: {message}"
    assert str(adversary.people.subject_birth_date.year) not in message, message


def test_cast_of_granted_name_to_int_error_carries_no_value(adversary: Adversary) -> None:
    message = adversary.refused(_pinned(adversary, "CAST(name AS INT)"), codes=["invalid_query"])
    _assert_no_subject_values(adversary, message)


def test_cast_of_ungranted_phone_to_int_is_refused_before_reading_it(adversary: Adversary) -> None:
    message = adversary.refused(_pinned(adversary, "CAST(phone AS INT)"), codes=["access_denied"])
    assert "phone" in message
    _assert_no_subject_values(adversary, message)


def test_cast_error_keyed_on_phone_in_where_is_refused(adversary: Adversary) -> None:
    sql = _pinned(adversary, "name", "AND CAST(phone AS BIGINT) > 0")
    adversary.refused(sql, codes=["access_denied"])


def test_division_by_zero_keyed_on_ungranted_household_id_is_refused(
    adversary: Adversary,
) -> None:
    sql = _pinned(adversary, "1 // (CASE WHEN household_id LIKE 'H8%' THEN 0 ELSE 1 END)")
    adversary.refused(sql, codes=["access_denied"])


def test_conversion_error_keyed_on_a_granted_value_carries_no_value(adversary: Adversary) -> None:
    sql = _pinned(adversary, "name", "AND CAST(CASE WHEN name LIKE '林%' THEN name END AS INT) = 1")
    message = adversary.refused(sql, codes=["invalid_query"])
    _assert_no_subject_values(adversary, message)


def test_error_function_is_not_callable(adversary: Adversary) -> None:
    message = adversary.refused(_pinned(adversary, "error(name)"), codes=["invalid_query"])
    _assert_no_subject_values(adversary, message)


def test_regexp_with_a_secret_as_pattern_error_carries_no_value(adversary: Adversary) -> None:
    sql = _pinned(adversary, "regexp_matches('x', address || '(')")
    message = adversary.refused(sql, codes=["invalid_query"])
    _assert_no_subject_values(adversary, message)


def test_json_parse_of_a_secret_error_carries_no_value(adversary: Adversary) -> None:
    sql = _pinned(adversary, "json_extract(address, '$.a')")
    message = adversary.refused(sql, codes=["invalid_query"])
    _assert_no_subject_values(adversary, message)


def test_strptime_of_a_secret_error_carries_no_value(adversary: Adversary) -> None:
    sql = _pinned(adversary, "strptime(address, '%Y-%m-%d')")
    message = adversary.refused(sql, codes=["invalid_query"])
    _assert_no_subject_values(adversary, message)


def test_out_of_range_cast_of_a_birth_year_carries_no_value(adversary: Adversary) -> None:
    sql = _pinned(adversary, "CAST(year(birth_date) AS TINYINT)")
    message = adversary.refused(sql, codes=["invalid_query"])
    _assert_no_subject_values(adversary, message)


def test_printf_format_error_on_a_secret_carries_no_value(adversary: Adversary) -> None:
    sql = _pinned(adversary, "printf('%d', address)")
    message = adversary.refused(sql, codes=["invalid_query"])
    _assert_no_subject_values(adversary, message)


def test_date_trunc_with_a_secret_as_specifier_error_carries_no_value(
    adversary: Adversary,
) -> None:
    sql = _pinned(adversary, "date_trunc(name, birth_date)")
    message = adversary.refused(sql, codes=["invalid_query"])
    _assert_no_subject_values(adversary, message)


@pytest.mark.parametrize(
    "select",
    [
        "try_cast(phone AS INT)",
        "try_strptime(phone, '%Y')",
        "TRY(CAST(phone AS INT))",
    ],
    ids=["try_cast", "try_strptime", "try"],
)
def test_try_functions_on_ungranted_phone_are_refused(adversary: Adversary, select: str) -> None:
    adversary.refused(_pinned(adversary, select), codes=["access_denied"])


def test_try_cast_of_a_secret_yields_null_not_the_value(adversary: Adversary) -> None:
    outcome = adversary.safe(_pinned(adversary, "try_cast(address AS INT) AS v"))
    if not outcome.refused:
        assert outcome.column("v") == [None]


def test_list_index_out_of_range_on_a_secret_carries_no_value(adversary: Adversary) -> None:
    outcome = adversary.safe(_pinned(adversary, "[name, address][5] AS v, name[100:200] AS w"))
    if not outcome.refused:
        assert outcome.rows() == [{"v": None, "w": ""}]


def test_cast_error_on_a_row_outside_the_district_behaves_like_no_row(
    adversary: Adversary,
) -> None:
    # Invariant 3: a predicate that can fail must never run on a row the row filter hides.
    template = "SELECT CAST(name AS INT) AS v FROM household.persons WHERE national_id = '{}'"
    hidden = adversary.safe(template.format(adversary.people.outsider))
    missing = adversary.safe(template.format("A999999999"))
    assert hidden.refused == missing.refused
    if hidden.refused:
        assert hidden.error.message == missing.error.message
    else:
        assert hidden.table.num_rows == missing.table.num_rows == 0


def test_conversion_error_whose_text_mentions_rescan_is_still_filtered_and_audited(
    adversary: Adversary,
) -> None:
    # The executor re-runs a query when DuckDB's error text contains "RescanRequired"; a value
    # chosen to contain that word must not turn the error into a raw, unaudited exception.
    sql = _pinned(adversary, "CAST(name || 'RescanRequired' AS INT)")
    message = adversary.refused(sql, codes=["invalid_query"])
    _assert_no_subject_values(adversary, message)
    adversary.assert_audited(sql)


def test_analyst_conversion_error_does_not_reveal_one_persons_monthly_amount(
    adversary: Adversary,
) -> None:
    sql = """SELECT district, count(*) FROM welfare.recipients
             WHERE CAST(CAST(monthly_amount AS VARCHAR) || 'RescanRequired' AS INT) = 1
             GROUP BY district"""
    message = adversary.refused(sql, ANALYST, codes=["invalid_query"])
    for amount in adversary.secrets.monthly_amounts:
        assert f"{amount}" not in message, f"message carries monthly_amount {amount}: {message}"
    adversary.assert_audited(sql)


def test_analyst_conversion_error_on_masked_birth_date_carries_no_date(
    adversary: Adversary,
) -> None:
    sql = """SELECT district, count(*) FROM household.persons
             WHERE CAST(CAST(birth_date AS VARCHAR) || 'x' AS INT) = 1 GROUP BY district"""
    adversary.refused(sql, ANALYST, codes=["invalid_query"])


def test_malformed_json_error_on_a_clerks_address_is_filtered_and_audited(
    adversary: Adversary,
) -> None:
    # DuckDB cuts the quoted input of a JSON error mid-character; the message must still be
    # turned into a federation error, not escape as raw bytes.
    sql = _pinned(adversary, "CAST(address AS JSON)")
    message = adversary.refused(sql, codes=["invalid_query"])
    _assert_no_subject_values(adversary, message)


def test_analyst_malformed_json_error_does_not_reveal_one_persons_monthly_amount(
    adversary: Adversary,
) -> None:
    # Narrowed to a group of one recipient, the failing row's amount would be in the error.
    sql = """SELECT district, count(*) FROM welfare.recipients
             WHERE district = '大安區' AND program = '急難救助'
               AND CAST(CAST(monthly_amount AS VARCHAR)
                        || 'x臺北市大安區仁愛路四段五十七巷九弄' AS JSON) IS NOT NULL
             GROUP BY district"""
    message = adversary.refused(sql, ANALYST, codes=["invalid_query"])
    for amount in adversary.secrets.monthly_amounts:
        assert f"{amount}" not in message, f"message carries monthly_amount {amount}: {message}"

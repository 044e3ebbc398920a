"""Purposes and identity: a grant holds for its purposes only; an envelope needs a case; an
unknown or look-alike user, or one with no data grant, learns nothing about the tables."""

from __future__ import annotations

import pytest

from engine import Purpose

from .conftest import ANALYST, CLERK, LAND_ADMIN, STATISTICS, WELFARE, Adversary


def _lookup(adversary: Adversary) -> str:
    return f"SELECT name FROM household.persons WHERE national_id = '{adversary.people.subject}'"


def test_clerk_with_the_statistics_purpose_is_refused(adversary: Adversary) -> None:
    adversary.refused(_lookup(adversary), CLERK, codes=["access_denied"], purpose=STATISTICS)


def test_clerk_with_land_admin_purpose_cannot_read_persons(adversary: Adversary) -> None:
    adversary.refused(_lookup(adversary), CLERK, codes=["access_denied"], purpose=LAND_ADMIN)


def test_clerk_statistics_purpose_cannot_unlock_aggregate_queries(adversary: Adversary) -> None:
    sql = "SELECT district, count(*) FROM household.persons GROUP BY district"
    adversary.refused(sql, CLERK, purpose=STATISTICS)


def test_analyst_with_the_welfare_eligibility_purpose_is_refused(adversary: Adversary) -> None:
    sql = "SELECT district, count(*) FROM household.persons GROUP BY district"
    adversary.refused(sql, ANALYST, codes=["access_denied"], purpose=WELFARE)


def test_analyst_with_welfare_purpose_cannot_do_a_clerks_lookup(adversary: Adversary) -> None:
    adversary.refused(_lookup(adversary), ANALYST, purpose=WELFARE)


@pytest.mark.parametrize(
    "envelope",
    [
        {"case_name": "低收入戶資格複查", "purpose": "welfare-eligibility"},
        {"case_name": "低收入戶資格複查", "purpose": "welfare-eligibility", "case_no": "  "},
        {"purpose": "welfare-eligibility", "case_no": "113-0042"},
        {"case_name": "x", "purpose": "", "case_no": "113-0042"},
        {"case_name": "x", "purpose": "curiosity", "case_no": "113-0042"},
        {"case_name": "x", "purpose": "welfare-eligibility", "case_no": "1\n2"},
        {"case_name": "x", "purpose": "welfare-eligibility", "case_no": "1", "user": "admin"},
    ],
    ids=[
        "no_case_or_document_number",
        "blank_case_number",
        "no_case_name",
        "empty_purpose",
        "unregistered_purpose",
        "control_characters",
        "smuggled_field",
    ],
)
def test_incomplete_or_forged_purpose_envelope_is_refused(
    adversary: Adversary, envelope: dict[str, str]
) -> None:
    try:
        outcome = adversary.fed.query(_lookup(adversary), user=CLERK, purpose=envelope)
    except Exception as exc:
        assert getattr(exc, "code", None) == "purpose_required", repr(exc)
        adversary.assert_clean_message(exc.message, _lookup(adversary), CLERK)  # type: ignore[attr-defined]
    else:
        raise AssertionError(f"the envelope was accepted: {outcome}")


@pytest.mark.parametrize(
    "user",
    ["mallory", "CLERK_DAAN", "clerk_daan ", " clerk_daan", "clerk_daan\x00", "clerk_dаan", ""],
    ids=["unknown", "upper_case", "trailing_space", "leading_space", "nul", "cyrillic_a", "empty"],
)
def test_unknown_or_look_alike_user_learns_nothing_about_tables(
    adversary: Adversary, user: str
) -> None:
    existing = adversary.refused(_lookup(adversary), user, purpose=WELFARE)
    missing = adversary.refused(
        "SELECT name FROM household.nonexistent WHERE national_id = 'A1'", user, purpose=WELFARE
    )
    assert existing.replace("household.persons", "T") == missing.replace(
        "household.nonexistent", "T"
    )


@pytest.mark.parametrize(
    ("user", "purpose"),
    [
        ("admin", WELFARE),
        ("auditor_ethics", STATISTICS),
        ("manager_daan", WELFARE),
        ("owner_dsw", Purpose(case_name="資料維護", purpose="data-maintenance", case_no="M-1")),
    ],
    ids=["platform_admin", "auditor", "agency_manager", "welfare_owner_on_household"],
)
def test_user_without_a_data_grant_on_persons_sees_it_as_nonexistent(
    adversary: Adversary, user: str, purpose: Purpose
) -> None:
    hidden = adversary.refused(
        "SELECT * FROM household.persons", user, codes=["invalid_query"], purpose=purpose
    )
    missing = adversary.refused(
        "SELECT * FROM household.nonexistent", user, codes=["invalid_query"], purpose=purpose
    )
    assert hidden.replace("household.persons", "T") == missing.replace("household.nonexistent", "T")

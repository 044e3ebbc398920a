from __future__ import annotations

import pytest

from engine import Purpose
from engine.errors import PurposeRequired

KNOWN = {"welfare-eligibility", "statistics"}


def test_valid_envelope_is_trimmed() -> None:
    p = Purpose(case_name=" 低收入戶資格複查 ", purpose="welfare-eligibility", case_no=" 113-0042 ")
    cleaned = p.validated(KNOWN)
    assert cleaned.case_name == "低收入戶資格複查"
    assert cleaned.case_no == "113-0042"
    assert cleaned.document_no is None


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"purpose": "statistics", "case_no": "1"}, "case_name"),
        ({"case_name": "x", "case_no": "1"}, "purpose"),
        ({"case_name": "x", "purpose": "statistics"}, "document_no or a case_no"),
        ({"case_name": "x", "purpose": "statistics", "case_no": "  "}, "document_no or a case_no"),
        ({"case_name": "x", "purpose": "curiosity", "case_no": "1"}, "purpose registry"),
        ({"case_name": "x" * 201, "purpose": "statistics", "case_no": "1"}, "longer than"),
        ({"case_name": "a\x07b", "purpose": "statistics", "case_no": "1"}, "control"),
    ],
)
def test_incomplete_envelope_is_refused(fields: dict[str, str], fragment: str) -> None:
    with pytest.raises(PurposeRequired) as info:
        Purpose(**fields).validated(KNOWN)
    assert fragment in info.value.message
    assert info.value.code == "purpose_required"


def test_from_mapping_refuses_unknown_keys_and_none() -> None:
    with pytest.raises(PurposeRequired, match="unknown purpose field"):
        Purpose.from_mapping({"case_name": "x", "why": "y"})
    with pytest.raises(PurposeRequired):
        Purpose.from_mapping(None)

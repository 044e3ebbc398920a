"""The purpose envelope every query carries: the case it serves and why."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from engine.errors import PurposeRequired

_MAX_FIELD = 200


@dataclass(frozen=True)
class Purpose:
    """The case a query serves. ``case_name`` and ``purpose`` are required, and at least one of
    ``document_no`` / ``case_no``; ``purpose`` is a code from the catalog's purpose registry."""

    case_name: str = ""
    purpose: str = ""
    document_no: str | None = None
    case_no: str | None = None
    legal_basis: str | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> Purpose:
        """Build a Purpose from a JSON-like mapping, refusing unknown keys."""
        if data is None:
            raise PurposeRequired(
                "every query must state its case: case_name, purpose and a document_no or case_no"
            )
        unknown = set(data) - {"case_name", "purpose", "document_no", "case_no", "legal_basis"}
        if unknown:
            raise PurposeRequired(f"unknown purpose field(s): {', '.join(sorted(unknown))}")
        values = {k: (None if v is None else str(v)) for k, v in data.items()}
        return cls(**values)  # type: ignore[arg-type]

    def validated(
        self, known_purposes: Collection[str], document_no_pattern: str | None = None
    ) -> Purpose:
        """Return the envelope with whitespace trimmed, or raise PurposeRequired naming the gap.

        ``document_no_pattern`` (the deployment's register format) must match the whole
        document number when one is given.
        """
        cleaned = Purpose(
            case_name=(self.case_name or "").strip(),
            purpose=(self.purpose or "").strip(),
            document_no=_blank_to_none(self.document_no),
            case_no=_blank_to_none(self.case_no),
            legal_basis=_blank_to_none(self.legal_basis),
        )
        missing = [name for name in ("case_name", "purpose") if not getattr(cleaned, name)]
        if missing:
            raise PurposeRequired(f"the purpose envelope is missing {' and '.join(missing)}")
        if cleaned.document_no is None and cleaned.case_no is None:
            raise PurposeRequired("the purpose envelope needs a document_no or a case_no")
        for name, value in asdict(cleaned).items():
            if value is not None and len(value) > _MAX_FIELD:
                raise PurposeRequired(f"{name} is longer than {_MAX_FIELD} characters")
            if value is not None and any(ord(ch) < 32 for ch in value):
                raise PurposeRequired(f"{name} contains control characters")
        if (
            document_no_pattern
            and cleaned.document_no is not None
            and re.fullmatch(document_no_pattern, cleaned.document_no) is None
        ):
            raise PurposeRequired(
                "document_no does not follow this deployment's document number format"
            )
        if cleaned.purpose not in known_purposes:
            raise PurposeRequired(
                f"purpose {cleaned.purpose!r} is not in the purpose registry; "
                f"use one of: {', '.join(sorted(known_purposes))}"
            )
        return cleaned

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)


def _blank_to_none(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None

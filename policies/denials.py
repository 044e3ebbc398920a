"""Explicit denials: a rule that forbids an action on columns whatever any grant allows
(deny override), e.g. "agency DAAN may not select household.persons.phone"."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

# Weakest first: each action covers the ones before it (see policies/model.conf).
ACTIONS = ("join", "condition", "aggregate", "select")
_SEGMENT = r"(\*|[A-Za-z_][A-Za-z0-9_]*)"
_TARGET = re.compile(rf"^[A-Za-z_][A-Za-z0-9_]*\.{_SEGMENT}\.(\*|[^\s.|\"'`]+)$")


class DenialError(ValueError):
    """A denial that cannot be used."""


@dataclass(frozen=True)
class Denial:
    """Forbid ``action`` (and every stronger action) on ``target`` to a user or an agency."""

    id: str
    target: str  # "source.table.column"; "*" for any table or column
    action: str
    user: str | None = None
    agency: str | None = None
    reason: str = ""
    issued_by: str | None = None
    issued_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        if (self.user is None) == (self.agency is None):
            raise DenialError("a denial names exactly one of user or agency")
        if not _TARGET.match(self.target):
            raise DenialError(
                f"target {self.target!r}: write source.table.column (table or column may be *)"
            )
        if self.action not in ACTIONS:
            raise DenialError(f"action {self.action!r}: actions are {', '.join(ACTIONS)}")

    @property
    def subject(self) -> str:
        return f"user:{self.user}" if self.user is not None else f"agency:{self.agency}"

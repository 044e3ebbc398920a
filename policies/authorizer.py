"""The one place that decides access (deny by default).

This first version honours grants whose ``columns = "*"`` (every column readable) and denies
everything else; column modes, masks, row filters, required conditions, aggregation rules and
Casbin arrive with the policy work and replace the body of ``decide`` without changing callers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from policies.decision import AccessDecision, ColumnMode, ColumnRule, Principal, TableRef


@dataclass(frozen=True)
class Grant:
    """A grant as configured (policy as code) or written by the governance API."""

    id: str
    table: str  # "source.table" or "source.*"
    columns: str | dict[str, str]
    user: str | None = None
    agency: str | None = None
    purposes: tuple[str, ...] = ()
    max_rows: int | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None

    def covers(self, table: TableRef) -> bool:
        source, _, name = self.table.partition(".")
        return source == table.source and name in ("*", table.table)

    def applies_to(self, principal: Principal) -> bool:
        if self.user is not None:
            return self.user == principal.name
        return self.agency == principal.agency

    def valid_on(self, day: dt.date) -> bool:
        if self.valid_from is not None and day < self.valid_from:
            return False
        return self.valid_until is None or day <= self.valid_until


class Authorizer:
    """Decides, for a principal, a table and a purpose, what the principal may do."""

    def __init__(self, grants: Sequence[Grant], version: int = 1) -> None:
        self._grants = tuple(grants)
        self.version = version

    def decide(
        self, principal: Principal, table: TableRef, purpose: str, today: dt.date | None = None
    ) -> AccessDecision:
        """Return the decision; ``allowed`` is False unless a grant allows this use."""
        day = today or dt.date.today()
        candidates = [g for g in self._grants if g.covers(table) and g.applies_to(principal)]
        if not candidates:
            return AccessDecision(table, False, reasons=("no grant names this table",))
        current = [g for g in candidates if g.valid_on(day)]
        if not current:
            return AccessDecision(
                table, False, reasons=("the grant is not valid today",), visible=True
            )
        for_purpose = [g for g in current if not g.purposes or purpose in g.purposes]
        if not for_purpose:
            allowed = sorted({p for g in current for p in g.purposes})
            return AccessDecision(
                table,
                False,
                reasons=(f"purpose {purpose!r} is not allowed; allowed: {', '.join(allowed)}",),
                visible=True,
            )
        full = [g for g in for_purpose if g.columns == "*"]
        if not full:
            return AccessDecision(
                table, False, reasons=("column-level grants are not enforced yet",), visible=True
            )
        caps = [g.max_rows for g in full if g.max_rows is not None]
        read = ColumnRule(ColumnMode.READ)
        return AccessDecision(
            table=table,
            allowed=True,
            columns={c: read for c in table.column_names()},
            max_rows=min(caps) if caps else None,
            grants=tuple(g.id for g in full),
            reasons=tuple(f"grant {g.id} allows all columns" for g in full),
            visible=True,
        )

    def grants_for(self, principal: Principal) -> list[Grant]:
        return [g for g in self._grants if g.applies_to(principal)]

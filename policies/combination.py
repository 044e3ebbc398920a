"""Which grant governs a (principal, table, purpose, day) when several name the table.

The rule, safe by construction:

1. Only the most specific grants count: a grant held by the user beats one held by their agency
   (a delegated child grant is the user's), then a grant naming the table beats a
   ``source.*`` one. Specificity is judged over every grant naming the table *before* looking
   at purpose and validity, so a narrower grant cannot be escaped by asking for another purpose
   or by waiting for it to expire: the looser, less specific grants never apply to that table.
2. Among those, the ones valid on the day and allowing the purpose are kept.
3. If several remain, their intersection governs (``policies.delegation.intersect``): every
   dimension the stricter. One grant's columns are never combined with another's looser row
   filter, row cap or purposes.

If none remains, the decision denies, naming the allowed purposes or the validity window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from policies.delegation import intersect_all
from policies.grants import Grant


@dataclass(frozen=True)
class Governing:
    """The grant that governs, or why none does."""

    grant: Grant | None
    tier: tuple[Grant, ...]
    reason: str = ""


def specificity(grant: Grant) -> tuple[int, int]:
    """Higher is more specific: (held by the user, names the table)."""
    return (1 if grant.user is not None else 0, 0 if grant.table_name == "*" else 1)


def governing(candidates: Sequence[Grant], purpose: str, day: dt.date) -> Governing:
    """Apply the rule above to the grants that name a table and apply to the principal."""
    best = max(specificity(g) for g in candidates)
    tier = tuple(g for g in candidates if specificity(g) == best)
    current = [g for g in tier if g.valid_on(day)]
    if not current:
        return Governing(None, tier, _validity_reason(tier, day))
    usable = [g for g in current if purpose in g.purposes]
    if not usable:
        allowed = sorted({p for g in current for p in g.purposes})
        if not allowed:
            return Governing(
                None, tier, "your grant on this table names no purpose; ask its data owner"
            )
        return Governing(
            None,
            tier,
            f"purpose {purpose!r} is not allowed on this table; allowed: {', '.join(allowed)}",
        )
    return Governing(intersect_all(usable), tuple(usable))


def _validity_reason(tier: Sequence[Grant], day: dt.date) -> str:
    ended = [g.valid_until for g in tier if g.valid_until is not None and g.valid_until < day]
    pending = [g.valid_from for g in tier if g.valid_from is not None and g.valid_from > day]
    if pending and not ended:
        return f"your grant on this table is valid from {min(pending).isoformat()}"
    if ended and not pending:
        return f"your grant on this table expired on {max(ended).isoformat()}"
    return f"no grant on this table is valid on {day.isoformat()}"

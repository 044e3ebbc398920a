"""Query rewrites that enforce access decisions, one rule per module, run in this order:

1. ``column_modes``         every column reference within its mode
2. ``required_conditions``  required pins present
3. ``aggregation_guard``    aggregate-only tables: shape checks, entity counts for min_group
Masks and row filters are applied in the scans sent to the sources (``masks``).
"""

from policies.rewrite import aggregation_guard, column_modes, masks, required_conditions
from policies.rewrite.aggregation_guard import GroupGuard
from policies.rewrite.required_conditions import TableScope
from policies.rewrite.usage import ColumnUse, PolicyViolation

__all__ = [
    "ColumnUse",
    "GroupGuard",
    "PolicyViolation",
    "TableScope",
    "aggregation_guard",
    "column_modes",
    "masks",
    "required_conditions",
]

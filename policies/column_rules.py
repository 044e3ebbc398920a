"""Column rules as grants write them (``read``, ``condition``, ``join``, ``mask:<kind>[:N]``):
parsing, and the stricter of two rules for delegation and overlapping grants.

>>> parse_column_rule("mask:first:1")
ColumnRule(mode=<ColumnMode.MASK: 'mask'>, mask='first:1')
>>> describe(intersect_rules(parse_column_rule("read"), parse_column_rule("condition")))
'condition'
"""

from __future__ import annotations

from policies.decision import MASK_KINDS, ColumnMode, ColumnRule

# Kinds whose parameter is required (``first:N``) versus kinds that take none (``hash``).
_PARAMETRISED = {"first", "last", "round"}
# Masks that reveal nothing of the value: when two grants mask one column differently, one of
# these is a safe common ground; two value-revealing masks of different kinds have none.
_OPAQUE = ("null", "redact")

MODE_TEXTS = ("read", "condition", "join", "mask:<kind>")


class ColumnRuleError(ValueError):
    """A column rule that is not one of the documented modes or mask kinds."""


def parse_column_rule(text: str) -> ColumnRule:
    """Return the rule ``text`` spells, or raise ``ColumnRuleError`` saying what is allowed."""
    if not isinstance(text, str):
        raise ColumnRuleError(f"a column rule is a string, one of {', '.join(MODE_TEXTS)}")
    value = text.strip()
    if value in ("read", "condition", "join"):
        return ColumnRule(ColumnMode(value))
    if not value.startswith("mask:"):
        raise ColumnRuleError(f"unknown column mode {text!r}; modes are {', '.join(MODE_TEXTS)}")
    kind, _, parameter = value[len("mask:") :].partition(":")
    if kind not in MASK_KINDS:
        raise ColumnRuleError(
            f"unknown mask kind {kind!r} in {text!r}; kinds are redact, null, first:N, last:N, "
            "hash, year_only, round:N"
        )
    if kind in _PARAMETRISED:
        try:
            number = int(parameter)
        except ValueError:
            raise ColumnRuleError(
                f"mask {kind} needs an integer parameter, e.g. mask:{kind}:"
                f"{'2' if kind == 'round' else '4'} (got {text!r})"
            ) from None
        if kind in ("first", "last") and number < 1:
            raise ColumnRuleError(f"mask {kind}:N needs N ≥ 1 (got {text!r})")
        return ColumnRule(ColumnMode.MASK, f"{kind}:{number}")
    if parameter:
        raise ColumnRuleError(f"mask {kind} takes no parameter (got {text!r})")
    return ColumnRule(ColumnMode.MASK, kind)


def describe(rule: ColumnRule | None) -> str:
    """Return the rule as a grant would write it (``mask:year_only``), or ``none``."""
    if rule is None:
        return "none"
    if rule.mode is ColumnMode.MASK:
        return f"mask:{rule.mask}"
    return rule.mode.value


# What each unmasked mode lets a query do, as sets, so "stricter" is plain set inclusion:
# condition also covers equi-joins (an ON clause is a condition), read covers everything.
_CAPABILITIES = {
    ColumnMode.READ: {"project", "condition", "join"},
    ColumnMode.CONDITION: {"condition", "join"},
    ColumnMode.JOIN: {"join"},
}


def intersect_rules(a: ColumnRule, b: ColumnRule) -> ColumnRule | None:
    """Return the rule that allows only what both allow, or None when no mode does.

    A masked column never becomes ``condition`` or ``join``: those modes work on the raw value,
    which a mask exists to hide.
    """
    if a.mode is ColumnMode.READ:
        return b
    if b.mode is ColumnMode.READ:
        return a
    if a.mode is ColumnMode.MASK or b.mode is ColumnMode.MASK:
        if a.mode is ColumnMode.MASK and b.mode is ColumnMode.MASK:
            return _intersect_masks(a, b)
        return None
    common = _CAPABILITIES[a.mode] & _CAPABILITIES[b.mode]
    for mode in (ColumnMode.READ, ColumnMode.CONDITION, ColumnMode.JOIN):
        if _CAPABILITIES[mode] == common:
            return ColumnRule(mode)
    return None


def _intersect_masks(a: ColumnRule, b: ColumnRule) -> ColumnRule | None:
    if a.mask == b.mask:
        return a
    if a.mask_kind == b.mask_kind and a.mask_kind in _PARAMETRISED:
        # Fewer characters shown / fewer decimals kept reveals less.
        smaller = min(a.mask_parameter or 0, b.mask_parameter or 0)
        return ColumnRule(ColumnMode.MASK, f"{a.mask_kind}:{smaller}")
    for opaque in _OPAQUE:
        if opaque in (a.mask_kind, b.mask_kind):
            return ColumnRule(ColumnMode.MASK, opaque)
    return None

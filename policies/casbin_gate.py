"""Casbin behind one small interface: rules derived from grants and denials, kept in the
metadata database through sqlalchemy-adapter, and asked whether actions on columns are allowed.

Nothing outside this module sees an ``Enforcer``. The enforcers here refuse to be switched off,
and an "allow" that no rule explains counts as a deny.

Cost: pycasbin evaluates its matcher against every rule (≈ 15 µs each, plus ≈ 50 µs a call).
So a decision asks a private enforcer loaded with only the rules that bear on it — the allows
of the governing grants (``policies.combination`` chose them; another grant's allow must not
lend a column the governing grant lacks) and every denial of the principal or their agency that
names the table — and asks once per action for all the columns that need it, column by column
only when that is refused. A table costs about 0.25 ms cold (see ``TableCheck``).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import casbin
import sqlalchemy as sa
from casbin.model import Model
from sqlalchemy_adapter import Adapter

from policies.decision import ColumnMode, ColumnRule, Principal, TableRef
from policies.denials import ACTIONS, Denial
from policies.grants import Grant

MODEL_TEXT = Path(__file__).with_name("model.conf").read_text(encoding="utf-8")
_RANK = {action: rank for rank, action in enumerate(ACTIONS)}
_OBJECT_LIMIT = 255  # sqlalchemy-adapter stores each field as VARCHAR(255)

Rule = tuple[str, str, str, str, str, str]  # sub, dom, obj, act, eft, ref
Link = tuple[str, str, str]  # user, agency role, domain


def action_covers(effect: str, ruled: str, requested: str) -> bool:
    """Whether a rule about ``ruled`` decides a request for ``requested``: an allow covers
    weaker actions, a deny also forbids stronger ones."""
    rule_rank, request_rank = _RANK.get(ruled), _RANK.get(requested)
    if rule_rank is None or request_rank is None:
        return False
    if effect == "allow":
        return rule_rank >= request_rank
    return request_rank >= rule_rank


def object_match(effect: str, requested: str, pattern: str) -> bool:
    """Whether a rule's object decides a request's object.

    Objects are ``source.table.columns`` where ``columns`` may list several columns of the
    table joined by ``|`` and a pattern segment may be ``*``. An allow must cover every
    requested column; a deny decides as soon as it names one of them.
    """
    source, table, columns = _segments(requested)
    rule_source, rule_table, rule_columns = _segments(pattern)
    if rule_source != source or rule_table not in ("*", table):
        return False
    if rule_columns == "*":
        return True
    named = set(rule_columns.split("|"))
    wanted = columns.split("|")
    if effect == "allow":
        return all(c in named for c in wanted)
    return any(c in named for c in wanted)


def gate_action(rule: ColumnRule, aggregate_only: bool) -> str:
    """The action a column rule needs: reading (``select``, or ``aggregate`` on an
    aggregate-only table), ``condition`` or ``join``."""
    if rule.mode in (ColumnMode.READ, ColumnMode.MASK):
        return "aggregate" if aggregate_only else "select"
    return rule.mode.value


def grant_rules(grant: Grant) -> list[Rule]:
    """The allow rules a grant stands for: one per action, naming the columns it covers
    (split so that no object is longer than the adapter's 255-character column)."""
    domain = grant.domain or "*"
    aggregate = grant.aggregate_only is not None
    prefix = f"{grant.source}.{grant.table_name}"
    if grant.columns == "*":
        read = gate_action(ColumnRule(ColumnMode.READ), aggregate)
        return [(grant.subject, domain, f"{prefix}.*", read, "allow", grant.id)]
    by_action: dict[str, list[str]] = defaultdict(list)
    for column, rule in grant.columns.items():
        by_action[gate_action(rule, aggregate)].append(column)
    return [
        (grant.subject, domain, obj, action, "allow", grant.id)
        for action in ACTIONS
        for obj in _objects(prefix, by_action.get(action, ()))
    ]


def _objects(prefix: str, columns: Sequence[str]) -> list[str]:
    objects: list[str] = []
    current: list[str] = []
    for column in columns:
        if current and len(prefix) + 1 + len("|".join([*current, column])) > _OBJECT_LIMIT:
            objects.append(f"{prefix}.{'|'.join(current)}")
            current = []
        current.append(column)
    if current:
        objects.append(f"{prefix}.{'|'.join(current)}")
    return objects


def denial_rule(denial: Denial) -> Rule:
    return (denial.subject, "*", denial.target, denial.action, "deny", denial.id)


@dataclass(frozen=True)
class Verdict:
    """Casbin's answer for one (column, action), with the rule that decided it."""

    allowed: bool
    rule: tuple[str, ...] = ()

    def explain(self) -> str:
        return "[" + ", ".join(self.rule) + "]" if self.rule else "no rule allows it"


class _Enforcer(casbin.Enforcer):
    """An enforcer that cannot be switched off (pycasbin's allows everything when it is)."""

    def enable_enforce(self, enabled: bool = True) -> None:
        if not enabled:
            raise PermissionError("policy enforcement cannot be switched off")
        super().enable_enforce(True)


def _new_enforcer(adapter: Adapter | None = None) -> _Enforcer:
    model = Model()
    model.load_model_from_text(MODEL_TEXT)
    enforcer = _Enforcer(model, adapter)
    enforcer.add_function("objectMatch", object_match)
    enforcer.add_function("actionCovers", action_covers)
    return enforcer


class TableCheck:
    """Casbin's view of one principal and one table: ask it about columns."""

    def __init__(self, principal: Principal, rules: Sequence[Rule]) -> None:
        self._enforcer = _new_enforcer()
        self._subject = f"user:{principal.name}"
        self._domain = principal.agency
        if rules:
            self._enforcer.add_policies([list(r) for r in rules])
        self._enforcer.add_named_grouping_policy(
            "g", self._subject, f"agency:{principal.agency}", principal.agency
        )

    def check(self, table: TableRef, columns: Sequence[str], action: str) -> Verdict:
        """Whether ``action`` is allowed on every one of ``columns``."""
        if not self._enforcer.enabled:  # defence in depth: never trust a disabled enforcer
            return Verdict(False)
        obj = f"{table.source}.{table.table}.{'|'.join(columns)}"
        allowed, rule = self._enforcer.enforce_ex(self._subject, self._domain, obj, action)
        rule = tuple(rule)
        if allowed and (len(rule) < 5 or rule[4] != "allow"):
            return Verdict(False)
        return Verdict(bool(allowed), rule)


class CasbinGate:
    """The Casbin rules of all grants and denials, stored in the metadata database."""

    def __init__(self, engine: sa.Engine) -> None:
        self._lock = threading.Lock()
        self._master = _new_enforcer(Adapter(engine))
        self._allows: dict[str, list[Rule]] = {}
        self._denies: dict[str, list[Rule]] = {}

    def sync(
        self, grants: Iterable[Grant], denials: Iterable[Denial], members: Mapping[str, str]
    ) -> bool:
        """Make the stored rules those of ``grants``, ``denials`` and the agency memberships
        (user → agency); return whether the database had to change."""
        rules = list(dict.fromkeys(r for g in grants for r in grant_rules(g)))
        rules += [denial_rule(d) for d in denials]
        links: list[Link] = [(f"user:{u}", f"agency:{a}", a) for u, a in sorted(members.items())]
        with self._lock:
            self._master.load_policy()
            stored = {tuple(r) for r in self._master.get_policy()}
            stored_links = {tuple(g) for g in self._master.get_named_grouping_policy("g")}
            changed = stored != set(rules) or stored_links != set(links)
            if changed:
                self._master.enable_auto_save(False)
                self._master.clear_policy()
                if rules:
                    self._master.add_policies([list(r) for r in rules])
                if links:
                    self._master.add_named_grouping_policies("g", [list(g) for g in links])
                self._master.save_policy()
                self._master.enable_auto_save(True)
            self._index(_rule(r) for r in self._master.get_policy())
        return changed

    def for_table(
        self, principal: Principal, table: TableRef, governing: Iterable[str]
    ) -> TableCheck:
        """Casbin for ``principal`` on ``table``, allowed only what the governing grants
        (by id) allow there, and every denial of the principal or their agency."""
        with self._lock:
            rules = [r for ref in governing for r in self._allows.get(ref, ())]
            for subject in (f"user:{principal.name}", f"agency:{principal.agency}"):
                rules += self._denies.get(subject, ())
        return TableCheck(principal, [r for r in rules if object_match("deny", _all(table), r[2])])

    def _index(self, rules: Iterable[Rule]) -> None:
        allows: dict[str, list[Rule]] = defaultdict(list)
        denies: dict[str, list[Rule]] = defaultdict(list)
        for rule in rules:
            if rule[4] == "allow":
                allows[rule[5]].append(rule)
            else:
                denies[rule[0]].append(rule)
        self._allows, self._denies = dict(allows), dict(denies)


def _rule(values: Sequence[str]) -> Rule:
    sub, dom, obj, act, eft, ref = values
    return sub, dom, obj, act, eft, ref


def _segments(obj: str) -> tuple[str, str, str]:
    source, _, rest = obj.partition(".")
    table, _, column = rest.rpartition(".")
    return source, table, column


def _all(table: TableRef) -> str:
    """The object naming every column of ``table``."""
    return f"{table.source}.{table.table}.{'|'.join(table.column_names())}"

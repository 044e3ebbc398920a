"""From SQL + principal + purpose to an immutable QueryPlan.

Order: guard (engine.sql) → resolve and decide per table (catalog, policies) → qualify and bind
columns (engine.binding) → column checks → pushdown (engine.pushdown) → one ScanRequest per
table reference → the query DuckDB runs over the registered scans.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
import sqlglot
import sqlglot.errors
from sqlglot import exp

from adapters import Pushdown, ScanColumn, ScanRequest, SourceAdapter
from engine.aggregate_pushdown import plan_aggregate
from engine.binding import TableUse, bind
from engine.catalog import Catalog
from engine.enforcement import enforce, is_masked
from engine.errors import AccessDenied, InvalidQuery
from engine.output_names import OutputNamer, rename_outputs, unnamed_outputs
from engine.plan import FilterNote, PlannedScan, QueryPlan, TableAccess
from engine.pushdown import (
    ConstantFolder,
    Shaped,
    conjuncts,
    equi_join_pairs,
    leakproof,
    null_rejecting,
    pin_values,
    same_family,
    shape,
    shape_predicate,
)
from engine.sql import DIALECT, parse_query
from policies import AccessDecision, Authorizer, ColumnMode, Principal, TableRef
from policies.rewrite import masks

_ONE = "__civicfed_one"


class Planner:
    """Plans queries; keeps an LRU cache keyed by normalised SQL, user, purpose and policy."""

    def __init__(
        self,
        catalog: Catalog,
        authorizer: Callable[[], Authorizer],
        cache_size: int = 512,
        mask_key: str = "",
    ) -> None:
        self._mask_key = mask_key
        self.catalog = catalog
        self._authorizer = authorizer
        self._folder = ConstantFolder()
        self._namer = OutputNamer()
        self._cache: OrderedDict[tuple[str, str, str, int], QueryPlan] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def plan(self, sql: str, principal: Principal, purpose: str) -> QueryPlan:
        authorizer = self._authorizer()
        key = (sql, principal.name, purpose, authorizer.version)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        plan = self._plan(sql, principal, purpose, authorizer)
        with self._lock:
            self._cache[key] = plan
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return plan

    def _plan(
        self, sql: str, principal: Principal, purpose: str, authorizer: Authorizer
    ) -> QueryPlan:
        tree = parse_query(sql)

        def resolve(source: str, table: str, typed: str) -> tuple[TableRef, AccessDecision]:
            ref = self.catalog.resolve(source, table, typed)
            decision = authorizer.decide(principal, ref, purpose)
            if not decision.allowed:
                if not decision.visible:
                    raise InvalidQuery(f"table {typed} does not exist or is not granted to you")
                raise AccessDenied(f"{typed}: {'; '.join(decision.reasons)}")
            return ref, decision

        unnamed = unnamed_outputs(tree)
        tree, uses = bind(tree, resolve)
        if unnamed:
            names = self._namer.names(sql, {u.ref for u in uses})
            if names is not None:
                rename_outputs(tree, names)
        enforcement = enforce(tree, uses)
        candidates = _Candidates(uses, self._folder).collect()
        # Scan names are unguessable, so no text in a query can name one.
        prefix = f"__scan_{secrets.token_hex(8)}_"
        scans = []
        for index, use in enumerate(uses):
            scans.append(self._scan(f"{prefix}{index + 1}", use, candidates.get(index, [])))
        for use, scan in zip(uses, scans, strict=True):
            use.node.set("this", exp.to_identifier(scan.name, quoted=True))
            use.node.set("db", None)
            use.node.set("catalog", None)
        caps = [u.decision.max_rows for u in uses if u.decision.max_rows is not None]
        return QueryPlan(
            sql=sql,
            user=principal.name,
            purpose=purpose,
            executed_sql=tree.sql(dialect=DIALECT),
            scans=tuple(scans),
            tables=_table_access(uses),
            max_rows=min(caps) if caps else None,
            policy_version=authorizer.version,
            group_guard=enforcement.guard,
        )

    def _scan(self, name: str, use: TableUse, offered: list[_Offer]) -> PlannedScan:
        ref = use.ref
        adapter = self.catalog.adapter(ref.source)
        schema = self.catalog.schema(ref.source, ref.table)
        by_lower = {name.lower(): name for name in schema.names}
        used = {by_lower[c.lower()] for c in use.columns if c.lower() in by_lower}
        columns = tuple(
            self._scan_column(use, f, adapter.dialect, adapter.kind)
            for f in schema
            if f.name in used
        ) or (ScanColumn(_ONE, exp.Literal.number(1), pa.int32()),)
        pushed, notes = self._row_filter(use, adapter, by_lower)
        exprs = [_rename(o.expression, by_lower) for o in offered]
        asked = [e for e, o in zip(exprs, offered, strict=True) if o.declined is None]
        verdicts = iter(adapter.judge_filters(ref.table, asked) if asked else [])
        for expr, offer in zip(exprs, offered, strict=True):
            if offer.declined is not None:
                notes.append(
                    FilterNote(expr.sql(DIALECT), "unsupported", offer.declined, offer.derived)
                )
                continue
            verdict = next(verdicts)
            if verdict.pushdown is not Pushdown.UNSUPPORTED:
                pushed.append(expr)
            reason = verdict.reason
            if offer.origin is not None:
                reason += f"; rewritten from {_rename(offer.origin, by_lower).sql(DIALECT)}"
            notes.append(
                FilterNote(expr.sql(DIALECT), verdict.pushdown.value, reason, offer.derived)
            )
        limit = _pushable_limit(use, [n for n in notes if not n.policy])
        request = ScanRequest(ref.table, columns, tuple(pushed), limit)
        aggregate = None
        if not any(r.mode is ColumnMode.MASK for r in use.decision.columns.values()):
            aggregate = plan_aggregate(use, [n for n in notes if not n.policy], schema, self._namer)
        if aggregate is not None:
            verdict = adapter.judge_aggregates(
                ref.table, aggregate.aggregate_columns, aggregate.group_by
            )
            if verdict.pushdown is Pushdown.EXACT:
                aggregate.apply()
                request = ScanRequest(
                    ref.table, aggregate.columns, tuple(pushed), None, aggregate.group_by
                )
        return PlannedScan(
            name=name,
            source=ref.source,
            kind=adapter.kind,
            table=ref.table,
            alias=use.alias,
            request=request,
            statement=adapter.render(request),
            filters=tuple(notes),
            materialize=use.in_recursive_cte,
        )

    def _scan_column(
        self, use: TableUse, field: pa.Field, dialect: str | None, kind: str
    ) -> ScanColumn:
        """The column as the source must send it: raw, or masked at the source."""
        column = exp.column(field.name, quoted=True)
        rule = use.decision.columns.get(field.name)
        if rule is None or rule.mode is not ColumnMode.MASK:
            return ScanColumn(field.name, column, field.type)
        sql_type = use.ref.column_type(field.name) or "VARCHAR"
        masked = masks.expression(rule, field.name, sql_type, dialect, self._mask_key)
        if masked is None:
            raise AccessDenied(
                f"{field.name} is granted masked ({rule.mask}), which source {use.ref.source} "
                f"({kind}) cannot compute; ask the data owner for another mask"
            )
        arrow = pa.string() if masks.result_type(rule, sql_type) == "VARCHAR" else field.type
        return ScanColumn(field.name, masked, arrow)

    def _row_filter(
        self, use: TableUse, adapter: SourceAdapter, by_lower: dict[str, str]
    ) -> tuple[list[exp.Expr], list[FilterNote]]:
        """The grant's row filter as exact source filters (invariant 2), or a refusal."""
        text = use.decision.row_filter
        if not text:
            return [], []
        refused = AccessDenied(
            f"{use.ref.name} has a row filter its source cannot apply exactly; "
            "ask the data owner to review the grant"
        )
        try:
            condition = sqlglot.parse_one(text, dialect=DIALECT)
        except sqlglot.errors.SqlglotError:
            raise refused from None
        for column in condition.find_all(exp.Column):
            column.set("table", exp.to_identifier(use.alias))
        types = dict(use.ref.columns)
        shaped = [shape(c, use.alias, self._folder, types) for c in conjuncts(condition)]
        if any(s is None for s in shaped):
            raise refused
        filters = [_rename(s, by_lower) for s in shaped if s is not None]
        verdicts = adapter.judge_filters(use.ref.table, filters)
        if any(v.pushdown is not Pushdown.EXACT for v in verdicts):
            raise refused
        notes = [
            FilterNote(f.sql(DIALECT), "exact", "row filter of the grant", policy=True)
            for f in filters
        ]
        return filters, notes

    def close(self) -> None:
        self._folder.close()
        self._namer.close()


def _bare_columns(predicate: exp.Expr, alias: str) -> exp.Expr:
    """The predicate with ``alias``'s columns unqualified, as a source would read them."""

    def bare(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and node.table == alias:
            return exp.column(node.name, quoted=True)
        return node

    unwrapped = predicate.unnest() if isinstance(predicate, exp.Paren) else predicate
    return unwrapped.copy().transform(bare)


def _rename(expression: exp.Expr, by_lower: dict[str, str]) -> exp.Expr:
    def fix(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column):
            return exp.column(by_lower.get(node.name.lower(), node.name), quoted=True)
        return node

    return expression.transform(fix)


def _table_access(uses: list[TableUse]) -> tuple[TableAccess, ...]:
    merged: dict[str, tuple[set[str], tuple[str, ...]]] = {}
    for use in uses:
        cols, _ = merged.setdefault(use.ref.name, (set(), use.decision.grants))
        cols.update(use.columns)
    return tuple(TableAccess(t, tuple(sorted(c)), g) for t, (c, g) in merged.items())


def _pushable_limit(use: TableUse, notes: list[FilterNote]) -> int | None:
    """A LIMIT can be cut at the scan only when nothing between the scan and it drops rows."""
    scope = use.scope
    if scope is None or not isinstance(scope.expression, exp.Select):
        return None
    select = scope.expression
    limit = select.args.get("limit")
    if limit is None or select.args.get("joins") or len(scope.sources) != 1:
        return None
    if any(select.args.get(k) for k in ("group", "having", "order", "distinct", "qualify")):
        return None
    if any(e.find(exp.AggFunc, exp.Window) for e in select.expressions):
        return None
    where = select.args.get("where")
    if where is not None:
        own = [n for n in notes if not n.derived]
        if len(own) != len(conjuncts(where.this)) or any(n.verdict != "exact" for n in own):
            return None
    count = _int_literal(limit.expression)
    offset_node = select.args.get("offset")
    offset = 0 if offset_node is None else _int_literal(offset_node.expression)
    if count is None or offset is None:
        return None
    return count + offset


def _disjuncts(condition: exp.Expr) -> list[exp.Expr]:
    node = condition.unnest() if isinstance(condition, exp.Paren) else condition
    if isinstance(node, exp.Or):
        return _disjuncts(node.left) + _disjuncts(node.right)
    return [node]


def _int_literal(node: exp.Expr | None) -> int | None:
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return int(node.this)
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class _Offer:
    """A predicate over one table use: offered to its source, or kept above and why."""

    expression: exp.Expr  # over the table's own unqualified columns
    derived: bool  # carried over a join, or implied by an OR across tables
    origin: exp.Expr | None = None  # what a rewritten predicate was, as written
    declined: str | None = None  # set when the source is not asked: the reason


class _Candidates:
    """Collects, per table use, the predicates to offer its source, and the ones over a single
    table that stay above its scan with the reason (EXPLAIN lists both)."""

    def __init__(self, uses: list[TableUse], folder: ConstantFolder) -> None:
        self.uses = uses
        self.folder = folder
        self.found: dict[int, list[_Offer]] = {}

    def collect(self) -> dict[int, list[_Offer]]:
        scopes: dict[int, list[int]] = {}
        for i, use in enumerate(self.uses):
            if use.scope is not None:
                scopes.setdefault(id(use.scope), []).append(i)
        for indexes in scopes.values():
            self._scope(indexes)
        return self.found

    def _scope(self, indexes: list[int]) -> None:
        scope = self.uses[indexes[0]].scope
        assert scope is not None
        select = scope.expression
        if not isinstance(select, exp.Select):
            return
        by_alias = {self.uses[i].alias: i for i in indexes}
        from_ = select.args.get("from_")
        order = [from_.this.alias_or_name] if from_ is not None else []
        nullable: set[str] = set()
        # (condition conjuncts, aliases they may be pushed to, whether equalities propagate)
        sections: list[tuple[list[exp.Expr], set[str] | None]] = []
        directed: list[tuple[exp.Column, exp.Column]] = []
        symmetric: list[tuple[exp.Column, exp.Column]] = []
        for join in select.args.get("joins") or []:
            alias = join.this.alias_or_name
            side, kind = (join.side or "").upper(), (join.kind or "").upper()
            on = conjuncts(join.args.get("on"))
            if side == "LEFT":
                nullable.add(alias)
                sections.append((on, {alias}))
                directed += [
                    (a, b) if b.table == alias else (b, a)
                    for a, b in equi_join_pairs(on)
                    if alias in (a.table, b.table)
                ]
            elif side == "RIGHT":
                nullable.update(order)
                sections.append((on, set(order)))
            elif side == "FULL":
                nullable.update(order)
                nullable.add(alias)
            elif kind in ("SEMI", "ANTI"):
                sections.append((on, {alias}))
            else:
                sections.append((on, None))
                symmetric += equi_join_pairs(on)
            order.append(alias)
        where = select.args.get("where")
        where_conj = conjuncts(where.this) if where is not None else []
        sections.append((where_conj, None))
        symmetric += [
            (a, b)
            for a, b in equi_join_pairs(where_conj)
            if a.table not in nullable and b.table not in nullable
        ]

        pins: list[tuple[str, str, list[exp.Expr]]] = []
        for conj, allowed in sections:
            for predicate in conj:
                if predicate.find(exp.Subquery, exp.Select, exp.AggFunc, exp.Window):
                    continue
                aliases = {c.table for c in predicate.find_all(exp.Column)}
                if len(aliases) > 1 and allowed is None and isinstance(predicate.unnest(), exp.Or):
                    self._implied_by_or(predicate.unnest(), by_alias, nullable)
                    continue
                if len(aliases) != 1:
                    continue
                (alias,) = aliases
                if alias not in by_alias or (allowed is not None and alias not in allowed):
                    continue
                index = by_alias[alias]
                if self._masked(index, predicate):
                    # A masked column's predicate must see the masked value.
                    self._decline(index, predicate, "it reads a masked column")
                    continue
                if allowed is None and alias in nullable and not null_rejecting(predicate):
                    self._decline(
                        index, predicate, "a row the outer join adds (all NULL) could satisfy it"
                    )
                    continue
                result = shape_predicate(predicate, alias, self.folder, self._types(index))
                if not isinstance(result, Shaped):
                    self._decline(index, predicate, str(result))
                    continue
                shaped = result.expression
                origin = _bare_columns(predicate, alias) if result.rewritten else None
                self._offer(index, shaped, derived=False, origin=origin)
                pin = pin_values(shaped)
                if pin is not None and (allowed is not None or alias not in nullable):
                    pins.append((alias, pin[0], pin[1]))
        self._propagate(pins, symmetric, directed, by_alias)

    def _implied_by_or(
        self, predicate: exp.Expr, by_alias: dict[str, int], nullable: set[str]
    ) -> None:
        """From ``(a1 AND b1) OR (a2 AND b2)`` offer ``a1 OR a2`` to a's table: every row the
        whole predicate keeps satisfies it, so it narrows the read without changing the answer.
        """
        branches = _disjuncts(predicate)
        for alias, index in by_alias.items():
            if alias in nullable:
                continue
            parts = []
            for branch in branches:
                own = [
                    c
                    for c in conjuncts(branch)
                    if {col.table for col in c.find_all(exp.Column)} == {alias}
                    and not c.find(exp.Subquery, exp.Select, exp.AggFunc, exp.Window)
                ]
                types = self._types(index)
                shaped = [s for s in (shape(c, alias, self.folder, types) for c in own) if s]
                if not shaped:
                    break
                parts.append(exp.and_(*shaped) if len(shaped) > 1 else shaped[0])
            else:
                implied = exp.or_(*[exp.paren(p) for p in parts]) if len(parts) > 1 else parts[0]
                self._offer(index, implied, derived=True)

    def _propagate(
        self,
        pins: list[tuple[str, str, list[exp.Expr]]],
        symmetric: list[tuple[exp.Column, exp.Column]],
        directed: list[tuple[exp.Column, exp.Column]],
        by_alias: dict[str, int],
    ) -> None:
        edges: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for a, b in symmetric:
            edges.setdefault((a.table, a.name), []).append((b.table, b.name))
            edges.setdefault((b.table, b.name), []).append((a.table, a.name))
        for a, b in directed:
            edges.setdefault((a.table, a.name), []).append((b.table, b.name))
        seen = {(alias, col) for alias, col, _ in pins}
        queue = list(pins)
        while queue:
            alias, col, values = queue.pop()
            for target_alias, target_col in edges.get((alias, col), []):
                if (target_alias, target_col) in seen or target_alias not in by_alias:
                    continue
                if alias not in by_alias:
                    continue
                if is_masked(self.uses[by_alias[target_alias]], target_col) or is_masked(
                    self.uses[by_alias[alias]], col
                ):
                    continue
                source_type = self._type(by_alias[alias], col)
                target_type = self._type(by_alias[target_alias], target_col)
                if not same_family(source_type, target_type):
                    continue
                seen.add((target_alias, target_col))
                column = exp.column(target_col, quoted=True)
                derived = (
                    exp.EQ(this=column, expression=values[0].copy())
                    if len(values) == 1
                    else exp.In(this=column, expressions=[v.copy() for v in values])
                )
                self._offer(by_alias[target_alias], derived, derived=True)
                queue.append((target_alias, target_col, values))

    def _masked(self, index: int, predicate: exp.Expr) -> bool:
        use = self.uses[index]
        return any(is_masked(use, c.name) for c in predicate.find_all(exp.Column))

    def _types(self, index: int) -> dict[str, str]:
        return dict(self.uses[index].ref.columns)

    def _type(self, index: int, column: str) -> str:
        for name, sql_type in self.uses[index].ref.columns:
            if name.lower() == column.lower():
                return sql_type
        return ""

    def _offer(
        self, index: int, expression: exp.Expr, derived: bool, origin: exp.Expr | None = None
    ) -> None:
        declined = None
        if self.uses[index].decision.row_filter and not leakproof(expression):
            if derived:
                return  # implied by an OR the query keeps above anyway: nothing to show
            # DESIGN invariant 3: the source may evaluate it on rows the grant hides, and a
            # function that fails there would tell the user they exist.
            declined = "it calls a function, which is not evaluated below the grant's row filter"
        existing = self.found.setdefault(index, [])
        if all(o.expression != expression for o in existing):
            existing.append(_Offer(expression, derived, origin, declined))

    def _decline(self, index: int, predicate: exp.Expr, reason: str) -> None:
        alias = self.uses[index].alias
        existing = self.found.setdefault(index, [])
        existing.append(_Offer(_bare_columns(predicate, alias), False, declined=reason))

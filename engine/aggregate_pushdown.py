"""Partial aggregation at the source.

When a SELECT reads a single table, its whole WHERE went to the source exactly, and its
aggregates are SUM/COUNT/MIN/MAX/AVG over columns (or + - * of them), the source computes one
row per group and DuckDB re-aggregates those rows: SUM of sums, SUM of counts, MIN of minimums,
and AVG as SUM/COUNT. Each re-aggregate is cast to the type DuckDB itself gives the original, so
results keep DuckDB's types; a million-row aggregate crosses the wire as a few rows.

    SELECT k, sum(x) AS s FROM src.t WHERE d > DATE '2024-01-01' GROUP BY k
    → source: SELECT "k", SUM("x") AS "agg_1" FROM "t" WHERE "d" > '2024-01-01' GROUP BY "k"
    → DuckDB: SELECT t.k, CAST(SUM(t.agg_1) AS DECIMAL(38,2)) AS s FROM scan_1 AS t GROUP BY t.k
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
from sqlglot import exp

from adapters import ScanColumn
from engine.binding import TableUse
from engine.output_names import OutputNamer
from engine.plan import FilterNote
from engine.pushdown import conjuncts
from engine.sql import DIALECT

_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Paren, exp.Neg)
_AGGREGATES = (exp.Sum, exp.Count, exp.Min, exp.Max, exp.Avg)


@dataclass
class PushedAggregate:
    """What to ask the source for and how to rewrite the query above it."""

    select: exp.Select
    group_by: tuple[exp.Expr, ...]
    columns: tuple[ScanColumn, ...]
    replacements: list[tuple[exp.Expr, exp.Expr]]

    @property
    def aggregate_columns(self) -> tuple[ScanColumn, ...]:
        return self.columns[len(self.group_by) :]

    def apply(self) -> None:
        """Rewrite the query above the scan: re-aggregate, and drop the WHERE the source ran."""
        for node, replacement in self.replacements:
            node.replace(replacement)
        self.select.set("where", None)


def plan_aggregate(
    use: TableUse,
    notes: list[FilterNote],
    schema: pa.Schema,
    namer: OutputNamer,
) -> PushedAggregate | None:
    """Return the partial aggregation for ``use``, or None when it cannot be pushed."""
    scope = use.scope
    if scope is None or not isinstance(scope.expression, exp.Select):
        return None
    select = scope.expression
    if len(scope.sources) != 1 or select.args.get("joins") or select.args.get("laterals"):
        return None
    if any(select.args.get(k) for k in ("distinct", "qualify", "pivots")):
        return None
    group = select.args.get("group")
    if group is not None and any(
        group.args.get(k) for k in ("rollup", "cube", "grouping_sets", "all", "totals")
    ):
        return None
    region = [*select.expressions, select.args.get("having"), select.args.get("order")]
    region = [r for r in region if r is not None]
    if any(r.find(exp.Window, exp.Subquery, exp.Select) for r in region):
        return None
    aggregates = [a for r in region for a in r.find_all(exp.AggFunc)]
    if not aggregates or any(not _pushable(a, use.alias) for a in aggregates):
        return None
    if not _where_fully_pushed(select, notes):
        return None
    keys = _group_keys(group, use.alias)
    if keys is None:
        return None
    # Every column outside an aggregate must be a group key, and nothing may read the table
    # from another scope (a correlated subquery would need its raw rows).
    where = select.args.get("where")
    for name, nodes in use.columns.items():
        for node in nodes:
            if node.find_ancestor(exp.Select) is not select:
                return None
            in_where = where is not None and node.find_ancestor(exp.Where) is where
            if not in_where and node.find_ancestor(exp.AggFunc) is None and name not in keys:
                return None
    return _build(select, use, aggregates, keys, schema, namer)


def _pushable(aggregate: exp.Expr, alias: str) -> bool:
    if not isinstance(aggregate, _AGGREGATES) or isinstance(aggregate.parent, exp.Filter):
        return False
    if aggregate.find_ancestor(exp.AggFunc) is not None:
        return False
    argument = aggregate.this
    if isinstance(aggregate, exp.Count) and isinstance(argument, exp.Star):
        return True
    if argument is None or isinstance(argument, exp.Distinct):
        return False
    if any(v for k, v in aggregate.args.items() if k != "this"):
        return False
    if isinstance(aggregate, (exp.Min, exp.Max)):
        return isinstance(argument, exp.Column) and argument.table == alias
    for node in argument.walk():
        if isinstance(node, exp.Column):
            if node.table != alias:
                return False
        elif isinstance(node, exp.Literal):
            if node.is_string:
                return False
        elif not isinstance(node, (*_ARITHMETIC, exp.Identifier)):
            return False
    return True


def _where_fully_pushed(select: exp.Select, notes: list[FilterNote]) -> bool:
    where = select.args.get("where")
    if where is None:
        return True
    own = [n for n in notes if not n.derived]
    return len(own) == len(conjuncts(where.this)) and all(n.verdict == "exact" for n in own)


def _group_keys(group: exp.Group | None, alias: str) -> list[str] | None:
    if group is None:
        return []
    keys = []
    for item in group.expressions:
        if not (isinstance(item, exp.Column) and item.table == alias):
            return None
        if item.name not in keys:
            keys.append(item.name)
    return keys


def _bare(expression: exp.Expr) -> exp.Expr:
    def strip(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column):
            return exp.column(node.name, quoted=True)
        return node

    return expression.copy().transform(strip)


def _build(
    select: exp.Select,
    use: TableUse,
    aggregates: list[exp.Expr],
    keys: list[str],
    schema: pa.Schema,
    namer: OutputNamer,
) -> PushedAggregate | None:
    partials: list[exp.Expr] = []  # partial aggregates over bare columns, deduplicated by text
    index: dict[str, int] = {}

    def partial(expression: exp.Expr) -> int:
        text = expression.sql(DIALECT)
        if text not in index:
            index[text] = len(partials)
            partials.append(expression)
        return index[text]

    plans: list[tuple[exp.Expr, str, list[int]]] = []  # (node, kind, partial indexes)
    for aggregate in aggregates:
        argument = aggregate.this
        if isinstance(aggregate, exp.Count):
            arg = exp.Star() if isinstance(argument, exp.Star) else _bare(argument)
            plans.append((aggregate, "count", [partial(exp.Count(this=arg))]))
        elif isinstance(aggregate, exp.Avg):
            bare = _bare(argument)
            plans.append(
                (aggregate, "avg", [partial(exp.Sum(this=bare)), partial(exp.Count(this=bare))])
            )
        else:
            kind = type(aggregate).__name__.lower()
            plans.append((aggregate, kind, [partial(type(aggregate)(this=_bare(argument)))]))

    table = f'"{use.ref.source}"."{use.ref.table}"'
    probe = ", ".join(
        [p.sql(DIALECT) for p in partials] + [_bare(a).sql(DIALECT) for a in aggregates]
    )
    described = namer.describe(f"SELECT {probe} FROM {table}", [use.ref])
    if described is None:
        return None
    partial_types = [t for _, t in described[: len(partials)]]
    native_types = [t for _, t in described[len(partials) :]]
    arrow_types = [_arrow_type(t) for t in partial_types]
    if any(t is None for t in arrow_types):
        return None

    by_name = {f.name.lower(): f for f in schema}
    columns = [
        ScanColumn(
            by_name[k.lower()].name,
            exp.column(by_name[k.lower()].name, quoted=True),
            by_name[k.lower()].type,
        )
        for k in keys
    ]
    for i, (expression, arrow) in enumerate(zip(partials, arrow_types, strict=True)):
        assert arrow is not None
        columns.append(ScanColumn(f"agg_{i + 1}", expression, arrow))

    replacements: list[tuple[exp.Expr, exp.Expr]] = []
    for (node, kind, parts), native in zip(plans, native_types, strict=True):
        refs = [exp.column(f"agg_{p + 1}", table=use.alias, quoted=True) for p in parts]
        if kind == "avg":
            if native != "DOUBLE":
                return None
            total = exp.cast(exp.Sum(this=refs[0]), exp.DataType.Type.DOUBLE)
            count = exp.cast(exp.Sum(this=refs[1]), exp.DataType.Type.DOUBLE)
            replacement: exp.Expr = exp.Div(this=total, expression=count)
        elif kind in ("count", "sum"):
            replacement = exp.cast(exp.Sum(this=refs[0]), exp.DataType.build(native))
        else:
            replacement = type(node)(this=refs[0])
        replacements.append((node, exp.paren(replacement)))
    group_by = tuple(exp.column(c.name, quoted=True) for c in columns[: len(keys)])
    return PushedAggregate(select, group_by, tuple(columns), replacements)


def _arrow_type(sql_type: str) -> pa.DataType | None:
    t = sql_type.upper()
    simple: dict[str, pa.DataType] = {
        "BIGINT": pa.int64(),
        "INTEGER": pa.int32(),
        "SMALLINT": pa.int16(),
        "TINYINT": pa.int8(),
        "DOUBLE": pa.float64(),
        "FLOAT": pa.float32(),
        "DATE": pa.date32(),
        "VARCHAR": pa.string(),
        "BOOLEAN": pa.bool_(),
        "TIMESTAMP": pa.timestamp("us"),
        "HUGEINT": pa.decimal128(38, 0),
    }
    if t in simple:
        return simple[t]
    if t.startswith("DECIMAL(") and t.endswith(")"):
        precision, scale = (int(x) for x in t[8:-1].split(","))
        return pa.decimal128(precision, scale)
    return None

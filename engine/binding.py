"""Qualify a query against the catalog and bind every column to the table it reads.

After ``bind``, each catalog table reference in the tree is a ``TableUse`` that knows which of
its columns the query touches. Whole-row references (``SELECT p FROM t p``, ``p.*`` inside a
function) are refused here: they would read columns no check ever saw.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.errors import OptimizeError, SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, traverse_scope
from sqlglot.schema import MappingSchema

from engine.errors import InvalidQuery
from engine.sql import DIALECT
from policies import AccessDecision, TableRef


@dataclass
class TableUse:
    """One reference to a catalog table in the query (a table read twice is two uses)."""

    node: exp.Table
    ref: TableRef
    decision: AccessDecision
    alias: str
    scope: Scope | None = None
    columns: dict[str, list[exp.Column]] = field(default_factory=dict)
    in_recursive_cte: bool = False


Resolver = Callable[[str, str, str], tuple[TableRef, AccessDecision]]


def catalog_tables(tree: exp.Expr) -> list[exp.Table]:
    """Return the table nodes that name catalog tables (``source.table``), refusing other names.

    A one-part name must be a CTE visible in its own scope; anything else reads like a table
    that does not exist (an unscoped name could otherwise reach an internal scan).
    """
    cte_references: set[int] = set()
    for scope in traverse_scope(tree):
        for table in scope.tables:
            if isinstance(scope.sources.get(table.alias_or_name), Scope):
                cte_references.add(id(table))
    tables = []
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            continue  # UNNEST and friends are checked by the SQL guard
        if table.args.get("db") is None:
            if id(table) in cte_references:
                continue
            raise InvalidQuery(
                f"table {table.sql(DIALECT)} does not exist or is not granted to you;"
                " name tables as source.table"
            )
        tables.append(table)
    return tables


def bind(tree: exp.Query, resolve: Resolver) -> tuple[exp.Query, list[TableUse]]:
    """Qualify ``tree`` in place and return it with one TableUse per catalog table reference."""
    nodes = catalog_tables(tree)
    resolved: dict[tuple[str, str], tuple[TableRef, AccessDecision]] = {}
    for node in nodes:
        key = (node.db, node.name)
        if key not in resolved:
            resolved[key] = resolve(node.db, node.name, node.sql(DIALECT))
    schema = _schema(resolved)
    _trim_exists_subqueries(tree)
    try:
        tree = qualify(
            tree,
            schema=schema,
            dialect=DIALECT,
            validate_qualify_columns=True,
            expand_stars=True,
            quote_identifiers=True,
            identify=True,
        )
    except OptimizeError as exc:
        raise InvalidQuery(_qualify_message(str(exc))) from None
    except SqlglotError as exc:
        raise InvalidQuery(f"the query could not be analysed: {str(exc).splitlines()[0]}") from None

    uses: dict[int, TableUse] = {}
    for node in tree.find_all(exp.Table):
        if node.args.get("db") is None or not isinstance(node.this, exp.Identifier):
            continue
        ref, decision = resolved[(node.db, node.name)]
        uses[id(node)] = TableUse(node, ref, decision, node.alias_or_name)
    _refuse_whole_row_references(tree)
    _bind_columns(tree, uses)
    return tree, list(uses.values())


def _trim_exists_subqueries(tree: exp.Expr) -> None:
    """EXISTS only asks whether a row exists: read no columns for its select list.

    ``EXISTS (SELECT * FROM lineitem …)`` would otherwise fetch every lineitem column.
    """
    for exists in tree.find_all(exp.Exists):
        select = exists.this
        if isinstance(select, exp.Subquery):
            select = select.unnest()
        if not isinstance(select, exp.Select):
            continue
        if any(select.args.get(k) for k in ("group", "having", "qualify", "distinct", "order")):
            continue
        if any(e.find(exp.AggFunc, exp.Window) for e in select.expressions):
            continue
        select.set("expressions", [exp.Literal.number(1)])


def _schema(resolved: Mapping[tuple[str, str], tuple[TableRef, AccessDecision]]) -> MappingSchema:
    full: dict[str, object] = {}
    visible: dict[str, object] = {}
    for (source, table), (ref, decision) in resolved.items():
        full.setdefault(source, {})[table] = dict(ref.columns)  # type: ignore[index]
        visible.setdefault(source, {})[table] = list(  # type: ignore[index]
            decision.projectable_columns()
        )
    return MappingSchema(full, visible=visible, dialect=DIALECT)


def _qualify_message(message: str) -> str:
    first = message.splitlines()[0]
    if first.startswith("Column '") and "could not be resolved" in first:
        name = first.split("'")[1]
        return f"column {name} does not exist in the tables of the query"
    if "ambiguous" in first.lower():
        names = first.split("'")
        name = names[1] if len(names) > 2 else "a column"
        return f"column {name} is ambiguous; qualify it with its table alias"
    return f"the query could not be analysed: {first.split('. Line')[0]}"


def _refuse_whole_row_references(tree: exp.Expr) -> None:
    table_column = getattr(exp, "TableColumn", None)
    if table_column is not None and tree.find(table_column) is not None:
        raise InvalidQuery(
            "whole-row references (a table or alias used as a value) are not allowed; "
            "name the columns"
        )
    for star in tree.find_all(exp.Star):
        parent = star.parent
        if isinstance(parent, exp.Column):
            raise InvalidQuery("table.* is only allowed as the whole select list")
        if not isinstance(parent, exp.Count):
            raise InvalidQuery("* is only allowed as the whole select list or in count(*)")
    for column in tree.find_all(exp.Column):
        if column.table or _is_lambda_parameter(column) or _is_output_alias(column):
            continue
        raise InvalidQuery(
            f"{column.name} is not a column of the query's tables; whole-row references "
            "(a table or alias used as a value) are not allowed"
        )


def _is_lambda_parameter(column: exp.Column) -> bool:
    node: exp.Expr | None = column.parent
    while node is not None:
        if isinstance(node, exp.Lambda):
            params = {p.name.lower() for p in node.expressions}
            if column.name.lower() in params:
                return True
        node = node.parent
    return False


def _is_output_alias(column: exp.Column) -> bool:
    """ORDER BY / QUALIFY / HAVING may name a select-list alias of the same SELECT."""
    select = column.find_ancestor(exp.Select)
    if select is None:
        return False
    clause = column.find_ancestor(exp.Order, exp.Qualify, exp.Having, exp.Group)
    if clause is None or clause.parent is not select:
        return False
    return column.name.lower() in {e.alias_or_name.lower() for e in select.expressions}


def _bind_columns(tree: exp.Query, uses: dict[int, TableUse]) -> None:
    recursive_ctes = _recursive_cte_bodies(tree)
    for scope in traverse_scope(tree):
        for source in scope.sources.values():
            if isinstance(source, exp.Table) and id(source) in uses:
                use = uses[id(source)]
                use.scope = scope
                use.in_recursive_cte = any(_is_within(source, body) for body in recursive_ctes)
        for column in scope.columns:
            if not column.table:
                continue
            target = _binding_source(scope, column.table)
            if isinstance(target, exp.Table) and id(target) in uses:
                use = uses[id(target)]
                use.columns.setdefault(column.name, []).append(column)


def _binding_source(scope: Scope, alias: str) -> exp.Expr | Scope | None:
    current: Scope | None = scope
    while current is not None:
        if alias in current.sources:
            source: exp.Expr | Scope = current.sources[alias]
            return source
        current = current.parent
    return None


def _recursive_cte_bodies(tree: exp.Expr) -> list[exp.Expr]:
    bodies: list[exp.Expr] = []
    for with_ in tree.find_all(exp.With):
        if with_.args.get("recursive"):
            bodies.extend(cte.this for cte in with_.expressions)
    return bodies


def _is_within(node: exp.Expr, ancestor: exp.Expr) -> bool:
    current: exp.Expr | None = node
    while current is not None:
        if current is ancestor:
            return True
        current = current.parent
    return False

"""The column names DuckDB itself would give a query's result.

Qualification aliases unnamed outputs (``sum(x)`` becomes ``_col_1``); users expect DuckDB's
names, so DuckDB binds the original text (``DESCRIBE``, nothing runs) over empty tables with the
catalog's columns and types, and the federated query is re-aliased with what it says.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import duckdb
from sqlglot import exp

from policies import TableRef

# Helper connections bind or fold user-written text: lock them down like the sandbox, small.
HELPER_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "memory_limit": "256MB",
    "threads": 1,
}


class OutputNamer:
    def __init__(self) -> None:
        self._conn = duckdb.connect(config=HELPER_CONFIG)
        self._conn.execute("SET lock_configuration = true")
        self._lock = threading.Lock()
        self._created: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {}

    def names(self, sql: str, tables: Iterable[TableRef]) -> list[str] | None:
        """DuckDB's output names for ``sql``, or None if it cannot bind it without data."""
        described = self.describe(sql, tables)
        return None if described is None else [name for name, _ in described]

    def describe(self, sql: str, tables: Iterable[TableRef]) -> list[tuple[str, str]] | None:
        """(name, DuckDB type) of each output of ``sql``, bound over empty copies of ``tables``;
        nothing is executed. None when DuckDB cannot bind it."""
        with self._lock:
            try:
                for ref in tables:
                    self._ensure(ref)
                rows = self._conn.execute(f"DESCRIBE {sql}").fetchall()
            except duckdb.Error:
                return None
        return [(str(r[0]), str(r[1])) for r in rows]

    def _ensure(self, ref: TableRef) -> None:
        key = (ref.source, ref.table)
        if self._created.get(key) == ref.columns:
            return
        source, table = _quote(ref.source), _quote(ref.table)
        columns = ", ".join(f"{_quote(name)} {sql_type}" for name, sql_type in ref.columns)
        self._conn.execute(f"CREATE SCHEMA IF NOT EXISTS {source}")
        self._conn.execute(f"CREATE OR REPLACE TABLE {source}.{table} ({columns})")
        self._created[key] = ref.columns

    def close(self) -> None:
        self._conn.close()


def unnamed_outputs(tree: exp.Query) -> bool:
    """Whether the outermost select list has expressions the user left unnamed."""
    select = _leftmost_select(tree)
    return select is not None and any(
        not isinstance(e, (exp.Alias, exp.Column, exp.Star)) for e in select.expressions
    )


def rename_outputs(tree: exp.Query, names: list[str]) -> None:
    """Alias the outermost select's outputs with ``names`` where qualification made one up."""
    select = _leftmost_select(tree)
    if select is None or len(select.expressions) != len(names):
        return
    renamed: dict[str, str] = {}
    for expression, name in zip(list(select.expressions), names, strict=True):
        if isinstance(expression, exp.Alias) and expression.alias.startswith("_col_"):
            renamed[expression.alias] = name
            expression.set("alias", exp.to_identifier(name, quoted=True))
    # ORDER BY count(*) was qualified into a reference to the made-up alias: follow the rename.
    for clause in ("order", "having", "qualify"):
        node = select.args.get(clause)
        if node is None:
            continue
        for column in node.find_all(exp.Column):
            if not column.table and column.name in renamed:
                column.set("this", exp.to_identifier(renamed[column.name], quoted=True))


def _leftmost_select(tree: exp.Expr) -> exp.Select | None:
    node: exp.Expr | None = tree
    while isinstance(node, exp.SetOperation):
        node = node.left
    if isinstance(node, exp.Subquery):
        node = node.unnest()
    return node if isinstance(node, exp.Select) else None


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
